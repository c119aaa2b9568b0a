// The transient: the saturation bounds it, small drives leave the sine burst
// linear, and the envelope shapes it as specified.
#include <gtest/gtest.h>

#include "drumsynth/synth/transient.hpp"

namespace drumsynth {
namespace {

std::vector<double> params(double drive) {
  std::vector<double> p(kNumParams, 0.0);
  p[P::transient_freq_hz] = 150.0;
  p[P::transient_attack_s] = 0.001;
  p[P::transient_decay_s] = 0.03;
  p[P::transient_drive] = drive;
  p[P::transient_gain] = 0.8;
  return p;
}

TEST(Transient, SaturationBoundsItByTheGain) {
  const auto p = params(12.0);
  double peak = 0;
  for (int i = 1; i < 4800; ++i)
    peak = std::max(peak, std::abs(transient_sample(p.data(), i / 48000.0, i / 48000.0)));
  EXPECT_LE(peak, 0.8);
  EXPECT_GT(peak, 0.79);  // tanh(12 x envelope peak ~0.9) is ~1
}

TEST(Transient, SmallDriveIsTheEnvelopedSine) {
  const auto p = params(0.01);
  for (int i = 1; i < 4800; i += 37) {
    const double t = i / 48000.0;
    const double expected = 0.8 * 0.01 * (1 - std::exp(-t / 0.001)) * std::exp(-t / 0.03) *
                            std::sin(kTwoPi * 150.0 * t);
    // tanh(u) = u (1 - u^2/3 + ...): with u < 0.01, within 1e-4 relative of linear
    EXPECT_NEAR(transient_sample(p.data(), t, t), expected, 1e-4 * std::abs(expected) + 1e-12) << t;
  }
  EXPECT_EQ(transient_sample(p.data(), 0.0, 0.0), 0.0);  // silent before the onset
  EXPECT_EQ(transient_sample(p.data(), -0.01, 0.0), 0.0);
}

}  // namespace
}  // namespace drumsynth
