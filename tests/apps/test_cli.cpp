// The drumsynth command on real files: fit, render and loss end to end, exit
// codes, and no output left behind by bad input.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "drumsynth/audio_io.hpp"
#include "drumsynth/kit.hpp"
#include "drumsynth/kit_maker.hpp"
#include "drumsynth/loss_settings.hpp"
#include "drumsynth/midi.hpp"
#include "drumsynth/param_table.hpp"
#include "drumsynth/playback.hpp"
#include "drumsynth/preset.hpp"
#include "test_support.hpp"

namespace drumsynth {
namespace {

using test::run_drumsynth;
using test::ScratchDir;

std::string q(const std::string& s) { return "'" + s + "'"; }

TEST(Cli, FitWritesPresetRenderAndLossHistoryThenRenderReproducesIt) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  const std::string input =
      (test::shared_data() / "drums-dev/ElectricEmpireKit/EE_Click.flac").string();
  const auto r = run_drumsynth("fit " + q(input) + " -o " + q(dir.path.string()) +
                               " --iterations 8 --loss-preset auraloss --seed 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("iteration 8/8"), std::string::npos) << r.output;
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"EE_Click.loss.csv", "EE_Click.loss.svg",
                                                   "EE_Click.preset.json", "EE_Click.wav",
                                                   "report-assets", "report.html"}));
  // --no-report: only the fit's own files.
  ScratchDir bare;
  ASSERT_EQ(run_drumsynth("fit " + q(input) + " -o " + q(bare.path.string()) +
                          " --iterations 2 --no-report -q")
                .exit_code,
            0);
  EXPECT_EQ(bare.files(), (std::vector<std::string>{"EE_Click.loss.csv", "EE_Click.loss.svg",
                                                    "EE_Click.preset.json", "EE_Click.wav"}));
  const Sound target = load_sound(input);
  const Preset p = load_preset(dir / "EE_Click.preset.json");
  EXPECT_EQ(p.n_samples, int(target.samples.size()));
  EXPECT_EQ(p.sample_rate, target.sample_rate);
  EXPECT_EQ(p.noise_seed, 3u);
  EXPECT_LT(p.final_loss, p.initial_loss);
  std::ifstream csv(dir / "EE_Click.loss.csv");
  std::string line;
  int lines = 0;
  while (std::getline(csv, line)) ++lines;
  EXPECT_EQ(lines, 9);  // header + 8 iterations

  // render at the target's length reproduces the fit's render exactly (same
  // preset, same noise seed, the same release fade where it still rings).
  char target_seconds[64];
  std::snprintf(target_seconds, sizeof target_seconds, "%.17g", target.seconds());
  const auto rr = run_drumsynth("render " + q(dir / "EE_Click.preset.json") + " -o " +
                                q(dir / "again.wav") + " --seconds " + target_seconds);
  ASSERT_EQ(rr.exit_code, 0) << rr.output;
  const Sound a = load_sound(dir / "EE_Click.wav"), b = load_sound(dir / "again.wav");
  EXPECT_EQ(a.samples, b.samples);
  // By default it plays to where the sound has died away: the same start,
  // and an end at least 80 dB under the peak (24-bit quantisation hides less).
  ASSERT_EQ(run_drumsynth("render " + q(dir / "EE_Click.preset.json") + " -o " +
                          q(dir / "natural.wav") + " -q")
                .exit_code,
            0);
  const Sound n = load_sound(dir / "natural.wav");
  const size_t fade = size_t(kReleaseFadeS * n.sample_rate),
               common = std::min(n.samples.size(), a.samples.size());
  for (size_t i = 0; i + fade < common; ++i) ASSERT_EQ(n.samples[i], a.samples[i]) << i;
  float peak = 0;
  for (float v : n.samples) peak = std::max(peak, std::abs(v));
  EXPECT_LT(std::abs(n.samples.back()), peak * 1e-4f);
  // ... and at another rate and length.
  const auto r2 = run_drumsynth("render " + q(dir / "EE_Click.preset.json") + " -o " +
                                q(dir / "r96.wav") + " --sample-rate 96000 --seconds 0.5 --quiet");
  ASSERT_EQ(r2.exit_code, 0) << r2.output;
  EXPECT_EQ(r2.output, "");  // --quiet
  const Sound c = load_sound(dir / "r96.wav");
  EXPECT_EQ(c.sample_rate, 96000);
  EXPECT_EQ(c.samples.size(), 48000u);

  // --prune: partials that cost at most 3% of the loss are turned off (gain at its
  // minimum), and the preset and the log say how many.
  ScratchDir pruned;
  const auto rp = run_drumsynth("fit " + q(input) + " -o " + q(pruned.path.string()) +
                                " --iterations 8 --no-report --prune 0.03");
  ASSERT_EQ(rp.exit_code, 0) << rp.output;
  const Preset pp = load_preset(pruned / "EE_Click.preset.json");
  int off = 0;
  for (int k = 0; k < kNumPartials; ++k)
    off += pp.params[P::tone_gain(k)] <= param_table()[P::tone_gain(k)].min * 1.0001;
  EXPECT_GT(pp.partials_dropped, 0);
  EXPECT_EQ(off, pp.partials_dropped);
  EXPECT_NE(rp.output.find(std::to_string(off) + " partials dropped"), std::string::npos)
      << rp.output;
}

// A fragment of three hits (a kick, a snare, a soft kick): `fit` says so;
// `fit --split` fits each hit and writes a kit of three pads and a MIDI file
// of three notes whose replay is closer to the fragment than the one-sound
// fit; `play` renders that kit and MIDI file to the same replay; `batch`
// counts the hits in its summary, and `batch --split` writes the kit too.
TEST(Cli, SplitFitsEachHitAndItsKitReplaysTheFragment) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  const auto kit_sound = [](const char* name) {
    return load_sound((test::shared_data() / "drums-dev/ElectricEmpireKit" / name).string());
  };
  const Sound kick = kit_sound("EE_Kick_Ring.flac"), snare = kit_sound("EE_Snare_1.flac");
  const double rate = kick.sample_rate;
  std::vector<float> mix(size_t(1.2 * rate), 0.0f);
  for (const auto& [sound, at, gain] :
       {std::tuple{&kick, 0.0, 0.9}, {&snare, 0.4, 0.7}, {&kick, 0.8, 0.4}})
    for (size_t i = 0; i < sound->samples.size() && size_t(at * rate) + i < mix.size(); ++i)
      mix[size_t(at * rate) + i] += float(gain) * sound->samples[i];
  std::filesystem::create_directories(dir.path / "in");
  test::write_audio(dir / "in/frag.wav", mix, int(rate), 1);
  const std::string args = " --iterations 60 --device cpu";
  const auto one = run_drumsynth("fit " + q(dir / "in/frag.wav") + " -o " + q(dir / "one") + args +
                                 " --no-report");
  ASSERT_EQ(one.exit_code, 0) << one.output;
  EXPECT_NE(one.output.find("3 hits (at 0.000, "), std::string::npos) << one.output;
  const auto split = run_drumsynth("fit " + q(dir / "in/frag.wav") + " -o " + q(dir / "split") +
                                   args + " --split");
  ASSERT_EQ(split.exit_code, 0) << split.output;
  const Kit kit = load_kit(dir / "split/frag.kit.json");
  ASSERT_EQ(kit.pads.size(), 3u);
  const auto notes = load_midi(dir / "split/frag.mid");
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_NEAR(notes[1].time_s, 0.4, 0.005);
  EXPECT_LT(notes[2].velocity, notes[0].velocity);
  for (int h = 1; h <= 3; ++h)
    EXPECT_TRUE(
        std::filesystem::exists(dir / ("split/frag/hit" + std::to_string(h) + ".preset.json")))
        << h;
  const Sound replay = load_sound(dir / "split/frag.replay.wav"),
              target = load_sound(dir / "in/frag.wav");
  const Sound fitted = load_sound(dir / "one/frag.wav");
  const auto loss = [&](const Sound& x) {
    return mrstft_loss(std::vector<double>(x.samples.begin(), x.samples.end()),
                       std::vector<double>(target.samples.begin(), target.samples.end()), rate,
                       loss_preset(LossPreset::auraloss));
  };
  std::printf("  against the fragment (auraloss): the kit's replay %.3f, the one-sound fit %.3f\n",
              loss(replay), loss(fitted));
  EXPECT_LT(loss(replay), loss(fitted));
  // `play` renders the same replay from the kit and the MIDI file.
  char seconds[64];
  std::snprintf(seconds, sizeof seconds, "%.17g", target.seconds());
  const auto played =
      run_drumsynth("play " + q(dir / "split/frag.kit.json") + " " + q(dir / "split/frag.mid") +
                    " -o " + q(dir / "played.wav") + " --sample-rate " + std::to_string(int(rate)) +
                    " --seconds " + seconds + " -q");
  ASSERT_EQ(played.exit_code, 0) << played.output;
  EXPECT_EQ(load_sound(dir / "played.wav").samples, replay.samples);
  // batch: the hits in the summary.
  const auto b = run_drumsynth("batch " + q(dir / "in") + " -o " + q(dir / "batch") + args +
                               " --quiet --no-report");
  ASSERT_EQ(b.exit_code, 0) << b.output;
  std::ifstream summary(dir / "batch/summary.json");
  EXPECT_EQ(nlohmann::json::parse(summary)["items"][0]["hits"], 3);
  EXPECT_NE(b.output.find("frag.wav: 3 hits, fitted as one sound"), std::string::npos) << b.output;
  // batch --split: the hits fitted too, into the output mirror, beside the
  // one-sound fit; run again, the kit is kept, not fitted again.
  const std::string split_batch =
      "batch " + q(dir / "in") + " -o " + q(dir / "bs") + args + " --no-report --split";
  const auto bs = run_drumsynth(split_batch);
  ASSERT_EQ(bs.exit_code, 0) << bs.output;
  EXPECT_NE(bs.output.find("frag.wav: 3 hits, each fitted: "), std::string::npos) << bs.output;
  EXPECT_EQ(bs.output.find("fitted as one sound"), std::string::npos) << bs.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "bs/frag.preset.json"));
  EXPECT_EQ(load_kit(dir / "bs/frag.kit.json").pads.size(), 3u);
  EXPECT_EQ(load_midi(dir / "bs/frag.mid").size(), 3u);
  EXPECT_TRUE(std::filesystem::exists(dir / "bs/frag/hit3.preset.json"));
  const auto written = std::filesystem::last_write_time(dir / "bs/frag.kit.json");
  const auto again = run_drumsynth(split_batch);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("frag.wav: 3 hits, split before: "), std::string::npos)
      << again.output;
  EXPECT_EQ(std::filesystem::last_write_time(dir / "bs/frag.kit.json"), written);
}

// A sample kit fitted as a kit: `batch --kit` over two drums of
// RedZeppelin4 (five velocity layers each, its kit.sfz beside them) writes
// a kit of two pads of five layers at the SFZ's velocities, the hats in a
// choke group; `kit --sfz` writes it as an SFZ that reads back.
TEST(Cli, BatchKitFollowsTheSampleKitsMap) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  const auto rz4 = test::shared_data() / "kits/RedZeppelin4";
  std::filesystem::create_directories(dir.path / "rz/samples");
  std::ofstream sfz(dir / "rz/kit.sfz");
  std::ifstream all(rz4 / "kit.sfz");
  for (std::string line; std::getline(all, line);)
    if (line.find("key=36 ") != std::string::npos || line.find("key=42 ") != std::string::npos) {
      sfz << line << "\n";
      const std::string sample =
          line.substr(line.find("sample=") + 7, line.find(" key") - line.find("sample=") - 7);
      std::filesystem::copy_file(rz4 / sample, dir.path / "rz" / sample);
    }
  sfz.close();
  const auto b = run_drumsynth("batch " + q(dir / "rz") + " -o " + q(dir / "out") +
                               " --iterations 3 --device cpu --quiet --no-report --kit");
  ASSERT_EQ(b.exit_code, 0) << b.output;
  const Kit kit = load_kit(dir / "out/rz.kit.json");
  ASSERT_EQ(kit.pads.size(), 2u);
  EXPECT_EQ(kit.pads[0].note, 36);
  ASSERT_EQ(kit.pads[0].layers.size(), 5u);
  EXPECT_EQ(kit.pads[0].layers[0].velocity, 26);
  EXPECT_EQ(kit.pads[0].layers[4].velocity, 127);
  EXPECT_EQ(kit.pads[1].choke_group, 1);
  const auto k =
      run_drumsynth("kit " + q(dir / "out") + " -o " + q(dir / "again.kit.json") + " --from " +
                    q(dir / "rz/kit.sfz") + " --sfz " + q(dir / "sfz") + " --velocities 3 -q");
  ASSERT_EQ(k.exit_code, 0) << k.output;
  std::ifstream written(dir / "sfz/again.sfz");
  std::stringstream text;
  text << written.rdbuf();
  EXPECT_EQ(read_sfz(text.str(), "again.sfz").size(), 6u);
  EXPECT_EQ(run_drumsynth("kit " + q(dir / "rz") + " -o " + q(dir / "none.kit.json")).exit_code,
            1);  // no presets
}

// `drumsynth fit kick.wav` in the sound's own folder must not overwrite it.
TEST(Cli, FitNeverOverwritesItsInput) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  ScratchDir dir;
  std::filesystem::copy_file(
      test::shared_data() / "drums-dev/Audiophob/124382__cubix__8bit-snare.wav",
      dir.path / "snare.wav");
  const Sound before = load_sound(dir / "snare.wav");
  const auto r = run_drumsynth("fit " + q(dir / "snare.wav") + " -o " + q(dir.path.string()) +
                               " --iterations 2 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(load_sound(dir / "snare.wav").samples, before.samples);
  EXPECT_TRUE(std::filesystem::exists(dir / "snare.fit.wav"));
  EXPECT_TRUE(std::filesystem::exists(dir / "snare.preset.json"));
}

TEST(Cli, LossPrintsZeroForASoundAgainstItself) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  const std::string a = (test::shared_data() / "seed-inputs/hi_snare.wav").string();
  const auto r = run_drumsynth("loss " + q(a) + " " + q(a));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // The whole output is the number (a failure once seen under ctest -j2, not
  // reproduced since, left no output: keep it in the message).
  EXPECT_EQ(r.output, "0\n");
  const std::string b = (test::shared_data() / "seed-inputs/frame_drum.wav").string();
  const auto r2 = run_drumsynth("loss " + q(a) + " " + q(b) + " --loss-preset auraloss");
  ASSERT_EQ(r2.exit_code, 0) << r2.output;
  EXPECT_EQ(test::count_lines(r2.output), 1) << r2.output;
  EXPECT_GT(std::atof(r2.output.c_str()), 0.5) << r2.output;
}

// `drumsynth bench --json` prints one JSON object whose figures agree with
// one another (the median between the fastest and slowest timed iteration,
// the rate from the median); on the CPU there is no device loop to time.
TEST(Cli, BenchPrintsOneConsistentJsonLine) {
  const auto r = run_drumsynth("bench --device cpu --batch 2 --seconds 0.1 --iterations 3 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_EQ(test::count_lines(r.output), 1) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j.at("batch"), 2);
  EXPECT_EQ(j.at("iterations"), 3);
  const double ms = j.at("ms_per_iteration"), lo = j.at("ms_min"), hi = j.at("ms_max");
  EXPECT_GT(lo, 0.0);
  EXPECT_LE(lo, ms);
  EXPECT_LE(ms, hi);
  EXPECT_NEAR(double(j.at("sound_iterations_per_s")), 2 / (ms / 1e3),
              0.01 * double(j.at("sound_iterations_per_s")));
  EXPECT_EQ(j.at("fit_loop"), "");
  EXPECT_EQ(j.at("memory_per_sound_mb"), 0.0);
  EXPECT_EQ(j.at("peak_memory_per_sound_mb"), 0.0);
}

// Bad input: exit 1, one line on stderr naming the file and the problem, and
// nothing written to the output folder.
void expect_clean_failure(const std::string& args, const std::string& file,
                          const std::string& problem, const ScratchDir& out) {
  const auto r = run_drumsynth(args);
  EXPECT_EQ(r.exit_code, 1) << args << "\n" << r.output;
  EXPECT_EQ(test::count_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find(file), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(problem), std::string::npos) << r.output;
  EXPECT_TRUE(out.files().empty()) << args;
}

TEST(Cli, BadAudioInputFailsCleanly) {
  ScratchDir in, out;
  const std::string o = " -o " + q(out.path.string()) + " --iterations 2";
  expect_clean_failure("fit " + q(in / "missing.wav") + o, "missing.wav", "no such file", out);
  expect_clean_failure("fit " + q(in.path.string()) + o, in.path.string(), "is a directory", out);
  { std::ofstream(in / "text.wav") << "hello"; }
  expect_clean_failure("fit " + q(in / "text.wav") + o, "text.wav", "not a readable audio file",
                       out);
  test::write_audio(in / "empty.wav", {}, 44100, 1);
  expect_clean_failure("fit " + q(in / "empty.wav") + o, "empty.wav", "empty", out);
  test::write_audio(in / "silent.wav", std::vector<float>(1000, 0.0f), 44100, 1);
  expect_clean_failure("fit " + q(in / "silent.wav") + o, "silent.wav", "silent", out);
  auto nan = test::decaying_tone(1000, 44100);
  nan[3] = std::nanf("");
  test::write_audio(in / "nan.wav", nan, 44100, 1);
  expect_clean_failure("fit " + q(in / "nan.wav") + o, "nan.wav", "NaN or Inf", out);
  test::write_audio(in / "slow.wav", test::decaying_tone(1000, 4000), 4000, 1);
  expect_clean_failure("fit " + q(in / "slow.wav") + o, "slow.wav", "sample rate 4000 Hz", out);
  test::write_audio(in / "fast.wav", test::decaying_tone(1000, 250000), 250000, 1);
  expect_clean_failure("fit " + q(in / "fast.wav") + o, "fast.wav", "sample rate 250000 Hz", out);
  test::write_audio(in / "long.wav", test::decaying_tone(8000 * 3, 8000), 8000, 1);
  expect_clean_failure("fit " + q(in / "long.wav") + o + " --max-seconds 2", "long.wav",
                       "longer than the 2 s limit", out);
}

TEST(Cli, BadPresetFailsCleanly) {
  ScratchDir in, out;
  const std::string o = " -o " + q(out / "x.wav");
  { std::ofstream(in / "broken.json") << "{ not json"; }
  expect_clean_failure("render " + q(in / "broken.json") + o, "broken.json", "not valid JSON", out);
  { std::ofstream(in / "v9.json") << R"({"format": "drumsynth-preset", "format_version": 9})"; }
  expect_clean_failure("render " + q(in / "v9.json") + o, "v9.json",
                       "unknown preset format version 9", out);
  {
    std::ofstream(in / "few.json") << R"({"format": "drumsynth-preset", "format_version": 1,
      "sample_rate": 44100, "n_samples": 100, "noise_seed": 0, "parameters": {"onset_s": 0.01}})";
  }
  expect_clean_failure("render " + q(in / "few.json") + o, "few.json", "missing parameter", out);
  expect_clean_failure("render " + q(in / "none.json") + o, "none.json", "no such file", out);
}

TEST(Cli, UsageErrorsExitWithTwoAndHelpWithZero) {
  EXPECT_EQ(run_drumsynth("").exit_code, 2);
  EXPECT_EQ(run_drumsynth("fit").exit_code, 2);
  EXPECT_EQ(run_drumsynth("fit a.wav --iterations nope").exit_code, 2);
  EXPECT_EQ(run_drumsynth("fit a.wav --loss-preset fancy").exit_code, 2);
  EXPECT_EQ(run_drumsynth("fit a.wav --loss-preset custom").exit_code,
            2);  // a preset file's label, no settings
  EXPECT_EQ(run_drumsynth("fit a.wav --device tpu").exit_code, 2);
  EXPECT_EQ(run_drumsynth("bench --kernels v3").exit_code, 2);
  EXPECT_EQ(run_drumsynth("render p.json").exit_code, 2);  // -o is required
  EXPECT_EQ(run_drumsynth("frobnicate").exit_code, 2);
  for (const char* c : {"--help", "fit --help", "render --help", "loss --help"}) {
    const auto r = run_drumsynth(c);
    EXPECT_EQ(r.exit_code, 0) << c;
    EXPECT_NE(r.output.find("Usage"), std::string::npos) << c;
  }
  const auto v = run_drumsynth("--version");
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_EQ(v.output.rfind("drumsynth ", 0), 0u) << v.output;
}

}  // namespace
}  // namespace drumsynth
