// The matrix pencil (host/analysis/damped_sinusoids.hpp) recovers known damped
// sinusoids: frequencies between FFT bins, decays and amplitudes, with noise.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "analysis/damped_sinusoids.hpp"

namespace drumsynth {
namespace {

TEST(MatrixPencil, RecoversThreeDampedSinusoidsInNoise) {
  const double rate = 48000;
  const DampedSinusoid truth[] = {{183.7, 0.25, 0.6}, {411.2, 0.08, 0.3}, {1320.5, 0.03, 0.15}};
  std::mt19937 rng(1);
  std::normal_distribution<double> noise(0.0, 1e-3);
  std::vector<double> x(1536);
  for (size_t t = 0; t < x.size(); ++t) {
    for (const auto& m : truth)
      x[t] += m.amplitude * std::exp(-double(t) / rate / m.decay_s) *
              std::cos(2 * M_PI * m.freq_hz * t / rate + 0.3);
    x[t] += noise(rng);
  }
  const auto modes = matrix_pencil(x, rate, 16, 20.0, 20000.0);
  ASSERT_GE(modes.size(), 3u);
  for (int k = 0; k < 3; ++k) {  // strongest first: the three, in order
    EXPECT_NEAR(modes[size_t(k)].freq_hz, truth[k].freq_hz, 0.01 * truth[k].freq_hz) << k;
    EXPECT_NEAR(modes[size_t(k)].decay_s, truth[k].decay_s, 0.15 * truth[k].decay_s) << k;
    EXPECT_NEAR(modes[size_t(k)].amplitude, truth[k].amplitude, 0.05 * truth[k].amplitude) << k;
  }
}

TEST(MatrixPencil, ResolvesTwoTonesCloserThanAnFftBin) {
  // 2048-point FFT bins at 48 kHz are 23.4 Hz apart; these are 9 Hz apart,
  // seen for 32 ms.
  const double rate = 48000;
  std::vector<double> x(1536);
  for (size_t t = 0; t < x.size(); ++t)
    x[t] = 0.5 * std::cos(2 * M_PI * 220.0 * t / rate) +
           0.4 * std::cos(2 * M_PI * 229.0 * t / rate + 1.0);
  const auto modes = matrix_pencil(x, rate, 8, 20.0, 20000.0);
  ASSERT_GE(modes.size(), 2u);
  EXPECT_NEAR(modes[0].freq_hz, 220.0, 0.2);
  EXPECT_NEAR(modes[1].freq_hz, 229.0, 0.2);
}

}  // namespace
}  // namespace drumsynth
