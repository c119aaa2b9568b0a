// The release (release.hpp): 1 until its start, then exp(-(t - t_r) / tau);
// the voice renders its sound times the release exactly; the adjoint against
// central finite differences (the whole voice's: tests/synth/test_voice.cpp).
#include <gtest/gtest.h>

#include <cmath>

#include "drumsynth/param_table.hpp"
#include "drumsynth/render.hpp"
#include "drumsynth/synth/release.hpp"
#include "gradient_check.hpp"

namespace drumsynth {
namespace {

std::vector<double> params_with_release(double start_s, double release_s) {
  std::vector<double> p(kNumParams, 0.0);
  p[P::release_start_s] = start_s;
  p[P::release_s] = release_s;
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

TEST(Release, AdjointMatchesFiniteDifferences) {
  for (double t : {0.21, 0.3, 0.7}) {
    const std::vector<double> x = {0.2, 0.05, t};  // start, time, t
    const auto f = [](const std::vector<double>& q) {
      const auto p = params_with_release(q[0], q[1]);
      return release_gain(p.data(), q[2]);
    };
    const auto p = params_with_release(x[0], x[1]);
    double v_start = 0, v_time = 0, v_t = 0;
    release_gain_vjp(p.data(), t, release_gain(p.data(), t), 1.0, v_start, v_time, v_t);
    const auto numeric = test::numeric_gradient<double>(f, x, test::relative_steps(x, 1e-4, 1e-3));
    test::expect_gradients_match({v_start, v_time, v_t}, numeric, {"start", "time", "t"}, 1e-8,
                                 1e-12, "release at t = " + std::to_string(t));
  }
  // Before the start nothing moves it.
  const auto p = params_with_release(0.2, 0.05);
  double v_start = 0, v_time = 0, v_t = 0;
  release_gain_vjp(p.data(), 0.15, 1.0, 1.0, v_start, v_time, v_t);
  EXPECT_EQ(v_start + v_time + v_t, 0.0);
}

// A voice with a release is the same voice without one (its start past the
// end: what presets before version 3 load with) times the release, sample for
// sample.
TEST(Release, TheVoiceIsItsSoundTimesTheRelease) {
  const auto& t = param_table();
  std::vector<double> z(kNumParams, 0.3);
  std::vector<double> off = params_from_logits(z);
  off[P::onset_s] = 0.01;
  off[P::release_start_s] = t[P::release_start_s].max;
  off[P::release_s] = t[P::release_s].max;
  auto on = off;
  on[P::release_start_s] = 0.12, on[P::release_s] = 0.03;
  const double sr = 16000;
  const VoiceSpec spec{8000, sr, 3};
  const auto a = render(off, spec), b = render(on, spec);
  double loud_after = 0;
  for (int i = 0; i < spec.n_samples; ++i) {
    const double time = i / sr - 0.01, g = release_gain(on.data(), time);
    ASSERT_NEAR(b[i], g * a[i], 1e-15) << i;
    if (time > 0.12) loud_after = std::max(loud_after, std::abs(a[i]) - std::abs(b[i]));
  }
  EXPECT_GT(loud_after, 1e-3);  // the release took something off the tail
}

}  // namespace
}  // namespace drumsynth
