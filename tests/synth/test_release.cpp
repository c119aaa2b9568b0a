// The release and the gate (release.hpp): 1 until a start, then
// exp(-(t - t_r) / tau), the two stages multiplied; the voice renders its
// sound times them exactly; the adjoint against central finite differences
// (the whole voice's: tests/synth/test_voice.cpp).
#include <gtest/gtest.h>

#include <cmath>

#include "drumsynth/param_table.hpp"
#include "drumsynth/render.hpp"
#include "drumsynth/synth/release.hpp"
#include "gradient_check.hpp"

namespace drumsynth {
namespace {

// The release, and the gate (off, at its maxima, unless given).
std::vector<double> params_with_release(double start_s, double release_s, double gate_start_s = 20,
                                        double gate_s = 20) {
  std::vector<double> p(kNumParams, 0.0);
  p[P::release_start_s] = start_s;
  p[P::release_s] = release_s;
  p[P::gate_start_s] = gate_start_s;
  p[P::gate_s] = gate_s;
  return p;
}

TEST(Release, IsOneUntilItsStartThenFallsExponentially) {
  const auto p = params_with_release(0.2, 0.05);
  EXPECT_EQ(release_gain(p.data(), -0.01), 1.0);  // before the onset
  EXPECT_EQ(release_gain(p.data(), 0.1), 1.0);
  EXPECT_EQ(release_gain(p.data(), 0.2), 1.0);
  EXPECT_NEAR(release_gain(p.data(), 0.25), std::exp(-1.0), 1e-15);
  EXPECT_NEAR(release_gain(p.data(), 0.2 + 0.05 * std::log(1e5)), 1e-5, 1e-18);  // -100 dB
}

TEST(Release, TheGateMultipliesFromItsOwnStart) {
  const auto p = params_with_release(0.2, 0.05, 0.3, 0.01);
  EXPECT_EQ(release_gain(p.data(), 0.2), 1.0);
  EXPECT_NEAR(release_gain(p.data(), 0.3), std::exp(-2.0), 1e-15);  // the release alone
  EXPECT_NEAR(release_gain(p.data(), 0.31), std::exp(-2.2 - 1.0), 1e-15);
  const auto gate_only = params_with_release(20, 20, 0.1, 0.02);
  EXPECT_EQ(release_gain(gate_only.data(), 0.1), 1.0);
  EXPECT_NEAR(release_gain(gate_only.data(), 0.14), std::exp(-2.0), 1e-15);
}

TEST(Release, AdjointMatchesFiniteDifferences) {
  // Before both starts, after the release's, after both.
  for (double t : {0.15, 0.21, 0.3, 0.34, 0.7}) {
    const std::vector<double> x = {0.2, 0.05, 0.32, 0.01, t};  // starts and times, t
    const auto f = [](const std::vector<double>& q) {
      const auto p = params_with_release(q[0], q[1], q[2], q[3]);
      return release_gain(p.data(), q[4]);
    };
    const auto p = params_with_release(x[0], x[1], x[2], x[3]);
    double v_start = 0, v_time = 0, v_gate_start = 0, v_gate = 0, v_t = 0;
    release_gain_vjp(p.data(), t, release_gain(p.data(), t), 1.0, v_start, v_time, v_gate_start,
                     v_gate, v_t);
    const auto numeric = test::numeric_gradient<double>(f, x, test::relative_steps(x, 1e-4, 1e-3));
    test::expect_gradients_match({v_start, v_time, v_gate_start, v_gate, v_t}, numeric,
                                 {"start", "time", "gate start", "gate time", "t"}, 1e-8, 1e-12,
                                 "release and gate at t = " + std::to_string(t));
    if (t < 0.2) EXPECT_EQ(v_start + v_time + v_gate_start + v_gate + v_t, 0.0);
    if (t < 0.32) EXPECT_EQ(v_gate_start + v_gate, 0.0);  // before its start nothing moves the gate
  }
}

// A voice with a release and a gate is the same voice without them (their
// starts past the end: what presets before versions 3 and 4 load with) times
// them, sample for sample.
TEST(Release, TheVoiceIsItsSoundTimesTheReleaseAndTheGate) {
  const auto& t = param_table();
  std::vector<double> z(kNumParams, 0.3);
  std::vector<double> off = params_from_logits(z);
  off[P::onset_s] = 0.01;
  off[P::release_start_s] = t[P::release_start_s].max;
  off[P::release_s] = t[P::release_s].max;
  off[P::gate_start_s] = t[P::gate_start_s].max;
  off[P::gate_s] = t[P::gate_s].max;
  auto on = off;
  on[P::release_start_s] = 0.12, on[P::release_s] = 0.03;
  on[P::gate_start_s] = 0.4, on[P::gate_s] = 0.005;
  const double sr = 16000;
  const VoiceSpec spec{8000, sr, 3};
  const auto a = render(off, spec), b = render(on, spec);
  double loud_after = 0;
  for (int i = 0; i < spec.n_samples; ++i) {
    const double time = i / sr - 0.01, g = release_gain(on.data(), time);
    ASSERT_NEAR(b[i], g * a[i], 1e-15) << i;
    if (time > 0.12) loud_after = std::max(loud_after, std::abs(a[i]) - std::abs(b[i]));
  }
  EXPECT_GT(loud_after, 1e-3);           // the release took something off the tail
  EXPECT_LT(std::abs(b.back()), 1e-12);  // and the gate the rest: 80 ms at 5 ms, -139 dB
}

}  // namespace
}  // namespace drumsynth
