// Dechirping (host/analysis/dechirp.hpp): the swept time's inverse, resampling onto it,
// and the glide found from a hit alone, on tones that glide as the model's do.
#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <vector>

#include "analysis/dechirp.hpp"
#include "drumsynth/analysis.hpp"
#include "drumsynth/synth/pitch_sweep.hpp"
#include "loss/real_fft.hpp"

namespace drumsynth {
namespace {

// Partials (hz, gain, decay_s) gliding as the model's tones do, sin(2 pi f S(t)),
// after `onset_s` of silence, plus a little white noise.
std::vector<float> gliding_partials(double sr, double seconds, double onset_s,
                                    const PitchSweep& sweep,
                                    const std::vector<std::array<double, 3>>& partials) {
  std::vector<float> x(size_t(seconds * sr), 0.0f);
  uint32_t state = 12345;
  for (size_t i = 0; i < x.size(); ++i) {
    const double t = double(i) / sr - onset_s;
    state = state * 1664525u + 1013904223u;
    double v = 1e-4 * (double(state) / 4294967296.0 - 0.5);
    if (t > 0) {
      const double S = swept_time<double>(t, sweep.ratio, sweep.sweep_s);
      for (const auto& [hz, gain, decay_s] : partials)
        v += gain * std::exp(-t / decay_s) * std::sin(kTwoPi * hz * S);
    }
    x[i] = float(v);
  }
  return x;
}

// The frequency of the largest bin of x's spectrum (Hann window, zero-padded
// to 65536 points), refined by a parabola through the log magnitudes.
double loudest_hz(const std::vector<double>& x, double sr) {
  const int n = 65536;
  std::vector<double> frame(n, 0.0);
  for (size_t i = 0; i < x.size() && i < size_t(n); ++i)
    frame[i] = x[i] * (0.5 - 0.5 * std::cos(kTwoPi * (double(i) + 0.5) / double(x.size())));
  std::vector<std::complex<double>> X(n / 2 + 1);
  RealFft<double>(n).forward(frame.data(), X.data());
  int k = 1;
  for (int j = 1; j < n / 2; ++j)
    if (std::abs(X[j]) > std::abs(X[k])) k = j;
  const double a = std::log(std::abs(X[k - 1])), b = std::log(std::abs(X[k])),
               c = std::log(std::abs(X[k + 1]));
  return (k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / n;
}

double cents(double a, double b) { return 1200.0 * std::log2(a / b); }

TEST(Dechirp, UnsweptTimeInvertsTheModelsSweptTime) {
  for (const PitchSweep s :
       {PitchSweep{1.0, 0.03}, PitchSweep{1.3, 0.002}, PitchSweep{8.0, 0.5}, PitchSweep{3.0, 0.05}})
    for (double t : {0.0, 1e-5, 0.001, 0.02, 0.3, 2.0}) {
      const double u = swept_time<double>(t, s.ratio, s.sweep_s);
      EXPECT_NEAR(unswept_time(u, s), t, 1e-10) << s.ratio << " " << s.sweep_s << " " << t;
      EXPECT_NEAR(unswept_time(u, s, 0.9 * t), t, 1e-10);          // from below
      EXPECT_NEAR(unswept_time(u, s, 1.01 * t + 1e-4), t, 1e-10);  // from just above
    }
}

// The solve for many points at once (chains of points in vector lanes) gives
// every point what its own solve gives, whatever the length (runs shorter than
// a lane count, lanes left over), at the parameter ranges' ends.
TEST(Dechirp, UnsweptTimesSolveEveryPointAsItsOwnSolveDoes) {
  for (const PitchSweep s : {PitchSweep{1.0, 0.03}, PitchSweep{1.3, 0.002}, PitchSweep{8.0, 0.5},
                             PitchSweep{8.0, 0.002}, PitchSweep{3.0, 0.05}})
    for (int len : {1, 2, 15, 16, 17, 33, 1024, 6145})
      for (double u0 : {0.0, swept_time<double>(0.005, s.ratio, s.sweep_s)}) {
        const double du = (swept_time<double>(0.4, s.ratio, s.sweep_s) - u0) / len;
        const auto t = unswept_times(s, len, du, u0);
        ASSERT_EQ(t.size(), size_t(len));
        for (int i = 0; i < len; ++i) {
          const double u = u0 + i * du;
          ASSERT_NEAR(t[size_t(i)], unswept_time(u, s), 1e-10)
              << s.ratio << " " << s.sweep_s << " " << len << " " << i;
          ASSERT_NEAR(swept_time<double>(t[size_t(i)], s.ratio, s.sweep_s), u, 1e-10 * s.ratio);
        }
      }
  EXPECT_TRUE(unswept_times(PitchSweep{2.0, 0.01}, 0, 1e-4).empty());
}

TEST(Dechirp, WithoutAGlideItCopiesTheSamples) {
  std::vector<float> x(300);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(std::sin(0.37 * double(i)) + 0.01 * double(i));
  const auto y = dechirp(x, 20.0, 16000.0, PitchSweep{1.0, 0.03}, 250, 1.0 / 16000);
  for (size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], x[i + 20], 1e-6) << i;
}

// A 300 Hz partial gliding down from 900 Hz: its spectrum over the first
// 0.4 s peaks far above 300 Hz; dechirped with its glide, at 300 Hz to a
// hundredth of a bin of the 0.4 s window.
TEST(Dechirp, TurnsAGlidingPartialIntoASteadyOne) {
  const double sr = 16000;
  const PitchSweep glide{3.0, 0.12};
  const auto x = gliding_partials(sr, 0.6, 0.01, glide, {{300.0, 0.5, 0.4}});
  const int len = int(0.4 * sr);
  const std::vector<double> raw(x.begin() + int(0.01 * sr), x.begin() + int(0.01 * sr) + len);
  EXPECT_GT(cents(loudest_hz(raw, sr), 300.0), 50.0);
  const auto steady = dechirp(x, 0.01 * sr, sr, glide, len, 1.0 / sr);
  EXPECT_NEAR(loudest_hz(steady, sr), 300.0, 0.03);
}

// The glide from the hit alone, for glides slow and fast, strong and weak:
// close enough that the dechirped partials land within a few cents of their
// end frequencies; no glide is found where there is none. A glide mostly over
// within the first 5 ms, which the search leaves out (sweep_s 0.01), has its
// end frequency found, not its ratio and time constant, which trade against
// each other there. (A glide still running at the end of the analysed 0.4 s,
// e.g. ratio 5 with sweep_s 0.15, is found to about 10%, and its end
// frequency only to about 150 cents.)
TEST(Dechirp, FindsTheGlideFromTheHitAlone) {
  const double sr = 16000;
  const std::vector<std::array<double, 3>> partials = {
      {180.0, 0.5, 0.3}, {455.0, 0.3, 0.15}, {1210.0, 0.2, 0.08}};
  for (const PitchSweep truth :
       {PitchSweep{2.5, 0.04}, PitchSweep{4.0, 0.08}, PitchSweep{1.5, 0.01}}) {
    const auto x = gliding_partials(sr, 0.5, 0.02, truth, partials);
    const PitchSweep found = estimate_pitch_sweep(x, 0.02, sr);
    if (truth.sweep_s > 0.02) {
      EXPECT_NEAR(found.ratio, truth.ratio, 0.1 * truth.ratio)
          << truth.ratio << " " << truth.sweep_s;
      EXPECT_NEAR(found.sweep_s, truth.sweep_s, 0.2 * truth.sweep_s)
          << truth.ratio << " " << truth.sweep_s;
    }
    const auto steady = dechirp(x, 0.02 * sr, sr, found, int(0.4 * sr), 1.0 / sr);
    EXPECT_LT(std::abs(cents(loudest_hz(steady, sr), 180.0)), 5.0)
        << truth.ratio << " " << truth.sweep_s;
  }
  const auto flat = gliding_partials(sr, 0.5, 0.02, PitchSweep{1.0, 0.03}, partials);
  EXPECT_LT(estimate_pitch_sweep(flat, 0.02, sr).ratio, 1.03);
}

// A hit with no steady pitch to concentrate (decaying white noise, a finger
// snap's kind): some glide of the 1,700 tried always scores a little higher
// than none by chance, and must not be taken for one.
TEST(Dechirp, NoiseHasNoGlide) {
  const double sr = 16000;
  for (uint32_t seed : {1u, 2u, 3u, 4u}) {
    std::vector<float> x(size_t(0.5 * sr), 0.0f);
    uint32_t state = seed;
    for (size_t i = size_t(0.02 * sr); i < x.size(); ++i) {
      state = state * 1664525u + 1013904223u;
      x[i] =
          float((double(state) / 4294967296.0 - 0.5) * std::exp(-(double(i) / sr - 0.02) / 0.08));
    }
    EXPECT_EQ(estimate_pitch_sweep(x, 0.02, sr).ratio, 1.0) << seed;
  }
}

TEST(Dechirp, TooShortOrSilentMeansNoGlide) {
  EXPECT_EQ(estimate_pitch_sweep(std::vector<float>(100, 0.1f), 0.0, 16000).ratio, 1.0);
  const PitchSweep silent = estimate_pitch_sweep(std::vector<float>(16000, 0.0f), 0.0, 16000);
  EXPECT_TRUE(std::isfinite(silent.ratio) && std::isfinite(silent.sweep_s));
}

// The analysis reads the partials' end frequencies off the dechirped hit.
TEST(Dechirp, AnalysisGivesEndFrequenciesOfGlidingPartials) {
  const double sr = 44100;
  const auto x = gliding_partials(sr, 0.6, 0.02, PitchSweep{3.0, 0.06},
                                  {{150.0, 0.6, 0.4}, {377.0, 0.3, 0.2}});
  const Analysis a = analyse(Sound{"glide.wav", sr, 1, x});
  EXPECT_NEAR(a.glide_ratio, 3.0, 0.3);
  EXPECT_NEAR(a.sweep_s, 0.06, 0.012);
  ASSERT_GE(a.peak_hz.size(), 2u);
  EXPECT_LT(std::abs(cents(a.peak_hz[0], 150.0)), 5.0);
  EXPECT_LT(std::abs(cents(a.peak_hz[1], 377.0)), 5.0);
}

}  // namespace
}  // namespace drumsynth
