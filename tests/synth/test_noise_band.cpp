// The noise band: the counter-based generator (pinned values, statistics),
// the one-pole filters against their known response, and the block's adjoint.
#include <gtest/gtest.h>

#include "drumsynth/synth/noise_band.hpp"
#include "gradient_check.hpp"

namespace drumsynth {
namespace {

TEST(NoiseBand, WhiteNoiseIsPinnedAndAgreesInFloatAndDouble) {
  // Presets store only the seed: these values must never change within format 1.
  EXPECT_EQ(noise_hash(0, 0), 0xe220a8397b1dcdafull);
  EXPECT_EQ(noise_hash(1, 0), noise_hash(1, 0));
  EXPECT_NE(noise_hash(1, 0), noise_hash(2, 0));
  EXPECT_EQ(white_noise<float>(0, 0),
            float(2 * int32_t(0xe220a8397b1dcdafull >> 40) + 1 - (1 << 24)) *
                float(1.7320508075688772 / 16777216.0));
  // float and double differ only in the last bit of the scale constant.
  for (uint64_t i = 0; i < 1000; ++i)
    ASSERT_NEAR(white_noise<float>(7, i), white_noise<double>(7, i), 1e-6);
}

TEST(NoiseBand, WhiteNoiseHasZeroMeanUnitVarianceAndNoCorrelation) {
  const int n = 200000;
  double s = 0, s2 = 0, lag = 0, prev = 0;
  for (int i = 0; i < n; ++i) {
    const double v = white_noise<double>(11, uint64_t(i));
    ASSERT_LE(std::abs(v), std::sqrt(3.0));
    s += v, s2 += v * v, lag += v * prev, prev = v;
  }
  // 5-sigma bounds for 2e5 samples: mean 0.011, variance 0.009 (uniform: var of v^2 = 0.8),
  // lag-1 correlation 0.011.
  EXPECT_NEAR(s / n, 0.0, 0.011);
  EXPECT_NEAR(s2 / n, 1.0, 0.009);
  EXPECT_NEAR(lag / n, 0.0, 0.011);
}

TEST(NoiseBand, OnePoleLowpassHasItsCutoffInHertz) {
  // The impulse-invariant one-pole: |H| = a / |1 - (1 - a) e^{-jw}|, which at the
  // cutoff (fc << sr) is 1/sqrt(2) to within 0.1 %.
  const double sr = 48000, fc = 100;
  const int n = 48000;
  std::vector<double> x(n), y(n);
  for (int i = 0; i < n; ++i) x[i] = std::sin(kTwoPi * fc * i / sr);
  one_pole_lowpass(x.data(), y.data(), n, one_pole_coefficient(fc, sr));
  double peak = 0;
  for (int i = n / 2; i < n; ++i) peak = std::max(peak, std::abs(y[i]));  // steady state
  EXPECT_NEAR(peak, 1.0 / std::sqrt(2.0), 2e-3);
}

TEST(NoiseBand, AdjointMatchesFiniteDifferences) {
  const int n = 3000;
  const double sr = 16000;
  std::vector<double> p(kNumParams, 0.0), w(n);
  p[P::onset_s] = 0.0101;
  p[P::noise_attack_s] = 0.002, p[P::noise_decay_s] = 0.05;
  p[P::noise_low_hz] = 300, p[P::noise_high_hz] = 3000, p[P::noise_gain] = 0.3;
  for (int i = 0; i < n; ++i) w[i] = std::cos(0.11 * i);
  const int idx[] = {P::noise_attack_s, P::noise_decay_s, P::noise_low_hz,
                     P::noise_high_hz,  P::noise_gain,    P::onset_s};
  auto loss = [&](const std::vector<long double>& q) {
    std::vector<long double> pp(p.begin(), p.end());
    for (int j = 0; j < 6; ++j) pp[idx[j]] = q[j];
    std::vector<long double> lo(n), band(n);
    noise_band_filter(pp.data(), (long double)sr, 9, n, lo.data(), band.data());
    long double l = 0;
    for (int i = 0; i < n; ++i)
      l += w[i] * noise_band_sample(pp.data(), (long double)i / sr - pp[P::onset_s], band[i]);
    return l;
  };
  std::vector<double> lo(n), band(n), v_band(n), v_p(kNumParams, 0.0);
  noise_band_filter(p.data(), sr, 9, n, lo.data(), band.data());
  double v_t = 0;
  for (int i = 0; i < n; ++i)
    v_band[i] = noise_band_sample_vjp(p.data(), i / sr - p[P::onset_s], band[i], w[i],
                                      v_p[P::noise_attack_s], v_p[P::noise_decay_s],
                                      v_p[P::noise_gain], v_t);
  v_p[P::onset_s] -= v_t;
  noise_band_filter_vjp(p.data(), sr, 9, n, lo.data(), band.data(), v_band.data(), v_p.data());
  std::vector<double> q, analytic, steps;
  for (int j : idx)
    q.push_back(p[j]), analytic.push_back(v_p[j] * p[j]), steps.push_back(1e-6 * p[j]);
  auto numeric = test::numeric_gradient<long double>(loss, q, steps);
  for (int j = 0; j < 6; ++j) numeric[j] *= q[j];
  // 1e-5 relative (the bound); worst seen 1e-9 (x86-64).
  test::expect_gradients_match(analytic, numeric,
                               {"attack_s", "decay_s", "low_hz", "high_hz", "gain", "onset_s"},
                               1e-5, 1e-12, "noise band");
}

}  // namespace
}  // namespace drumsynth
