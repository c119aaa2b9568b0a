// Kit files, MIDI files and the kit played offline (kit.hpp, midi.hpp,
// kit_render.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <tuple>

#include "drumsynth/kit_render.hpp"
#include "drumsynth/param_table.hpp"
#include "drumsynth/playback.hpp"
#include "test_support.hpp"

namespace drumsynth {
namespace {

using test::ScratchDir;

Preset decaying_preset(double freq_hz, double decay_s, uint64_t seed) {
  Preset p;
  p.params = params_from_logits(std::vector<double>(kNumParams, -3.0));
  p.params[P::tone_gain(0)] = 0.8, p.params[P::tone_decay_s(0)] = decay_s,
  p.params[P::tone_freq_hz(0)] = freq_hz;
  p.sample_rate = 48000, p.n_samples = 4800, p.noise_seed = seed;
  return p;
}

// A kit of two pads in one choke group (a closed hat cuts an open one) and
// a two-layer pad, its presets written beside it.
Kit example_kit(const ScratchDir& dir) {
  save_preset(dir / "open.preset.json", decaying_preset(3000, 0.8, 1));
  save_preset(dir / "closed.preset.json", decaying_preset(4000, 0.05, 2));
  save_preset(dir / "soft.preset.json", decaying_preset(80, 0.3, 3));
  save_preset(dir / "hard.preset.json", decaying_preset(90, 0.4, 4));
  Kit kit;
  kit.name = "example";
  kit.pads = {{"open hat", 46, 1, 0, 0, 1, 0, {{dir / "open.preset.json", 127}}},
              {"closed hat", 42, 1, -6, 0, 1, 0, {{dir / "closed.preset.json", 127}}},
              {"kick",
               36,
               0,
               0,
               0,
               1,
               0,
               {{dir / "soft.preset.json", 40}, {dir / "hard.preset.json", 120}}}};
  save_kit(dir / "example.kit.json", kit);
  return load_kit(dir / "example.kit.json");
}

TEST(Kit, RoundTripsWithPathsRelativeToItsFile) {
  ScratchDir dir;
  const Kit kit = example_kit(dir);
  ASSERT_EQ(kit.pads.size(), 3u);
  EXPECT_EQ(kit.pads[2].layers[0].preset, "soft.preset.json");  // relative in the file
  EXPECT_EQ(kit.pads[1].level_db, -6);
  EXPECT_EQ(kit.pads[0].choke_group, 1);
  EXPECT_TRUE(std::filesystem::exists(layer_path(kit, kit.pads[2].layers[1])));
  EXPECT_EQ(
      kit_from_json(kit_to_json(kit, dir.path.string()), "x.kit.json").pads[2].layers[1].velocity,
      120);
}

TEST(Kit, BadKitsAreOneLineNamingTheFile) {
  const std::string good = R"({"format": "drumsynth-kit", "format_version": 1, "pads": [
      {"note": 36, "layers": [{"preset": "a.preset.json"}]}]})";
  EXPECT_NO_THROW(kit_from_json(good, "k.kit.json"));
  for (
      const auto& [text, problem] : std::vector<std::pair<std::string, std::string>>{
          {"{", "not valid JSON"},
          {R"({"format": "drumsynth-preset"})", "not a drumsynth kit"},
          {R"({"format": "drumsynth-kit", "format_version": 9, "pads": []})",
           "unknown kit format version"},
          {R"({"format": "drumsynth-kit", "format_version": 1, "pads": [{"note": 200, "layers": [{"preset": "a"}]}]})",
           "note must be an integer from 0 to 127"},
          {R"({"format": "drumsynth-kit", "format_version": 1, "pads": [{"note": 36, "layers": []}]})",
           "no layers"},
          {R"({"format": "drumsynth-kit", "format_version": 1, "pads": [{"note": 36, "layers": [{"preset": "a"}]},
               {"note": 36, "layers": [{"preset": "b"}]}]})",
           "two pads on note 36"},
          {R"({"format": "drumsynth-kit", "format_version": 1, "pads": [{"note": 36, "layers": [{"preset": "a", "velocity": 0}]}]})",
           "velocity must be"}}) {
    try {
      kit_from_json(text, "bad.kit.json");
      ADD_FAILURE() << "accepted: " << problem;
    } catch (const InputError& e) {
      const std::string m = e.what();
      EXPECT_EQ(m.rfind("bad.kit.json: ", 0), 0u) << m;
      EXPECT_NE(m.find(problem), std::string::npos) << m;
      EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    }
  }
}

TEST(Kit, GeneralMidiNotesFromNames) {
  const Preset p = decaying_preset(200, 0.2, 1);
  for (const auto& [name, note] :
       std::vector<std::pair<std::string, int>>{{"EE_Kick_Hard_1.flac", 36},
                                                {"snare-ring.wav", 38},
                                                {"EE_Hat_Op_Dirty.flac", 46},
                                                {"EE_Hat_Cl_Dirty.flac", 42},
                                                {"Clap.wav", 39},
                                                {"crash 16.aif", 49},
                                                {"Low Tom.wav", 41},
                                                {"BongoHi-Hard.wav", 60},
                                                {"Cowbell.wav", 56}})
    EXPECT_EQ(general_midi_note(name, p), note) << name;
  EXPECT_EQ(general_midi_note("x.wav", decaying_preset(55, 0.3, 1)), 36) << "a low partial: a kick";
  EXPECT_EQ(general_midi_name(38), "snare");
}

TEST(Midi, NotesRoundTripAndTempoChangesAreFollowed) {
  ScratchDir dir;
  const std::vector<NoteEvent> notes = {
      {0.0, 36, 127}, {0.25, 42, 60}, {0.5, 38, 100}, {1.234, 46, 1}};
  save_midi(dir / "a.mid", notes);
  const auto back = load_midi(dir / "a.mid");
  ASSERT_EQ(back.size(), notes.size());
  for (size_t i = 0; i < notes.size(); ++i) {
    EXPECT_NEAR(back[i].time_s, notes[i].time_s, 0.5 / 960) << i;
    EXPECT_EQ(back[i].note, notes[i].note);
    EXPECT_EQ(back[i].velocity, notes[i].velocity);
  }
  // Format 1, 96 ticks a quarter, a tempo change to 60 bpm at tick 96 (0.5 s),
  // running status: notes at ticks 0, 96 and 192 are at 0, 0.5 and 1.5 s.
  std::string bytes("MThd\0\0\0\6\0\1\0\2\0\x60", 14);
  const std::string tempo(
      "\x00\xFF\x51\x03\x07\xA1\x20\x60\xFF\x51\x03\x0F\x42\x40\x00\xFF\x2F\x00", 18);
  bytes += std::string("MTrk\0\0\0", 7) + char(tempo.size()) + tempo;
  const std::string track("\x00\x99\x24\x64\x60\x26\x50\x60\x2A\x40\x00\xFF\x2F\x00", 14);
  bytes += std::string("MTrk\0\0\0", 7) + char(track.size()) + track;
  const auto timed = midi_from_bytes(bytes, "t.mid");
  ASSERT_EQ(timed.size(), 3u);
  EXPECT_NEAR(timed[1].time_s, 0.5, 1e-9);
  EXPECT_NEAR(timed[2].time_s, 1.5, 1e-9);
  EXPECT_EQ(timed[2].note, 42);
  EXPECT_THROW(midi_from_bytes("MThd\0\0", "short.mid"), InputError);
  EXPECT_THROW(midi_from_bytes("RIFF....", "wav.mid"), InputError);
  // A malformed velocity byte with its high bit set, 0x80, is 0: a note-off
  // (found by fuzz_kit_files: it had played as velocity 0).
  std::string bad("MThd\0\0\0\6\0\0\0\1\0\x60", 14);
  const std::string odd("\x00\x99\x24\x80\x00\x26\xC0\x00\xFF\x2F\x00", 11);
  bad += std::string("MTrk\0\0\0", 7) + char(odd.size()) + odd;
  const auto masked = midi_from_bytes(bad, "odd.mid");
  ASSERT_EQ(masked.size(), 1u);
  EXPECT_EQ(masked[0].note, 38);
  EXPECT_EQ(masked[0].velocity, 64);
}

// At a layer's velocity the preset as render plays it (the engine in float:
// within float rounding; after render's natural end, under its floor);
// below the softest layer, that layer at the velocity curve.
TEST(KitRender, ANoteIsItsLayerAtTheVelocityCurve) {
  ScratchDir dir;
  const LoadedKit kit = load_kit_presets(example_kit(dir));
  ASSERT_TRUE(kit.problems.empty());
  double worst = 0;
  for (const auto& [velocity, layer, gain] :
       {std::tuple{120, 1, 1.0}, {40, 0, 1.0}, {20, 0, velocity_gain(20, 40)}}) {
    const std::vector<double> alone = play_preset(kit.presets[2][size_t(layer)], 48000);
    const auto played = render_kit(kit, {{0.0, 36, velocity}}, 48000);
    ASSERT_GE(played.size(), alone.size());
    double peak = 0, err = 0;
    for (double v : alone) peak = std::max(peak, std::abs(gain * v));
    for (size_t i = 0; i < alone.size(); ++i)
      err = std::max(err, std::abs(played[i] - gain * alone[i]));
    for (size_t i = alone.size(); i < played.size(); ++i)
      ASSERT_LE(std::abs(played[i]), 1.001 * peak * std::pow(10.0, -kNaturalEndDb / 20.0)) << i;
    std::printf("  velocity %d: layer %d x %.4f, worst difference %.2e of the peak (bound 1e-5)\n",
                velocity, layer, gain, err / peak);
    EXPECT_LT(err, 1e-5 * peak) << velocity;
    worst = std::max(worst, err / peak);
  }
}

TEST(KitRender, AChokeCutsAndAPadHasFourVoices) {
  ScratchDir dir;
  const LoadedKit kit = load_kit_presets(example_kit(dir));
  const double rate = 48000;
  const auto open = render_kit(kit, {{0.0, 46, 127}}, rate, 1.0);
  const auto cut = render_kit(kit, {{0.0, 46, 127}, {0.2, 42, 127}}, rate, 1.0);
  // Until the choke the same; 5 ms after it only the closed hat sounds (much shorter, -6 dB).
  for (size_t i = 0; i < size_t(0.2 * rate); ++i) ASSERT_EQ(cut[i], open[i]) << i;
  const auto closed = render_kit(kit, {{0.2, 42, 127}}, rate, 1.0);
  for (size_t i = size_t((0.2 + kCutFadeS) * rate); i < cut.size(); ++i)
    ASSERT_EQ(cut[i], closed[i]) << i;
  // Five notes on one pad: the first is cut at the fifth.
  std::vector<NoteEvent> five;
  for (int k = 0; k < 5; ++k) five.push_back({0.1 * k, 46, 127});
  const auto stolen = render_kit(kit, five, rate, 1.0);
  std::vector<NoteEvent> four_late(five.begin() + 1, five.end());
  const auto later = render_kit(kit, four_late, rate, 1.0);
  for (size_t i = size_t((0.4 + kCutFadeS) * rate); i < stolen.size(); ++i)
    ASSERT_NEAR(stolen[i], later[i], 1e-12) << i;
  // A missing preset: a silent layer and a line saying why.
  std::filesystem::remove(dir / "closed.preset.json");
  const LoadedKit broken = load_kit_presets(load_kit(dir / "example.kit.json"));
  ASSERT_EQ(broken.problems.size(), 1u);
  EXPECT_NE(broken.problems[0].find("closed.preset.json: no such file"), std::string::npos)
      << broken.problems[0];
  for (double v : render_kit(broken, {{0.0, 42, 127}}, rate, 0.1)) ASSERT_EQ(v, 0.0);
}

}  // namespace
}  // namespace drumsynth
