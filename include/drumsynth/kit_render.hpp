// A kit played offline: a list of notes through its pads into one sound, as
// the instrument plays them (the same layers, velocity curve, controls,
// choke groups and voice stealing). `drumsynth play` and the split of a
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

// A pad's controls applied to a layer's parameters: every frequency times
// 2^(tune / 12), every decay time times decay_scale, the tones' and the
// transient's gains times 1 - max(0, balance), the noise's times
// 1 + min(0, balance). (The level is the voice's gain, not a parameter.)
std::vector<double> pad_params(const Pad& pad, const std::vector<double>& params);

// Which layer a velocity plays: the nearest by velocity (the louder on a tie).
int layer_for_velocity(const Pad& pad, int velocity);

// The notes (their pads by note; notes without a pad are skipped) at
// sample_rate, for `seconds` (0: until the last voice has died away).
std::vector<double> render_kit(const LoadedKit& kit, const std::vector<NoteEvent>& notes,
                               double sample_rate, double seconds = 0);

}  // namespace drumsynth
