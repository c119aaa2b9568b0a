// Preset files: round trip, and a one-line error for each way a preset can be bad.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "drumsynth/audio_io.hpp"
#include "drumsynth/fit.hpp"
#include "drumsynth/param_table.hpp"
#include "drumsynth/preset.hpp"
#include "drumsynth/render.hpp"
#include "test_support.hpp"

namespace drumsynth {
namespace {

Preset example() {
  Preset p;
  const auto z = random_logits(3);
  for (float v : params_from_logits(z)) p.params.push_back(v);
  p.sample_rate = 44100;
  p.n_samples = 22050;
  p.noise_seed = 42;
  p.loss = loss_preset(LossPreset::auraloss);
  p.final_loss = 0.5;
  p.initial_loss = 2.5;
  p.iterations = 100;
  p.partials_dropped = 7;
  p.source = "kick.wav";
  return p;
}

TEST(Preset, RoundTripsThroughJson) {
  const Preset a = example();
  const Preset b = preset_from_json(preset_to_json(a), "x.preset.json");
  EXPECT_EQ(a.params, b.params);
  EXPECT_EQ(a.sample_rate, b.sample_rate);
  EXPECT_EQ(a.n_samples, b.n_samples);
  EXPECT_EQ(a.noise_seed, b.noise_seed);
  EXPECT_EQ(a.loss.preset, b.loss.preset);
  EXPECT_EQ(a.loss.resolutions.size(), b.loss.resolutions.size());
  EXPECT_EQ(a.final_loss, b.final_loss);
  EXPECT_EQ(a.partials_dropped, b.partials_dropped);
  EXPECT_EQ(a.source, b.source);
  // Readable: physical units by name, with the format version.
  const auto j = nlohmann::json::parse(preset_to_json(a));
  EXPECT_EQ(j["format_version"], kPresetFormatVersion);
  EXPECT_EQ(j["parameters"]["tone1_freq_hz"]["unit"], "Hz");
  EXPECT_EQ(j["parameters"]["onset_s"]["map"], "linear");
}

// The band-energy term's settings are written only when it is on, and a
// preset without them (fitted with seed or auraloss, or before the term
// existed) reads back with the term off.
TEST(Preset, LossBandTermRoundTripsAndDefaultsToOff) {
  Preset a = example();
  a.loss = loss_preset(LossPreset::bands);
  const Preset b = preset_from_json(preset_to_json(a), "x.preset.json");
  EXPECT_EQ(b.loss.preset, LossPreset::bands);
  EXPECT_EQ(b.loss.w_band_log, kBandsWeight);
  EXPECT_EQ(b.loss.band_range_db, a.loss.band_range_db);
  EXPECT_FALSE(b.loss.a_weighting);
  const std::string plain = preset_to_json(example());
  EXPECT_EQ(plain.find("w_band_log"), std::string::npos);
  EXPECT_EQ(preset_from_json(plain, "x.preset.json").loss.w_band_log, 0.0);
}

// The loss's name only labels its settings: one this drumsynth does not know
// (an edited file's) reads as custom, with the settings as written.
TEST(Preset, UnknownLossNameReadsAsCustom) {
  Preset a = example();
  a.loss = loss_preset(LossPreset::auraloss);
  std::string text = preset_to_json(a);
  const std::string named = "\"preset\": \"auraloss\"";
  ASSERT_NE(text.find(named), std::string::npos) << text;
  text.replace(text.find(named), named.size(), "\"preset\": \"mine\"");
  const Preset b = preset_from_json(text, "x.preset.json");
  EXPECT_EQ(b.loss.preset, LossPreset::custom);
  EXPECT_EQ(b.loss.resolutions.size(), a.loss.resolutions.size());
  EXPECT_NE(preset_to_json(b).find("\"preset\": \"custom\""), std::string::npos);
}

void expect_bad(const std::string& text, const std::string& problem) {
  try {
    preset_from_json(text, "bad.preset.json");
    ADD_FAILURE() << "accepted: " << problem;
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind("bad.preset.json: ", 0), 0u) << m;
    EXPECT_NE(m.find(problem), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
  }
}

TEST(Preset, RejectsBadPresetsWithOneLine) {
  const std::string good = preset_to_json(example());
  expect_bad("{ \"format\": ", "not valid JSON");
  expect_bad("[1, 2]", "not a drumsynth preset");
  auto j = nlohmann::json::parse(good);
  j["format_version"] = 99;
  expect_bad(j.dump(), "unknown preset format version 99");
  j = nlohmann::json::parse(good);
  j["parameters"].erase("tone3_gain");
  expect_bad(j.dump(), "missing parameter 'tone3_gain'");
  j = nlohmann::json::parse(good);
  j["parameters"]["noise_gain"]["value"] = 3.0;
  expect_bad(j.dump(), "parameter 'noise_gain' = 3 is outside its range [0.0001, 1]");
  j = nlohmann::json::parse(good);
  j["parameters"]["onset_s"]["value"] = "soon";
  expect_bad(j.dump(), "parameter 'onset_s' has no numeric value");
  j = nlohmann::json::parse(good);
  j.erase("sample_rate");
  expect_bad(j.dump(), "malformed preset");
}

// A version-2 preset (six noise bands, no release) loads with the release
// past its end and its last band's gain and decay in today's three top bands
// (noise_bank.hpp), which together cover what that band did.
TEST(Preset, Version2PresetsLoadWithTheirTopBandSplit) {
  auto j = nlohmann::json::parse(preset_to_json(example()));
  j["format_version"] = 2;
  for (const char* gone : {"noise_bank7_gain", "noise_bank7_decay_s", "noise_bank8_gain",
                           "noise_bank8_decay_s", "release_start_s", "release_s"})
    j["parameters"].erase(gone);
  const Preset p = preset_from_json(j.dump(), "v2.json");
  const Preset written = example();
  for (int i = 0; i < P::noise_bank_gain(kFirstTopNoiseBand + 1); ++i)
    EXPECT_NEAR(p.params[size_t(i)], written.params[size_t(i)], 1e-12 * written.params[size_t(i)]);
  for (int k = kFirstTopNoiseBand + 1; k < kNoiseBands; ++k) {
    EXPECT_EQ(p.params[P::noise_bank_gain(k)], p.params[P::noise_bank_gain(kFirstTopNoiseBand)]);
    EXPECT_EQ(p.params[P::noise_bank_decay_s(k)],
              p.params[P::noise_bank_decay_s(kFirstTopNoiseBand)]);
  }
  EXPECT_EQ(p.params[P::release_start_s], param_table()[P::release_start_s].max);
  EXPECT_EQ(p.params[P::gate_start_s], param_table()[P::gate_start_s].max);
}

// A version-3 preset (no gate) loads with every parameter as written and the
// gate past its end (off); one with gate values that claims version 3 ignores them.
TEST(Preset, Version3PresetsLoadWithTheGateOff) {
  auto j = nlohmann::json::parse(preset_to_json(example()));
  j["format_version"] = 3;
  j["parameters"].erase("gate_start_s"), j["parameters"].erase("gate_s");
  const Preset p = preset_from_json(j.dump(), "v3.json");
  const Preset written = example();
  for (int i = 0; i < P::gate_start_s; ++i)
    EXPECT_NEAR(p.params[size_t(i)], written.params[size_t(i)], 1e-12 * written.params[size_t(i)]);
  EXPECT_EQ(p.params[P::gate_start_s], param_table()[P::gate_start_s].max);
  EXPECT_EQ(p.params[P::gate_s], param_table()[P::gate_s].max);
  // Written today, the gate is there.
  EXPECT_TRUE(nlohmann::json::parse(preset_to_json(example()))["parameters"].contains("gate_s"));
}

TEST(Preset, AcceptsHandEditedValues) {
  auto j = nlohmann::json::parse(preset_to_json(example()));
  j["parameters"]["tone1_freq_hz"] = 110.0;  // a bare number is accepted too
  const Preset p = preset_from_json(j.dump(), "edited.json");
  EXPECT_EQ(p.params[P::tone_freq_hz(0)], 110.0);
}

TEST(Preset, LoadNamesMissingFile) {
  test::ScratchDir dir;
  EXPECT_THROW(load_preset(dir / "nope.json"), InputError);
  save_preset(dir / "a.preset.json", example());
  EXPECT_EQ(load_preset(dir / "a.preset.json").noise_seed, 42u);
}

// A version-1 preset (written by drumsynth before the noise bank) loads with a
// silent bank and renders exactly as it did then: tests/data holds such a
// preset and the first 0.5 s of its render by that version, as float32.
TEST(Preset, Version1PresetsRenderExactlyAsBefore) {
  const std::string dir = std::string(DRUMSYNTH_SOURCE_DIR) + "/tests/data/";
  const Preset p = load_preset(dir + "v1_hi_snare.preset.json");
  for (int k = 0; k < kNoiseBands; ++k) EXPECT_EQ(p.params[P::noise_bank_gain(k)], 0.0);
  std::ifstream in(dir + "v1_hi_snare.first_half_second.f32", std::ios::binary);
  std::vector<float> before(22050);
  in.read(reinterpret_cast<char*>(before.data()), std::streamsize(before.size() * sizeof(float)));
  ASSERT_TRUE(in) << "reference render missing";
  const auto now = render(p.params, VoiceSpec{int(before.size()), p.sample_rate, p.noise_seed});
  int differ = 0;
  for (size_t i = 0; i < before.size(); ++i) differ += float(now[i]) != before[i];
  EXPECT_EQ(differ, 0) << "of " << before.size() << " samples";
}

// Inputs the fuzzers (tests/fuzz) found to escape as something other than
// an InputError, kept as they were found: each must now be refused with one.
TEST(Preset, FuzzFindingsAreRefusedWithAnInputError) {
  namespace fs = std::filesystem;
  int n = 0;
  for (const auto& e :
       fs::directory_iterator(std::string(DRUMSYNTH_SOURCE_DIR) + "/tests/data/fuzz-regressions")) {
    if (e.path().filename().string().rfind("preset-", 0) != 0) continue;
    std::ifstream in(e.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    EXPECT_THROW(preset_from_json(text, e.path().string()), InputError) << e.path();
    ++n;
  }
  EXPECT_GE(n, 1);
}

}  // namespace
}  // namespace drumsynth
