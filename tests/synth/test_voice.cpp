// The whole voice: dL/dparameter from render_voice_vjp against central finite
// differences in double precision, for every parameter, on random presets and
// at both ends of every range; and the physical-units properties.
#include <gtest/gtest.h>

#include <random>

#include "cpu/flush_denormals.hpp"
#include "drumsynth/param_table.hpp"
#include "gradient_check.hpp"
#include "synth/voice_tape.hpp"

namespace drumsynth {
namespace {

std::vector<std::string> param_names() {
  std::vector<std::string> n;
  for (const auto& s : param_table()) n.push_back(s.name);
  return n;
}

// L = sum_n w[n] out[n] with fixed random weights: v_out = w.
struct LinearProbe {
  VoiceSpec spec;
  std::vector<double> w;
  LinearProbe(int n, double sr, uint64_t seed) {
    spec = {n, sr, seed};
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> g;
    for (int i = 0; i < n; ++i) w.push_back(g(rng));
  }
  // In long double: the difference quotient's side of the check.
  long double loss(const std::vector<long double>& p) const {
    const auto out = render(p, spec);
    long double l = 0;
    for (size_t i = 0; i < out.size(); ++i) l += w[i] * out[i];
    return l;
  }
  std::vector<double> gradient(const std::vector<double>& p) const {
    VoiceTape<double> tape;
    render_voice(p.data(), spec, tape);
    std::vector<double> v(kNumParams, 0.0);
    render_voice_vjp(p.data(), spec, tape, w.data(), v.data());
    return v;
  }
};

std::vector<double> random_params(std::mt19937_64& rng) {
  std::normal_distribution<double> g(0.0, 1.5);
  std::vector<double> z(kNumParams);
  for (auto& v : z) v = g(rng);
  return params_from_logits(z);
}

void check_all_parameters(const std::vector<double>& p, const LinearProbe& probe,
                          const std::string& what) {
  const auto analytic = probe.gradient(p);
  const auto numeric = test::numeric_gradient<long double>(
      [&](const auto& q) { return probe.loss(q); }, p,
      test::synth_steps(p, probe.spec.n_samples / probe.spec.sample_rate, 1e-5));
  // Compare each dL/dp_i scaled by the parameter's size (dL per relative change,
  // what the log-mapped optimiser sees). Relative error below 1e-5 (the issue's
  // bound), measured against max(|a|, |n|, 1e-9 * largest component): the
  // quotient is taken in long double, whose rounding stays far below that, and
  // the floor only keeps components that are zero in both from dividing 0 by 0.
  std::vector<double> a(kNumParams), n(kNumParams);
  double largest = 0;
  for (int i = 0; i < kNumParams; ++i) {
    const double scale = std::max(std::abs(p[i]), param_table()[i].max * 1e-3);
    a[i] = analytic[i] * scale;
    n[i] = numeric[i] * scale;
    largest = std::max(largest, std::abs(n[i]));
  }
  // The gate is held (release.hpp): no gradient of its own (its adjoint is
  // checked in tests/synth/test_release.cpp); what it adds to the onset's is
  // checked here.
  for (int i : {int(P::gate_start_s), int(P::gate_s)}) {
    EXPECT_EQ(analytic[i], 0.0) << what;
    a[i] = n[i] = 0.0;
  }
  // Tolerance 1e-5 relative (the bound).
  test::expect_gradients_match(a, n, param_names(), 1e-5, 1e-9 * largest, what);
}

TEST(Voice, GradientMatchesFiniteDifferencesOnRandomPresets) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 4; ++trial) {
    const double sr = trial % 2 ? 16000.0 : 22050.0;
    LinearProbe probe(3000, sr, 100 + trial);
    auto p = random_params(rng);
    // Inside the short test signal, and off the sample grid: an onset exactly on a
    // sample is a corner of the envelope, where the derivative is one-sided.
    p[P::onset_s] = 0.0123457 + 0.00071 * trial;
    check_all_parameters(p, probe, "random preset " + std::to_string(trial));
  }
}

// The release and the gate inside the signal (random presets mostly start
// them past their short test signals' end).
TEST(Voice, GradientMatchesFiniteDifferencesWithTheReleaseInside) {
  std::mt19937_64 rng(12);
  for (int trial = 0; trial < 2; ++trial) {
    LinearProbe probe(3000, 16000.0, 200 + trial);
    auto p = random_params(rng);
    p[P::onset_s] = 0.0123457;
    p[P::release_start_s] = 0.0731 + 0.02 * trial;
    p[P::release_s] = 0.02 + 0.1 * trial;
    p[P::gate_start_s] = 0.1 + 0.03 * trial;
    p[P::gate_s] = 0.01 + 0.02 * trial;
    check_all_parameters(p, probe, "release inside, preset " + std::to_string(trial));
  }
}

TEST(Voice, GradientMatchesFiniteDifferencesAtRangeEnds) {
  const auto& t = param_table();
  for (int end = 0; end < 2; ++end) {
    std::vector<double> p(kNumParams);
    for (int i = 0; i < kNumParams; ++i) p[i] = end ? t[i].max : t[i].min;
    // The onset's derivative is one-sided when it falls exactly on a sample (the
    // envelope starts with a corner); at the lower end, 0 is sample 0. A third of a
    // sample inside the range keeps the check two-sided.
    // Likewise the resonator's delay sr/f: at 16 kHz the top 1000 Hz is exactly 16
    // samples, a corner of the linear interpolation; at 11.025 kHz the ends are 11.025 and 367.5
    // samples.
    const double sr = 11025.0;
    // The release at its minimum (10 ms, then 2 ms) would leave every later
    // sample at e^-10 and below, and the check of the other blocks' minima
    // with nothing above rounding: at both ends it stays past the signal.
    p[P::release_start_s] = t[P::release_start_s].max, p[P::release_s] = t[P::release_s].max;
    p[P::gate_start_s] = t[P::gate_start_s].max,
    p[P::gate_s] = t[P::gate_s].max;  // (as the release)
    if (!end) p[P::onset_s] = 0.33 / sr;
    if (end) p[P::onset_s] = 0.05 - 0.33 / sr;
    LinearProbe probe(end ? 4000 : 2000, sr, 3);
    check_all_parameters(p, probe, end ? "all parameters at max" : "all parameters at min");
  }
}

TEST(Voice, RenderIsDeterministicAndLengthIndependent) {
  std::mt19937_64 rng(1);
  const auto p = random_params(rng);
  const auto a = render(p, VoiceSpec{8000, 44100.0, 5});
  const auto b = render(p, VoiceSpec{12000, 44100.0, 5});
  for (int i = 0; i < 8000; ++i) ASSERT_EQ(a[i], b[i]) << i;  // a is a prefix of b
  const auto c = render(p, VoiceSpec{8000, 44100.0, 6});
  double diff = 0;
  for (int i = 0; i < 8000; ++i) diff += std::abs(a[i] - c[i]);
  EXPECT_GT(diff, 0.0) << "another noise seed must give other noise";
}

// Physical units: a single partial at 440 Hz crosses zero at the same times
// (in seconds) at any sample rate, whatever the render's length.
TEST(Voice, ToneFrequencyIsInHertzAtAnySampleRate) {
  std::vector<double> p(kNumParams);
  const auto& t = param_table();
  for (int i = 0; i < kNumParams; ++i) p[i] = t[i].min;  // everything as quiet as it gets
  p[P::tone_freq_hz(0)] = 440.0;
  p[P::tone_gain(0)] = 0.5;
  p[P::tone_decay_s(0)] = 3.0;
  for (double sr : {22050.0, 48000.0, 96000.0}) {
    const int n = int(sr * 0.25);
    const auto y = render(p, VoiceSpec{n, sr, 1});
    int crossings = 0;
    for (int i = 1; i < n; ++i) crossings += (y[i - 1] < 0) != (y[i] < 0);
    // 0.25 s of 440 Hz: 110 periods, 220 zero crossings (+-1 at the ends)
    EXPECT_NEAR(crossings, 220, 1) << "sample rate " << sr;
  }
}

// The noise's branch on a second thread: the same audio and gradient to the
// last bit, and a tape reused for the next call (another seed, another preset)
// gives what a fresh one does.
TEST(Voice, TwoThreadsAndAReusedTapeGiveTheSameBits) {
  std::mt19937_64 rng(5);
  VoiceTape<float> reused;
  for (uint64_t seed : {3u, 4u, 4u}) {
    const auto pd = random_params(rng);
    const std::vector<float> p(pd.begin(), pd.end());
    const VoiceSpec spec{9000, 48000.0, seed};
    std::vector<float> w(9000);
    for (auto& v : w) v = float(std::normal_distribution<double>()(rng));
    std::vector<std::vector<float>> out, grad;
    for (int threads : {1, 2}) {
      VoiceTape<float> tape;
      render_voice(p.data(), spec, tape, threads);
      std::vector<float> v(kNumParams, 0.0f);
      render_voice_vjp(p.data(), spec, tape, w.data(), v.data(), threads);
      out.push_back(tape.out), grad.push_back(v);
    }
    render_voice(p.data(), spec, reused, 2);
    std::vector<float> v(kNumParams, 0.0f);
    render_voice_vjp(p.data(), spec, reused, w.data(), v.data(), 2);
    out.push_back(reused.out), grad.push_back(v);
    for (size_t k = 1; k < out.size(); ++k) {
      EXPECT_EQ(out[0], out[k]) << "seed " << seed << ", variant " << k;
      EXPECT_EQ(grad[0], grad[k]) << "seed " << seed << ", variant " << k;
    }
  }
}

// The voice and the loss run with denormals flushed (flush_denormals.hpp) and
// leave the caller's mode as they found it.
TEST(Voice, FlushesDenormalsInsideAndRestoresTheCallersMode) {
  volatile float tiny = 1e-30f, scale = 1e-10f;  // volatile: computed at run time
  EXPECT_GT(tiny * scale, 0.0f) << "the test needs denormals on outside";
  {
    const FlushDenormals flush;
    EXPECT_EQ(tiny * scale, 0.0f);
  }
  EXPECT_GT(tiny * scale, 0.0f);
  const auto p = params_from_logits(std::vector<double>(kNumParams, 0.0));
  VoiceTape<double> tape;
  render_voice(p.data(), VoiceSpec{4800, 48000.0, 1}, tape);
  EXPECT_GT(tiny * scale, 0.0f);
}

TEST(Params, LogitMapRoundTripsAndItsAdjointMatches) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> g(0.0, 2.0);
  std::vector<double> z(kNumParams);
  for (auto& v : z) v = g(rng);
  const auto p = params_from_logits(z);
  const auto z2 = logits_from_params(p);
  for (int i = 0; i < kNumParams; ++i) EXPECT_NEAR(z[i], z2[i], 1e-9) << param_table()[i].name;
  for (int i = 0; i < kNumParams; ++i) {
    EXPECT_GE(p[i], param_table()[i].min);
    EXPECT_LE(p[i], param_table()[i].max);
  }
  // Each value depends on its own logit only: check d value_i / d z_i one at a time.
  std::vector<double> analytic = params_from_logits_vjp(z, p, std::vector<double>(kNumParams, 1.0));
  std::vector<double> numeric(kNumParams);
  for (int i = 0; i < kNumParams; ++i) {
    auto value = [&](double zi) {
      auto zz = z;
      zz[i] = zi;
      return params_from_logits(zz)[i];
    };
    numeric[i] = test::numeric_gradient<double>([&](const auto& v) { return value(v[0]); }, {z[i]},
                                                {1e-4})[0];
  }
  // Analytic in double against an O(h^4) difference quotient: worst seen ~1e-11.
  test::expect_gradients_match(analytic, numeric, param_names(), 1e-8, 1e-300, "logit maps");
}

}  // namespace
}  // namespace drumsynth
