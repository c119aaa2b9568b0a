// The time-frequency envelope error (host/tf_envelope.hpp): it passes two noise
// realisations with the same envelope, where the MRSTFT loss cannot tell them
// from a bad match, and fails a wrong decay, a wrong spectral tilt, a wrong
// pitch and silence. The end level reads a decay's level at the end, or
// before a fade-out.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "loss/mrstft_loss.hpp"
#include "report/envelope_errors.hpp"
#include "report/spectral_metrics.hpp"

namespace drumsynth {
namespace {

constexpr double kRate = 44100.0;

// White noise (seeded) under exp(-t / decay_s), optionally through a one-pole low-pass.
std::vector<double> decaying_noise(unsigned seed, double decay_s, double lowpass_pole = 0.0) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, 0.3);
  std::vector<double> x(static_cast<size_t>(kRate));
  double lp = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    lp = lowpass_pole * lp + (1 - lowpass_pole) * normal(rng);
    x[i] = (lowpass_pole > 0 ? lp * 3 : lp) * std::exp(-double(i) / kRate / decay_s);
  }
  return x;
}

std::vector<double> decaying_tone(double hz) {
  std::vector<double> x(static_cast<size_t>(kRate));
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = 0.5 * std::sin(2 * M_PI * hz * i / kRate) * std::exp(-(i / kRate) / 0.3);
  return x;
}

TEST(RmsEnvelope, IsTheLevelDifferenceInDb) {
  const auto y = decaying_noise(1, 0.2);
  auto half = y;
  for (double& v : half) v *= 0.5;
  EXPECT_EQ(rms_envelope_error_db(y, y, kRate), 0.0);
  // 6.02 dB in every 10 ms frame above the -80 dB floor (a 1 s decay of 0.2 s stays above it).
  EXPECT_NEAR(rms_envelope_error_db(half, y, kRate), 20 * std::log10(2.0), 1e-6);
}

TEST(TfEnvelope, IsZeroForTheTargetItself) {
  const auto y = decaying_noise(1, 0.2);
  EXPECT_EQ(tf_envelope_error_db(y, y, kRate), 0.0);
}

// Same-envelope noises score about 2 dB (each cell's energy is an estimate from
// a few FFT bins); a level 6 dB off scores about three times that. The MRSTFT
// loss barely moves between the two (1.37 vs 1.61): it cannot tell a good
// noise match from a bad one, the reason for this metric.
TEST(TfEnvelope, TwoNoisesWithOneEnvelopePassWhereTheLossCannotTell) {
  const auto y = decaying_noise(1, 0.2), x = decaying_noise(2, 0.2);
  auto x_quieter = x;
  for (double& v : x_quieter) v *= 0.5;
  const double same = tf_envelope_error_db(x, y, kRate),
               quieter = tf_envelope_error_db(x_quieter, y, kRate);
  EXPECT_LT(same, 2.5);
  EXPECT_GT(quieter, 2.5 * same) << same << " dB vs " << quieter << " dB";
  MrstftLoss<double> loss(loss_preset(LossPreset::auraloss), kRate, y);
  const double loss_same = loss.loss(x), loss_quieter = loss.loss(x_quieter);
  EXPECT_LT(loss_quieter, 1.3 * loss_same) << loss_same << " vs " << loss_quieter;
}

TEST(TfEnvelope, FailsAWrongDecayTiltPitchOrSilence) {
  const auto y = decaying_noise(1, 0.2);
  const double same = tf_envelope_error_db(decaying_noise(2, 0.2), y, kRate);
  EXPECT_GT(tf_envelope_error_db(decaying_noise(2, 0.05), y, kRate), same + 5.0) << "decay";
  EXPECT_GT(tf_envelope_error_db(decaying_noise(2, 0.2, 0.95), y, kRate), same + 5.0) << "tilt";
  const auto tone = decaying_tone(200.0);
  EXPECT_GT(tf_envelope_error_db(decaying_tone(400.0), tone, kRate), 10.0) << "pitch";
  EXPECT_LT(tf_envelope_error_db(decaying_tone(200.0), tone, kRate), 1e-9);
  EXPECT_GT(tf_envelope_error_db(std::vector<double>(y.size(), 0.0), y, kRate), 20.0) << "silence";
}

TEST(TfEnvelope, BandsFollowTheErbScaleUpToTheRate) {
  const auto cells = tf_envelope_db(decaying_noise(1, 0.2), kRate);
  ASSERT_EQ(cells.size(), size_t(kRate / 441));  // a frame every 10 ms
  // 40 Hz to 16 kHz is about 36 ERB: a band each, the lowest merged to 4 bins (100 Hz).
  EXPECT_GE(cells[0].size(), 28u);
  EXPECT_LE(cells[0].size(), 37u);
  // At 16 kHz the bands stop at 0.45 x 16 kHz = 7.2 kHz: about 29 ERB.
  const auto low_rate = tf_envelope_db(std::vector<double>(16000, 0.1), 16000.0);
  EXPECT_LT(low_rate[0].size(), cells[0].size());
}

TEST(EndLevel, IsTheDecaysLevelAtTheEndOrBeforeAFade) {
  // A tone under exp(-t / 0.3): 1 s from the peak, -20 log10(e) / 0.3 = -28.95 dB (less the
  // window's half width); with a 20 ms fade to silence at its end, the last 5 ms fall away
  // but the 5 ms ending 25 ms before the end still read the decay.
  std::vector<double> x = decaying_tone(1000.0);
  const double per_s = 20.0 * std::log10(std::exp(1.0)) / 0.3;
  const double rms = 20.0 * std::log10(std::sqrt(0.5));  // a sine's RMS against its peak
  EXPECT_NEAR(end_level_db(x, kRate), rms - per_s * (1.0 - 0.0025), 0.2);
  EXPECT_NEAR(end_level_db(x, kRate, 0.005, 0.025), rms - per_s * (1.0 - 0.0275), 0.2);
  const size_t fade = size_t(0.02 * kRate);
  for (size_t i = 0; i < fade; ++i) x[x.size() - 1 - i] *= double(i) / double(fade) * 1e-3;
  EXPECT_LT(end_level_db(x, kRate), rms - per_s - 60.0);
  EXPECT_NEAR(end_level_db(x, kRate, 0.005, 0.025), rms - per_s * (1.0 - 0.0275), 0.2);
}

}  // namespace
}  // namespace drumsynth
