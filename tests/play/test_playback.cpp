// Playing a preset back (playback.hpp): to its natural length by default,
// where it has died away; a shorter length ends with a release fade instead
// of a click; the parts before the fade are the natural render's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "drumsynth/fit.hpp"
#include "drumsynth/param_table.hpp"
#include "drumsynth/playback.hpp"

namespace drumsynth {
namespace {

// A ringing tom: partials decaying over 0.2-0.8 s, a short noise, at 48 kHz.
Preset ringing_preset() {
  Preset p;
  p.params = params_from_logits(std::vector<double>(kNumParams, -2.0));
  p.params[P::tone_gain(0)] = 0.8, p.params[P::tone_decay_s(0)] = 0.8,
  p.params[P::tone_freq_hz(0)] = 110;
  p.params[P::tone_gain(1)] = 0.3, p.params[P::tone_decay_s(1)] = 0.2,
  p.params[P::tone_freq_hz(1)] = 260;
  p.params[P::release_start_s] = param_table()[P::release_start_s].max;  // no release: rings out
  p.params[P::gate_start_s] = param_table()[P::gate_start_s].max;        // nor gate
  p.sample_rate = 48000, p.n_samples = 24000, p.noise_seed = 7;
  return p;
}

double peak(const std::vector<double>& x) {
  double m = 0;
  for (double v : x) m = std::max(m, std::abs(v));
  return m;
}

TEST(Playback, DefaultLengthIsWhereTheSoundHasDiedAway) {
  const Preset p = ringing_preset();
  const std::vector<double> x = play_preset(p);
  const double floor = peak(x) * std::pow(10.0, -kNaturalEndDb / 20.0);
  // 0.8 s to fall 90 dB: about 0.8 ln(10^4.5) = 8.3 s.
  const double seconds = double(x.size()) / p.sample_rate;
  std::printf("  natural length %.2f s (the target's 0.5 s)\n", seconds);
  EXPECT_GT(seconds, 6.0);
  EXPECT_LT(seconds, 10.0);
  EXPECT_GT(std::abs(x.back()), floor);
  // Rendered on for a second, nothing after the end rises above the floor again.
  const std::vector<double> longer = play_preset(p, 0, seconds + 1.0);
  for (size_t i = x.size(); i < longer.size(); ++i) ASSERT_LE(std::abs(longer[i]), floor) << i;
  EXPECT_EQ(natural_length_s(p), seconds);
}

TEST(Playback, ShorterThanNaturalEndsWithAReleaseFade) {
  const Preset p = ringing_preset();
  const std::vector<double> natural = play_preset(p), cut = play_preset(p, 0, 0.5);
  ASSERT_EQ(cut.size(), 24000u);
  const size_t fade = size_t(kReleaseFadeS * p.sample_rate);
  // Before the fade: the natural render's samples; in it, never louder; its last sample 0.
  for (size_t i = 0; i + fade < cut.size(); ++i) ASSERT_EQ(cut[i], natural[i]) << i;
  for (size_t i = cut.size() - fade; i < cut.size(); ++i)
    ASSERT_LE(std::abs(cut[i]), std::abs(natural[i])) << i;
  EXPECT_EQ(cut.back(), 0.0);
  EXPECT_GT(std::abs(natural[cut.size() - 1]), 1e-3)
      << "the test's cut must be where the sound still rings";
  // Longer than natural: no fade, the natural render then near-silence.
  const std::vector<double> longer = play_preset(p, 0, 10.0);
  for (size_t i = 0; i < natural.size(); ++i) ASSERT_EQ(longer[i], natural[i]) << i;
}

TEST(Playback, AnotherRateKeepsTheSound) {
  const Preset p = ringing_preset();
  const double at48 = natural_length_s(p), at96 = natural_length_s(p, 96000);
  EXPECT_NEAR(at96, at48, 0.05);
  EXPECT_THROW(play_preset(p, 4000), Error);
}

}  // namespace
}  // namespace drumsynth
