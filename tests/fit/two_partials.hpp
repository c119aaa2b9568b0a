// A preset of two audible partials (440 Hz, 1234 Hz) with every other block
// quiet: the target of the population search's and the pruning's tests.
#pragma once

#include <vector>

#include "drumsynth/param_table.hpp"

namespace drumsynth::test {

inline std::vector<double> two_partial_preset() {
  const auto z = random_logits(41);
  auto p = params_from_logits(std::vector<double>(z.begin(), z.end()));
  for (int k = 0; k < kNumPartials; ++k) p[P::tone_gain(k)] = 1e-4;
  p[P::tone_freq_hz(0)] = 440.0, p[P::tone_gain(0)] = 0.5, p[P::tone_decay_s(0)] = 0.4;
  p[P::tone_freq_hz(1)] = 1234.0, p[P::tone_gain(1)] = 0.3, p[P::tone_decay_s(1)] = 0.25;
  p[P::sweep_ratio] = 1.0;
  for (int i : {int(P::transient_gain), int(P::resonator_gain), int(P::noise_gain)}) p[i] = 1e-4;
  for (int k = 0; k < kNoiseBands; ++k) p[P::noise_bank_gain(k)] = 1e-4;
  return p;
}

}  // namespace drumsynth::test
