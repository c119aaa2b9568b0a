// Hits in a recording (hits.hpp): every one-shot of the development set is
// one hit; a fragment mixed from one-shots (a kick, a quieter hi-hat over
// its ring, a snare, a soft kick) is four, at their onsets, loudest first in
// velocity; a flam's two strokes 25 ms apart are one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "drumsynth/batch.hpp"
#include "drumsynth/hits.hpp"
#include "test_support.hpp"

namespace drumsynth {
namespace {

Sound kit_sound(const std::string& name) {
  return load_sound((test::shared_data() / "drums-dev/ElectricEmpireKit" / name).string());
}

// a + gain b from `at_s` on, at a's rate (the kit's are all 44.1 kHz).
void add(std::vector<float>& mix, const Sound& b, double at_s, double gain, double rate) {
  const size_t at = size_t(std::lround(at_s * rate));
  if (mix.size() < at + b.samples.size()) mix.resize(at + b.samples.size(), 0.0f);
  for (size_t i = 0; i < b.samples.size(); ++i) mix[at + i] += float(gain) * b.samples[i];
}

TEST(Hits, EveryOneShotOfTheDevelopmentSetIsOneHit) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  int sounds = 0;
  for (const char* set : {"drums-dev", "seed-inputs"})
    for (const auto& f : find_audio_files((test::shared_data() / set).string())) {
      const auto hits = find_hits(load_sound(f));
      EXPECT_EQ(hits.size(), 1u) << f;
      ++sounds;
    }
  std::printf("  %d one-shots, each one hit\n", sounds);
  EXPECT_GT(sounds, 100);
}

TEST(Hits, AFragmentsHitsAreFoundAtTheirOnsets) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  const Sound kick = kit_sound("EE_Kick_Ring.flac"), hat = kit_sound("EE_Hat_Cl_Dirty.flac"),
              snare = kit_sound("EE_Snare_1.flac");
  const double rate = kick.sample_rate;
  ASSERT_EQ(hat.sample_rate, rate);
  ASSERT_EQ(snare.sample_rate, rate);
  // Each one-shot's own onset, to know where its hit begins in the mix.
  const double kick_on = find_hits(kick)[0].onset_s, hat_on = find_hits(hat)[0].onset_s,
               snare_on = find_hits(snare)[0].onset_s;
  std::vector<float> mix;
  const double at[4] = {0.0, 0.21, 0.5, 0.83}, gain[4] = {1.0, 0.3, 0.8, 0.4};
  add(mix, kick, at[0], gain[0], rate);
  add(mix, hat, at[1], gain[1], rate);  // over the kick's ring, 10 dB down
  add(mix, snare, at[2], gain[2], rate);
  add(mix, kick, at[3], gain[3], rate);
  const Sound fragment{"fragment", rate, 1, mix};
  const auto hits = find_hits(fragment);
  ASSERT_EQ(hits.size(), 4u);
  const double expected[4] = {at[0] + kick_on, at[1] + hat_on, at[2] + snare_on, at[3] + kick_on};
  for (int h = 0; h < 4; ++h) {
    std::printf("  hit %d at %.4f s (mixed in at %.4f s), velocity %d\n", h, hits[h].onset_s,
                expected[h], hits[h].velocity);
    EXPECT_NEAR(hits[h].onset_s, expected[h], 0.005) << h;
  }
  EXPECT_EQ(hits[0].velocity, 127);
  EXPECT_LT(hits[3].velocity, hits[0].velocity);  // the soft kick
  EXPECT_LT(hits[1].velocity, hits[2].velocity);  // the hat under the snare
}

TEST(Hits, AFlamIsOneHit) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  const Sound snare = kit_sound("EE_Snare_1.flac");
  std::vector<float> mix;
  add(mix, snare, 0.0, 0.5, snare.sample_rate);
  add(mix, snare, 0.025, 1.0, snare.sample_rate);
  EXPECT_EQ(find_hits({"flam", snare.sample_rate, 1, mix}).size(), 1u);
}

}  // namespace
}  // namespace drumsynth
