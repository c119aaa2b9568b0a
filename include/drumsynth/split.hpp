// A recording of several hits (a fragment of a beat) fitted hit by hit:
// each hit (hits.hpp) from its onset to the next one's is fitted as a sound
// of its own; a kit holds a pad per hit (its General MIDI note where free,
// the hit's velocity its layer's) and a MIDI file plays the pads at the
// hits' onsets and velocities, so that the kit replays the recording.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "drumsynth/audio_io.hpp"
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

// batch --split: the recordings of several hits among a batch's (those
// find_audio_files finds under in_dir), each fitted hit by hit (fit_split)
// into its folder of the output mirror, beside its fit as one sound. A
// recording whose kit is there already is skipped unless `force`; one that
// cannot be read or fitted gets its error, and the next goes on. `stop`
// (optional), once set, ends the walk before the next recording.
struct RecordingSplit {
  std::string relative;  // the recording's path under in_dir
  int hits = 0;
  std::string kit;    // the kit file (SplitPaths::kit)
  bool done = false;  // fitted now; false: skipped (its kit was there) or failed
  std::string error;  // why it failed ("" if not)
};
std::vector<RecordingSplit> split_batch_recordings(const std::string& in_dir,
                                                   const std::string& out_dir,
                                                   const FitOptions& options,
                                                   const LoadOptions& load, bool force,
                                                   const std::atomic<bool>* stop = nullptr);

}  // namespace drumsynth
