// A recording of several hits (a fragment of a beat) fitted hit by hit:
// each hit (hits.hpp) from its onset to the next one's is fitted as a sound
// of its own; a kit holds a pad per hit (its General MIDI note where free,
// the hit's velocity its layer's) and a MIDI file plays the pads at the
// hits' onsets and velocities, so that the kit replays the recording.
#pragma once

#include <string>
#include <vector>

#include "drumsynth/fit.hpp"
#include "drumsynth/hits.hpp"
#include "drumsynth/kit.hpp"
#include "drumsynth/midi.hpp"

namespace drumsynth {

// Where a split fit of `input` writes: OUT/NAME/hitK.* (each hit's fit
// outputs), OUT/NAME.kit.json, OUT/NAME.mid, and OUT/NAME.replay.wav (the
// kit playing the MIDI file, at the recording's rate and length).
struct SplitPaths {
  std::string folder, kit, midi, replay;
};
SplitPaths split_paths(const std::string& input, const std::string& out_dir);

struct SplitFit {
  std::vector<Hit> hits;
  std::vector<SoundFit> fits;  // one a hit (a hit that failed: its error)
  Kit kit;                     // the hits that were fitted
  std::vector<NoteEvent> notes;
  std::vector<double> replay;  // the kit playing the notes
};

// The hits' sounds, each from its onset to the next hit's.
std::vector<Sound> hit_sounds(const Sound& recording, const std::vector<Hit>& hits);

// Fits every hit (options as a fit's; the hits side by side), writes the
// outputs above, each atomically, the kit and the MIDI file last. Throws
// when no hit could be fitted.
SplitFit fit_split(const Sound& recording, const std::vector<Hit>& hits, const FitOptions& options,
                   const SplitPaths& paths);

}  // namespace drumsynth
