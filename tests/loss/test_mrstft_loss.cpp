// The MRSTFT loss: the A-weighting FIR against scipy, the loss's gradient with respect to the
// estimate against finite differences (double), and sounds shorter than an FFT.
#include <gtest/gtest.h>

#include <complex>
#include <random>

#include "drumsynth/math/common.hpp"
#include "gradient_check.hpp"
#include "loss/a_weighting.hpp"
#include "loss/mrstft_loss.hpp"
#include "named_choices.hpp"

namespace drumsynth {
namespace {

std::vector<double> noise(int n, uint64_t seed, double decay_samples = 1e9) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  std::vector<double> x(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) x[i] = g(rng) * std::exp(-i / decay_samples);
  return x;
}

TEST(AWeighting, MatchesScipyFirlsDesignAt44k1) {
  // scipy 1.10 firls(101, freqz(bilinear(A-weighting), worN=512), fs=44100), as auraloss.
  const auto taps = a_weighting_fir(44100.0);
  ASSERT_EQ(taps.size(), 101u);
  const std::pair<int, double> ref[] = {{0, -0.0019269367958928813},  {10, -0.0030448165208061279},
                                        {25, -0.0070691779247186032}, {40, -0.019958071125078365},
                                        {49, 0.27340316489262351},    {50, 0.54431992488385095}};
  for (auto [i, v] : ref) EXPECT_NEAR(taps[i], v, 1e-9) << "tap " << i;  // seen: 1e-13
  for (int i = 0; i < 50; ++i) EXPECT_EQ(taps[i], taps[100 - i]);        // linear phase
}

TEST(AWeighting, FirAdjointIsTheTranspose) {
  const int n = 300;
  std::vector<double> taps = a_weighting_fir(48000.0);
  const auto x = noise(n, 1), w = noise(n, 2);
  std::vector<double> y(static_cast<size_t>(n)), v(static_cast<size_t>(n));
  fir_same(x.data(), n, taps, y.data());
  fir_same_vjp(w.data(), n, taps, v.data());
  double lhs = 0, rhs = 0;
  for (int i = 0; i < n; ++i) lhs += y[i] * w[i], rhs += x[i] * v[i];
  EXPECT_NEAR(lhs, rhs, 1e-12 * std::abs(lhs));
}

LossSettings small_settings(bool a_weighting, double w_band_log = 0.0) {
  LossSettings s;
  s.w_band_log = w_band_log;
  s.preset = LossPreset::custom;
  // One FFT longer than the 600-sample test signal, to cover the zero-padding rule,
  // one with a window shorter than the FFT.
  s.resolutions = {{64, 16, 64}, {128, 32, 100}, {32, 8, 32}, {1024, 256, 1024}};
  s.a_weighting = a_weighting;
  s.rms_weight = a_weighting ? 0.25 : 0.0;
  return s;
}

TEST(MrstftLoss, GradientMatchesFiniteDifferences) {
  for (int variant = 0; variant < 4; ++variant) {
    const bool aw = variant == 1;
    const double w_band = variant == 2 ? 0.7 : 0.0;  // the band-energy term on its own resolutions
    LossSettings settings = small_settings(aw, w_band);
    if (variant == 3)  // the envelope term, frames of 1 ms (16 samples; 600 is not a multiple)
      settings.w_env_log = 1.3, settings.env_frame_s = 0.001;
    const int n = 600;
    const auto y = noise(n, 5, 200.0);
    MrstftLoss<double> loss(settings, 16000.0, y);
    MrstftLoss<long double> loss_ld(settings, 16000.0,
                                    std::vector<long double>(y.begin(), y.end()));
    const auto x = noise(n, 6, 150.0);
    std::vector<double> v;
    loss.loss_and_gradient(x, v);
    // The quotient in long double, so rounding does not hide small components.
    const auto numeric = test::numeric_gradient<long double>(
        [&](const std::vector<long double>& q) { return loss_ld.loss(q); }, x,
        std::vector<double>(static_cast<size_t>(n), 1e-6));
    // The loss is piecewise smooth (|.| in the log term, the magnitude clamp); with
    // random signals no bin sits on a corner within the 1e-6 step. Tolerance 1e-5
    // relative; worst seen 1.5e-6 (x86-64, long double quotient). Floor: 0/0 guard.
    double largest = 0;
    for (double g : numeric) largest = std::max(largest, std::abs(g));
    test::expect_gradients_match(v, numeric, {}, 1e-5, 1e-9 * largest,
                                 aw             ? "dL/dx, A-weighting + RMS"
                                 : w_band != 0  ? "dL/dx, band term"
                                 : variant == 3 ? "dL/dx, envelope term"
                                                : "dL/dx, plain");
  }
}

// The band-energy term alone: a 6 dB level error costs ln 4 in every cell well
// above the floor, while another noise with the same envelope, whose bins
// differ at random, costs far less (seen: 0.33 of it). The per-bin
// log-magnitude term cannot tell the two apart (seen: 1.0): the band term
// sees envelopes, not fine structure.
TEST(MrstftLoss, BandTermSeesEnvelopesNotFineStructure) {
  const int n = 44100;
  const auto y = noise(n, 20, 10000.0), other = noise(n, 21, 10000.0);
  std::vector<double> louder = y;
  for (double& v : louder) v *= 2.0;
  const auto ratio = [&](double w_log_mag, double w_band_log, double expected_level) {
    LossSettings s;
    s.preset = LossPreset::custom;
    s.resolutions = {{2048, 512, 2048}};
    s.w_sc = 0.0;
    s.w_log_mag = w_log_mag;
    s.w_band_log = w_band_log;
    MrstftLoss<double> loss(s, 44100.0, y);
    EXPECT_NEAR(loss.loss(y), 0.0, 1e-12);
    const double level = loss.loss(louder);
    EXPECT_NEAR(level, expected_level, 0.05 * expected_level);
    return loss.loss(other) / level;
  };
  EXPECT_LT(ratio(0.0, 1.0, std::log(4.0)), 0.4);
  EXPECT_GT(ratio(1.0, 0.0, std::log(2.0)), 0.8);
}

// Spectral convergence divides by ||Y||, which only a target with no energy
// and no magnitude floor (eps = 0) makes 0: then the term is 0 with its
// gradient (spectral_convergence_term, spectral_bin_grad), not NaN; and the
// log term, off (weight 0), is 0 though its log 0 is not finite. An
// infinity or NaN here would reach every parameter of a fit.
// The envelope term sees a tail the spectral terms barely weigh: a decaying
// tone whose last 100 ms are cut to silence (a gated recording) against the
// same tone ringing on. The term is the mean over 10 ms frames of the log
// difference down to 100 dB under the loudest frame, so the ringing tail
// costs it about 10 frames' worth of tens of dB (ln units) out of 50; and 0
// for the target itself.
TEST(MrstftLoss, EnvelopeTermWeighsAGatedTail) {
  const double sr = 16000.0;
  const int n = 8000;
  std::vector<double> ringing(static_cast<size_t>(n)), gated;
  for (int i = 0; i < n; ++i) ringing[size_t(i)] = std::exp(-i / 4000.0) * std::sin(0.3 * i);
  gated = ringing;
  for (int i = n - 1600; i < n; ++i) gated[size_t(i)] = 0.0;
  LossSettings only_env;
  only_env.resolutions = {{64, 16, 64}};
  only_env.w_sc = only_env.w_log_mag = 0.0;
  only_env.w_env_log = 1.0;
  MrstftLoss<double> env(only_env, sr, gated);
  EXPECT_NEAR(env.loss(gated), 0.0, 1e-12);
  const double tail = env.loss(ringing);
  // 10 of 50 frames, each ln(E_x + f) - ln(f) with E_x ~ e^-3.6 / 2 and f 1e-10 / 2: ~ 19.
  EXPECT_GT(tail, 0.2 * 15.0);
  EXPECT_LT(tail, 0.2 * 25.0);
  std::printf("  envelope term of the ringing tail against the gated one: %.3f\n", tail);
}

TEST(MrstftLoss, SpectralConvergenceOfASilentTargetIsZeroNotNaN) {
  LossSettings s = small_settings(false);
  s.eps = 0.0, s.w_log_mag = 0.0;
  const std::vector<double> silence(600, 0.0);
  MrstftLoss<double> loss(s, 16000.0, silence);
  std::vector<double> v;
  const double l = loss.loss_and_gradient(noise(600, 6, 150.0), v);
  EXPECT_EQ(l, 0.0);
  for (double g : v) ASSERT_EQ(g, 0.0);
  // With the target's energy back, the same term is positive and has a gradient.
  MrstftLoss<double> heard(s, 16000.0, noise(600, 5, 200.0));
  EXPECT_GT(heard.loss_and_gradient(noise(600, 6, 150.0), v), 0.1);
  EXPECT_GT(*std::max_element(v.begin(), v.end()), 0.0);
}

TEST(MrstftLoss, IsZeroForTheTargetItselfAndPositiveOtherwise) {
  const auto y = noise(5000, 3, 1000.0);
  for (const auto& name : test::loss_preset_names()) {
    MrstftLoss<double> loss(test::named_loss(name), 44100.0, y);
    EXPECT_NEAR(loss.loss(y), 0.0, 1e-12) << name;
    EXPECT_GT(loss.loss(noise(5000, 4, 1000.0)), 0.1) << name;
  }
}

// A 20 ms hi-hat at 44.1 kHz is 882 samples, shorter than 7 of the seed
// preset's 8 FFTs; the original crashed on it. Ours zero-pads, and the result is
// finite, zero at the target, and its gradient finite.
TEST(MrstftLoss, SoundsShorterThanTheFftsWork) {
  const auto y = noise(882, 8, 100.0);
  MrstftLoss<float> loss(loss_preset(LossPreset::seed), 44100.0,
                         std::vector<float>(y.begin(), y.end()));
  const auto x = noise(882, 9, 100.0);
  std::vector<float> xf(x.begin(), x.end()), v;
  const float l = loss.loss_and_gradient(xf, v);
  EXPECT_TRUE(std::isfinite(l));
  EXPECT_GT(l, 0.1f);
  for (float g : v) ASSERT_TRUE(std::isfinite(g));
  EXPECT_NEAR(loss.loss(std::vector<float>(y.begin(), y.end())), 0.0f, 1e-5f);
  // A single sample works too.
  MrstftLoss<float> one(loss_preset(LossPreset::seed), 44100.0, {0.5f});
  EXPECT_TRUE(std::isfinite(one.loss({0.25f})));
}

TEST(MrstftLoss, FloatAgreesWithDouble) {
  const auto y = noise(20000, 10, 5000.0), x = noise(20000, 11, 3000.0);
  for (const auto& name : test::loss_preset_names()) {
    MrstftLoss<double> ld(test::named_loss(name), 48000.0, y);
    MrstftLoss<float> lf(test::named_loss(name), 48000.0, std::vector<float>(y.begin(), y.end()));
    const double a = ld.loss(x), b = lf.loss(std::vector<float>(x.begin(), x.end()));
    EXPECT_NEAR(a, b, 1e-4 * a) << name;  // seen: ~1e-6 relative
  }
}

// Fits are chaotic, so a preset must not depend on how many threads made it.
TEST(MrstftLoss, GradientIsBitIdenticalForAnyThreadCount) {
  const auto y = noise(30000, 12, 8000.0), x = noise(30000, 13, 6000.0);
  std::vector<float> yf(y.begin(), y.end()), xf(x.begin(), x.end()), v1, v2;
  MrstftLoss<float> one(loss_preset(LossPreset::seed), 48000.0, yf, 1),
      two(loss_preset(LossPreset::seed), 48000.0, yf, 2);
  EXPECT_EQ(one.loss_and_gradient(xf, v1), two.loss_and_gradient(xf, v2));
  EXPECT_EQ(v1, v2);
}

TEST(MrstftLoss, RejectsBadResolutions) {
  LossSettings s = small_settings(false);
  s.resolutions = {{63, 16, 63}};
  EXPECT_THROW(MrstftLoss<double>(s, 16000.0, noise(100, 1)), Error);
  s.resolutions = {{64, 16, 128}};
  EXPECT_THROW(MrstftLoss<double>(s, 16000.0, noise(100, 1)), Error);
  EXPECT_THROW(parse_name<LossPreset>("nope"), Error);
  EXPECT_THROW(loss_preset(LossPreset::custom), Error);
}

}  // namespace
}  // namespace drumsynth
