// Making kits from fitted presets (`drumsynth kit`), reading the sample
// kits they were fitted from (SFZ, Hydrogen drumkit.xml), and writing a kit
// out as an SFZ instrument of rendered samples that any sampler plays.
#pragma once

#include <string>
#include <vector>

#include "drumsynth/kit.hpp"
#include "drumsynth/kit_render.hpp"

namespace drumsynth {

// A sample kit's map: a sample file, the note it plays on, the velocities.
struct SampleMapping {
  std::string sample;  // as the kit file names it
  int note = 36;
  int lovel = 1, hivel = 127;
};

// The regions of an SFZ file (sample=, key= or lokey=, lovel=, hivel=; the
// <group> and <global> headers' values carried into their regions), and the
// instruments' layers of a Hydrogen drumkit.xml (instrument k on note 36 + k,
// a layer's min-max of 0-1 as velocities). Throws InputError("<path>: ...").
std::vector<SampleMapping> read_sfz(const std::string& text, const std::string& path);
std::vector<SampleMapping> read_hydrogen_kit(const std::string& text, const std::string& path);
// By the file's extension (.sfz, .xml).
std::vector<SampleMapping> read_kit_mapping(const std::string& path);

// A kit of these presets, paths as given. With a mapping, a preset whose
// fitted file (its "source", or its own name) is a mapped sample goes on
// that sample's note, a layer at its hivel. Without, each preset's note is
// its General MIDI note (kit.hpp), presets whose names differ only in a
// velocity word (v1 .. v9, softest .. hardest, pp .. ff) are the layers of
// one pad, in that word's order, their velocities spread up to 127; other
// presets that would share a note move to the next free one. Hi-hats
// (42, 44, 46) share choke group 1.
Kit make_kit(const std::vector<std::string>& preset_paths,
             const std::vector<SampleMapping>* mapping, const std::string& name);
// The presets under a folder (*.preset.json, recursively), sorted.
std::vector<std::string> find_presets(const std::string& folder);

// The kit as an SFZ instrument: each pad rendered at `velocities` velocities
// (the top of each of as many equal ranges of 1-127) to DIR/samples/NOTE-vV.wav
// by the instrument's engine, and DIR/NAME.sfz mapping them (key, lovel,
// hivel; amp_veltrack=0, as each region is its velocity's sound already; a
// choke group's pads in group= and off_by= that group). Returns
// the .sfz's path.
std::string export_sfz(const LoadedKit& kit, const std::string& dir, const std::string& name,
                       int velocities, double sample_rate);

}  // namespace drumsynth
