// The tone partials and the pitch sweep: the per-sample form the CUDA kernels
// use (source_sample and its _vjp) against the CPU's sample loops and
// against finite differences, and the sweep against the frequencies it should give.
#include <gtest/gtest.h>

#include "drumsynth/param_table.hpp"
#include "gradient_check.hpp"
#include "synth/voice_tape.hpp"

namespace drumsynth {
namespace {

std::vector<double> preset(uint64_t seed) {
  auto p = test::random_params(seed, 1.2);
  p[P::onset_s] = 0.00731;
  return p;
}

TEST(TonePartials, PerSampleFormMatchesTheCpuLoops) {
  const auto p = preset(1);
  const VoiceSpec spec{4000, 22050.0, 3};
  VoiceTape<double> tape;
  render_voice(p.data(), spec, tape);
  for (int i = 0; i < spec.n_samples; ++i)
    ASSERT_NEAR(source_sample(p.data(), phase_time(p.data(), i, 22050.0)), tape.source[i], 1e-12)
        << i;
}

// L = sum_n w[n] source[n] through the per-sample adjoint (the GPU's form).
TEST(TonePartials, PerSampleAdjointMatchesFiniteDifferences) {
  for (uint64_t seed : {2u, 3u}) {
    const auto p = preset(seed);
    const int n = 2500;
    const double sr = 22050.0;
    std::vector<double> w(n);
    for (int i = 0; i < n; ++i) w[i] = std::sin(0.013 * i * i);
    std::vector<double> v(kNumParams, 0.0);
    for (int i = 0; i < n; ++i)
      source_sample_vjp(p.data(), phase_time(p.data(), i, sr), w[i], v.data());
    auto loss = [&](const std::vector<long double>& q) {
      long double l = 0;
      for (int i = 0; i < n; ++i)
        l += w[i] * source_sample(q.data(), phase_time(q.data(), i, (long double)sr));
      return l;
    };
    const auto h = test::synth_steps(p, n / sr, 1e-6);
    auto numeric = test::numeric_gradient<long double>(loss, p, h);
    std::vector<std::string> names;
    std::vector<double> a, nn;
    double largest = 0;
    for (int i = 0; i < kNumParams; ++i) {
      if (i >= P::resonator_freq_hz) continue;  // the source has no resonator or noise
      names.push_back(param_table()[i].name);
      a.push_back(v[i] * p[i]);
      nn.push_back(numeric[i] * p[i]);
      largest = std::max(largest, std::abs(nn.back()));
    }
    // 1e-5 relative; worst seen 2e-8 (x86-64). Floor 1e-9 of the largest: 0/0 guard.
    test::expect_gradients_match(a, nn, names, 1e-5, 1e-9 * largest,
                                 "per-sample source, seed " + std::to_string(seed));
  }
}

// A partial at 200 Hz swept from 800 Hz (ratio 4) with a 20 ms time constant:
// zero crossings come 4x as often at the start as at the end.
TEST(TonePartials, PitchSweepFallsFromRatioTimesFToF) {
  std::vector<double> p(kNumParams);
  for (int i = 0; i < kNumParams; ++i) p[i] = param_table()[i].min;
  p[P::tone_freq_hz(0)] = 200.0, p[P::tone_gain(0)] = 1.0, p[P::tone_decay_s(0)] = 3.0;
  p[P::sweep_ratio] = 4.0, p[P::sweep_s] = 0.02;
  const double sr = 48000;
  auto crossings = [&](double t0, double t1) {
    int c = 0;
    double prev = source_sample(p.data(), t0);
    for (int i = int(t0 * sr) + 1; i < int(t1 * sr); ++i) {
      const double v = source_sample(p.data(), i / sr);
      c += (prev < 0) != (v < 0);
      prev = v;
    }
    return c / (2 * (t1 - t0));  // crossings per second / 2 = frequency
  };
  // instantaneous f(t) = 200 (1 + 3 exp(-t / 0.02)): mean over [1, 3] ms is ~753 Hz
  EXPECT_NEAR(crossings(0.001, 0.003),
              200 * (1 + 3 * 0.02 / 0.002 * (std::exp(-0.05) - std::exp(-0.15))), 30);
  EXPECT_NEAR(crossings(0.5, 1.0), 200.0, 3);
}

}  // namespace
}  // namespace drumsynth
