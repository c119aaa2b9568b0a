// Kits made from presets and read from sample kits (kit_maker.hpp): the
// RedZeppelin4 SFZ's 65 regions, the development set's Hydrogen kits, the
// velocity words of names; the SFZ a kit is written as, read back, its
// every region the kit's render at that region's velocity.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "drumsynth/audio_io.hpp"
#include "drumsynth/fit.hpp"
#include "drumsynth/kit_maker.hpp"
#include "drumsynth/param_table.hpp"
#include "test_support.hpp"

namespace drumsynth {
namespace {

using test::ScratchDir;

std::string text_of(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(KitMaker, ReadsTheRedZeppelinSfz) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  const auto m = read_kit_mapping((test::shared_data() / "kits/RedZeppelin4/kit.sfz").string());
  ASSERT_EQ(m.size(), 65u);
  EXPECT_EQ(m[0].sample, "samples/36-Kick-v1.flac");
  EXPECT_EQ(m[0].note, 36);
  EXPECT_EQ(m[0].lovel, 1);
  EXPECT_EQ(m[0].hivel, 26);
  EXPECT_EQ(m[4].lovel, 103);
  EXPECT_EQ(m[64].note, 56);
}

TEST(KitMaker, ReadsSfzGroupsNotesAndSpacesAndRefusesNonsense) {
  const auto m = read_sfz(
      "<control> default_path=drums/\n<group> lovel=64 hivel=127 // loud\n"
      "<region> sample=kick hard.wav key=c2\n<region> sample=snare.wav lokey=38 hikey=38 "
      "lovel=100\n",
      "t.sfz");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].sample, "drums/kick hard.wav");
  EXPECT_EQ(m[0].note, 36);  // c2
  EXPECT_EQ(m[0].lovel, 64);
  EXPECT_EQ(m[1].note, 38);
  EXPECT_EQ(m[1].lovel, 100);
  for (const char* bad : {"<region sample=a.wav", "<region> sample=a.wav key=xyz", "just words",
                          "<region> sample=a.wav lovel=90 hivel=10", "<region> key=36"}) {
    try {
      read_sfz(bad, "bad.sfz");
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const InputError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("bad.sfz: ", 0), 0u) << e.what();
    }
  }
}

TEST(KitMaker, ReadsTheDevelopmentSetsHydrogenKits) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  const auto m =
      read_kit_mapping((test::shared_data() / "drums-dev/ElectricEmpireKit/drumkit.xml").string());
  ASSERT_EQ(m.size(), 32u);
  EXPECT_EQ(m[0].sample, "EE_Kick_Lite_1.flac");
  EXPECT_EQ(m[0].note, 36);
  EXPECT_EQ(m[1].note, 37);
  for (const char* kit : {"Audiophob", "Gimme_A_Hand_1_0", "circAfrique_v4"})
    EXPECT_GT(
        read_kit_mapping((test::shared_data() / "drums-dev" / kit / "drumkit.xml").string()).size(),
        0u)
        << kit;
  EXPECT_THROW(read_hydrogen_kit("<html></html>", "x.xml"), InputError);
  // Layer ranges are fractions 0..1, min not above max (found by fuzz_kit_files).
  const auto layer = [](const char* min, const char* max) {
    return std::string(
               "<drumkit_info><instrument><id>0</id><layer><filename>k.wav</filename><min>") +
           min + "</min><max>" + max + "</max></layer></instrument></drumkit_info>";
  };
  const auto half = read_hydrogen_kit(layer("0.5", "1"), "x.xml");
  ASSERT_EQ(half.size(), 1u);
  EXPECT_EQ(half[0].lovel, 64);
  EXPECT_EQ(half[0].hivel, 127);
  for (const auto& [min, max] : {std::pair{"0.9", "0.1"}, {"nan", "1"}, {"0", "7"}, {"0", "1x"}})
    EXPECT_THROW(read_hydrogen_kit(layer(min, max), "x.xml"), InputError) << min << " " << max;
}

Preset tone_preset(double hz, uint64_t seed) {
  Preset p;
  p.params = params_from_logits(std::vector<double>(kNumParams, -3.0));
  p.params[P::tone_freq_hz(0)] = hz, p.params[P::tone_gain(0)] = 0.7,
  p.params[P::tone_decay_s(0)] = 0.2;
  p.sample_rate = 48000, p.n_samples = 4800, p.noise_seed = seed;
  return p;
}

// Without a sample kit: General MIDI notes by name, velocity words as layers, hats in a choke
// group.
TEST(KitMaker, MakesPadsFromNamesAndVelocityWords) {
  ScratchDir dir;
  std::vector<std::string> paths;
  for (const char* name : {"BongoHi-Hard", "BongoHi-Soft", "BongoHi-Hardest", "Closed Hat",
                           "Open Hat", "kick_v2", "kick_v1", "mystery"}) {
    paths.push_back(dir / (std::string(name) + ".preset.json"));
    save_preset(paths.back(), tone_preset(60, 1));
  }
  const Kit kit = make_kit(paths, nullptr, "test");
  std::map<int, const Pad*> by_note;
  for (const Pad& p : kit.pads) by_note[p.note] = &p;
  ASSERT_TRUE(by_note.count(60));
  ASSERT_EQ(by_note[60]->layers.size(), 3u);  // bongo: soft, hard, hardest
  EXPECT_NE(by_note[60]->layers[0].preset.find("Soft"), std::string::npos);
  EXPECT_NE(by_note[60]->layers[2].preset.find("Hardest"), std::string::npos);
  EXPECT_EQ(by_note[60]->layers[2].velocity, 127);
  ASSERT_TRUE(by_note.count(36));
  EXPECT_EQ(by_note[36]->layers.size(), 2u);
  EXPECT_NE(by_note[36]->layers[0].preset.find("kick_v1"), std::string::npos);
  ASSERT_TRUE(by_note.count(42) && by_note.count(46));
  EXPECT_EQ(by_note[42]->choke_group, 1);
  EXPECT_EQ(by_note[46]->choke_group, 1);
  EXPECT_EQ(kit.pads.size(), 5u);  // "mystery" (a low tone: a kick) moved to the next free note
}

TEST(KitMaker, TheSfzExportReadsBackAsTheKitsRenders) {
  ScratchDir dir;
  save_preset(dir / "low.preset.json", tone_preset(90, 1));
  save_preset(dir / "high.preset.json", tone_preset(180, 2));
  save_preset(dir / "hat.preset.json", tone_preset(3000, 3));
  Kit kit;
  kit.name = "two";
  kit.pads = {
      {"tom", 45, 0, 0, 0, 1, 0, {{dir / "low.preset.json", 40}, {dir / "high.preset.json", 127}}},
      {"closed hat", 42, 1, 0, 0, 1, 0, {{dir / "hat.preset.json", 127}}}};
  save_kit(dir / "two.kit.json", kit);
  const LoadedKit loaded = load_kit_presets(load_kit(dir / "two.kit.json"));
  const std::string sfz = export_sfz(loaded, dir / "sfz", "two", 3, 48000);
  const auto regions = read_sfz(text_of(sfz), sfz);
  ASSERT_EQ(regions.size(), 6u);
  EXPECT_NE(text_of(sfz).find("group=1 off_by=1"), std::string::npos);
  int lo_expected = 1, note = regions[0].note;
  for (const SampleMapping& r : regions) {
    if (r.note != note) lo_expected = 1, note = r.note;
    EXPECT_EQ(r.lovel, lo_expected);
    lo_expected = r.hivel + 1;
    const Sound s = load_sound((std::filesystem::path(dir / "sfz") / r.sample).string(), {60.0});
    const std::vector<double> want = render_kit(loaded, {{0.0, r.note, r.hivel}}, 48000);
    ASSERT_EQ(s.samples.size(), want.size()) << r.sample;
    double err = 0, peak = 0;
    for (size_t i = 0; i < want.size(); ++i)
      err = std::max(err, std::abs(double(s.samples[i]) - want[i])),
      peak = std::max(peak, std::abs(want[i]));
    EXPECT_LT(err, 1.5 / 8388608.0) << r.sample << ": more than 24-bit rounding off the render";
    EXPECT_GT(peak, 0.01) << r.sample;
  }
  EXPECT_EQ(regions.back().hivel, 127);
}

}  // namespace
}  // namespace drumsynth
