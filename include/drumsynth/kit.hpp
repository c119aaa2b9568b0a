// A kit: fitted presets played as the pads of a drum instrument. Each pad
// sits on a MIDI note and holds one or more velocity layers (presets of one
// drum fitted at different velocities), a choke group, and the controls a
// player turns. Written as JSON (NAME.kit.json), preset paths relative to it:
//
//   {"format": "drumsynth-kit", "format_version": 1, "name": "my kit",
//    "pads": [{"name": "kick", "note": 36, "choke_group": 0, "level_db": 0,
//              "tune_semitones": 0, "decay_scale": 1, "tone_noise_balance": 0,
//              "layers": [{"preset": "kick.preset.json", "velocity": 127}]}, ...]}
//
// A layer plays as it was fitted at its velocity; other velocities scale it
// by velocity_gain (kit_voice.hpp blends the layers' timbres in between).
#pragma once

#include <string>
#include <vector>

#include "drumsynth/error.hpp"
#include "drumsynth/preset.hpp"

namespace drumsynth {

constexpr int kKitFormatVersion = 1;

struct KitLayer {
  std::string preset;  // path, relative to the kit file when written
  int velocity = 127;  // the velocity at which it plays as fitted
};

struct Pad {
  std::string name;
  int note = 36;
  int choke_group = 0;  // 0: none; a note of the group cuts the other pads of the group
  double level_db = 0;
  double tune_semitones = 0;
  double decay_scale = 1;
  double tone_noise_balance = 0;  // -1 tones only ... 0 as fitted ... +1 noise only
  std::vector<KitLayer> layers;   // ascending velocity
};

struct Kit {
  std::string name;
  std::vector<Pad> pads;
  std::string path;  // the file it was read from ("" when made in memory)
};

// Throws InputError("<path>: ...") for a malformed kit: bad JSON, an unknown
// format version, a note outside 0-127, a pad without layers, two pads on
// one note, a layer's velocity outside 1-127.
Kit kit_from_json(const std::string& text, const std::string& path);
// Layer paths are written relative to `dir` (the kit file's folder).
std::string kit_to_json(const Kit& kit, const std::string& dir);
Kit load_kit(const std::string& path);
void save_kit(const std::string& path, const Kit& kit);
// A layer's preset path as a file path (relative to the kit's folder).
std::string layer_path(const Kit& kit, const KitLayer& layer);

// The level a layer fitted at `layer_velocity` plays at `velocity`:
// (velocity / layer_velocity)^2, about -6 dB an octave of velocity down.
double velocity_gain(int velocity, int layer_velocity);

// The General MIDI drum note for a sound, from its file name (kick 36,
// snare 38, clap 39, closed hat 42, pedal hat 44, open hat 46, toms 41-50,
// crash 49, ride 51, ...), or else from its analysis (where its energy lies
// and how long it rings); and the GM name of a note ("" outside the map).
int general_midi_note(const std::string& file_name, const Preset& preset);
std::string general_midi_name(int note);

}  // namespace drumsynth
