// How far a refit's tones are from a preset's, the synthetic recovery's
// frequency measure (bench/recovery.cpp, tests/fit/test_recovery.cpp): for each
// audible partial of the preset (gain at least a tenth of its loudest, below
// Nyquist), the distance in cents to the nearest partial of the refit that is
// not silent (gain at least 1e-3).
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

#include "drumsynth/synth/params.hpp"

namespace drumsynth {

template <typename A, typename B>
std::vector<double> tone_cents(const std::vector<A>& truth, const std::vector<B>& refit,
                               double sample_rate) {
  double loudest = 0;
  for (int k = 0; k < kNumPartials; ++k)
    loudest = std::max(loudest, double(truth[P::tone_gain(k)]));
  std::vector<double> out;
  for (int k = 0; k < kNumPartials; ++k) {
    const double f = truth[P::tone_freq_hz(k)];
    if (truth[P::tone_gain(k)] < 0.1 * loudest || f >= 0.5 * sample_rate) continue;
    double best = INFINITY;
    for (int j = 0; j < kNumPartials; ++j)
      if (refit[P::tone_gain(j)] >= 1e-3)
        best = std::min(best, std::abs(1200.0 * std::log2(double(refit[P::tone_freq_hz(j)]) / f)));
    out.push_back(best);
  }
  return out;
}

}  // namespace drumsynth
