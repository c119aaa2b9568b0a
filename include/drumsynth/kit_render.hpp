// A kit played offline: a list of notes through its pads into one sound,
// by the instrument's own engine. `drumsynth play` and the split of a
// multi-hit file's replay use it.
#pragma once

#include <string>
#include <vector>

#include "drumsynth/kit.hpp"
#include "drumsynth/midi.hpp"

namespace drumsynth {

// Voices a pad sounds at once; a note beyond them cuts its oldest.
constexpr int kVoicesPerPad = 4;
// How fast a voice cut by its choke group or by a new voice dies (a raised cosine).
constexpr double kCutFadeS = 0.005;

// A kit with its presets read. A layer whose preset is missing or broken
// is silent, and `problems` says which and why (one line each).
struct LoadedKit {
  Kit kit;
  std::vector<std::vector<Preset>> presets;  // [pad][layer]
  std::vector<std::vector<bool>> silent;     // [pad][layer]
  std::vector<std::string> problems;
};
LoadedKit load_kit_presets(const Kit& kit);

// The notes (their pads by note; notes without a pad are skipped) at
// sample_rate, for `seconds` (0: until the last voice has died away): the
// instrument's engine (kit_player.hpp) run offline, in blocks of 256.
std::vector<double> render_kit(const LoadedKit& kit, const std::vector<NoteEvent>& notes,
                               double sample_rate, double seconds = 0);

}  // namespace drumsynth
