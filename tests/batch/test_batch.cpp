// `drumsynth batch` on the whole development set (138 real files, mixed
// formats) with few iterations: outputs mirror the tree, summaries, resume,
// Ctrl-C, and bad files.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "drumsynth/batch.hpp"
#include "drumsynth/preset.hpp"
#include "test_support.hpp"

namespace drumsynth {
namespace {

namespace fs = std::filesystem;
using test::run_drumsynth;
using test::ScratchDir;

std::string q(const std::string& s) { return "'" + s + "'"; }

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

int count_files_with(const fs::path& dir, const std::string& needle) {
  int n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    n += e.path().filename().string().find(needle) != std::string::npos;
  return n;
}

// The presets in an output folder (not below it), each checked to parse: an
// interrupted run leaves only complete ones.
int count_complete_presets(const fs::path& dir) {
  int presets = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 12 && name.substr(name.size() - 12) == ".preset.json") {
      ++presets;
      EXPECT_NO_THROW(load_preset(e.path().string())) << name;
    }
  }
  return presets;
}

// `drumsynth batch IN -o OUT OPTIONS` (after ENV) sent SIGINT once the run
// has started (its log file exists: the handler is armed before it is made)
// and 1.5 s later; the output ends with "exit=STATUS". A fixed delay from
// launch was flaky under a loaded ctest -j.
test::CommandResult interrupted_batch(const std::string& env, const std::string& in,
                                      const fs::path& out, const std::string& options) {
  const std::string log = out / "drumsynth-batch.log";
  return test::run_shell(
      env + " '" + std::string(DRUMSYNTH_BINARY) + "' batch " + q(in) + " -o " + q(out.string()) +
      " " + options + " 2>&1 & pid=$!; for i in $(seq 600); do [ -f " + q(log) +
      " ] && break; sleep 0.1; done; sleep 1.5; kill -INT $pid; wait $pid; echo \"exit=$?\"");
}

// The first `count` WAV files of a development-set kit, copied into `to`.
void copy_kit_wavs(const std::string& kit, const fs::path& to, int count) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(test::shared_data() / "drums-dev" / kit))
    if (e.path().extension() == ".wav" && n < count)
      fs::copy_file(e.path(), to / e.path().filename()), ++n;
  ASSERT_EQ(n, count) << kit;
}

TEST(Batch, FitsTheWholeDevelopmentSetThenResumesWithoutRedoingIt) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  ScratchDir out;
  const std::string in = (test::shared_data() / "drums-dev").string();
  const auto files = find_audio_files(in);
  ASSERT_EQ(files.size(), 138u);
  auto r =
      run_drumsynth("batch " + q(in) + " -o " + q(out.path.string()) + " --iterations 2 --jobs 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("138 sounds: 138 fitted"), std::string::npos) << r.output;
  // The output mirrors the input tree.
  for (const auto& f : files) {
    const fs::path rel = fs::relative(f, in);
    const fs::path base = out.path / rel.parent_path() / rel.stem();
    EXPECT_TRUE(fs::exists(base.string() + ".preset.json")) << rel;
    EXPECT_TRUE(fs::exists(base.string() + ".wav")) << rel;
    EXPECT_TRUE(fs::exists(base.string() + ".loss.csv")) << rel;
  }
  auto j = read_json(out / "summary.json");
  EXPECT_EQ(j["total"], 138);
  EXPECT_EQ(j["ok"], 138);
  EXPECT_EQ(j["failed"], 0);
  std::ifstream csv(out / "summary.csv");
  EXPECT_EQ(std::count(std::istreambuf_iterator<char>(csv), {}, '\n'), 139);
  EXPECT_TRUE(fs::exists(out / "drumsynth-batch.log"));
  EXPECT_EQ(count_files_with(out.path, ".tmp-"), 0);

  // Again: everything is skipped. Then remove three presets: only those are refitted.
  r = run_drumsynth("batch " + q(in) + " -o " + q(out.path.string()) + " --iterations 2 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_json(out / "summary.json")["skipped"], 138);
  const fs::path kit = out.path / "ElectricEmpireKit";
  for (const char* n : {"EE_Clap", "EE_Snare_1", "EE_Kick_Dist"})
    fs::remove(kit / (std::string(n) + ".preset.json"));
  r = run_drumsynth("batch " + q(in) + " -o " + q(out.path.string()) + " --iterations 2 --quiet");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  j = read_json(out / "summary.json");
  EXPECT_EQ(j["ok"], 3);
  EXPECT_EQ(j["skipped"], 135);
  {  // --quiet quiets the terminal, not the log: the run is in it
    std::ifstream log(out / "drumsynth-batch.log");
    const std::string text((std::istreambuf_iterator<char>(log)), {});
    EXPECT_NE(text.find("138 sounds: 3 fitted, 135 already done"), std::string::npos)
        << text.substr(0, 400);
    EXPECT_NE(text.find("EE_Clap"), std::string::npos);
  }
  // --force refits everything.
  r = run_drumsynth("batch " + q((test::shared_data() / "seed-inputs").string()) + " -o " +
                    q(out / "seed") + " --iterations 1 --quiet");
  r = run_drumsynth("batch " + q((test::shared_data() / "seed-inputs").string()) + " -o " +
                    q(out / "seed") + " --iterations 1 --quiet --force");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_json(out / "seed/summary.json")["ok"], 4);
  // Presets fitted with another loss preset (another --loss-preset, or a
  // folder fitted before the default changed) are not "done": refitted.
  r = run_drumsynth("batch " + q((test::shared_data() / "seed-inputs").string()) + " -o " +
                    q(out / "seed") + " --iterations 1 --quiet --loss-preset seed");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_json(out / "seed/summary.json")["ok"], 4);
  EXPECT_EQ(load_preset(out / "seed/hi_snare.preset.json").loss.preset, LossPreset::seed);
  r = run_drumsynth("batch " + q((test::shared_data() / "seed-inputs").string()) + " -o " +
                    q(out / "seed") + " --iterations 1 --quiet --loss-preset seed");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_json(out / "seed/summary.json")["skipped"], 4);
}

TEST(Batch, CtrlCStopsCleanlyAndTheNextRunResumes) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  ScratchDir out;
  const std::string in = (test::shared_data() / "drums-dev/Gimme_A_Hand_1_0").string();
  // Interrupted long before 65 sounds x 300 iterations can finish.
  const auto r = interrupted_batch("", in, out.path, "--iterations 300 --jobs 2");
  EXPECT_NE(r.output.find("exit=130"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("run the same command again to resume"), std::string::npos) << r.output;
  EXPECT_EQ(count_files_with(out.path, ".tmp-"), 0) << "half-written files left";
  auto j = read_json(out / "summary.json");
  const int finished = j["ok"];
  EXPECT_GT(int(j["interrupted"]), 0);
  // Every preset there is complete, one for each finished sound.
  EXPECT_EQ(count_complete_presets(out.path), finished);
  // Resume with a short fit: the finished sounds are not redone.
  const auto r2 =
      run_drumsynth("batch " + q(in) + " -o " + q(out.path.string()) + " --iterations 2 --quiet");
  EXPECT_EQ(r2.exit_code, 0) << r2.output;
  j = read_json(out / "summary.json");
  EXPECT_EQ(j["skipped"], finished);
  EXPECT_EQ(int(j["ok"]) + finished, 65);
}

// The GPU path's batching (groups of 3, each group's analysis made while the
// group before it fits) stops cleanly on Ctrl-C too and resumes: run here
// with the CPU backend (DRUMSYNTH_BATCHES_ON_CPU=1), as no GPU is at hand.
TEST(Batch, CtrlCStopsGpuBatchesCleanlyAndTheNextRunResumes) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  ScratchDir in, out;
  copy_kit_wavs("Gimme_A_Hand_1_0", in.path, 12);
  const std::string env = "DRUMSYNTH_BATCHES_ON_CPU=1 ";
  const auto r = interrupted_batch(env, in.path.string(), out.path,
                                   "--device cpu --gpu-batch 3 --iterations 300 --jobs 2");
  EXPECT_NE(r.output.find("exit=130"), std::string::npos) << r.output;
  EXPECT_EQ(count_files_with(out.path, ".tmp-"), 0) << "half-written files left";
  auto j = read_json(out / "summary.json");
  const int finished = j["ok"];
  EXPECT_GT(int(j["interrupted"]), 0);
  EXPECT_EQ(count_complete_presets(out.path), finished);
  const auto r2 = test::run_shell(env + "'" + std::string(DRUMSYNTH_BINARY) + "' batch " +
                                  q(in.path.string()) + " -o " + q(out.path.string()) +
                                  " --device cpu --gpu-batch 3 --iterations 2 --quiet");
  EXPECT_EQ(r2.exit_code, 0) << r2.output;
  j = read_json(out / "summary.json");
  EXPECT_EQ(j["skipped"], finished);
  EXPECT_EQ(int(j["ok"]) + finished, 12);
}

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The GPU path's batching (on the CPU backend: groups of 2, analysis ahead,
// each group's outputs written on every core once it is done) writes the same
// presets, renders and loss histories, byte for byte, as the CPU path.
TEST(Batch, GpuBatchesWriteWhatTheCpuPathWrites) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  ScratchDir in, cpu, batched;
  copy_kit_wavs("Gimme_A_Hand_1_0", in.path, 5);
  const std::string args = " --device cpu --iterations 5 --quiet --no-report --jobs 2";
  ASSERT_EQ(run_drumsynth("batch " + q(in.path.string()) + " -o " + q(cpu.path.string()) + args)
                .exit_code,
            0);
  const auto r = test::run_shell("DRUMSYNTH_BATCHES_ON_CPU=1 '" + std::string(DRUMSYNTH_BINARY) +
                                 "' batch " + q(in.path.string()) + " -o " +
                                 q(batched.path.string()) + args + " --gpu-batch 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  int compared = 0;
  for (const auto& e : fs::directory_iterator(cpu.path)) {
    const std::string name = e.path().filename().string();
    if (name.find(".preset.json") == std::string::npos && name.find(".wav") == std::string::npos &&
        name.find(".loss.csv") == std::string::npos)
      continue;
    EXPECT_EQ(file_bytes(e.path()), file_bytes(batched.path / name)) << name;
    ++compared;
  }
  EXPECT_EQ(compared, 3 * 5);
}

TEST(Batch, GoesOnPastBadFilesAndReportsThem) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  ScratchDir in, out;
  fs::create_directories(in.path / "sub");
  fs::copy_file(test::shared_data() / "drums-dev/ElectricEmpireKit/EE_Click.flac",
                in.path / "good.flac");
  fs::copy_file(test::shared_data() / "drums-dev/Audiophob/124382__cubix__8bit-snare.wav",
                in.path / "sub/good2.wav");
  { std::ofstream(in / "sub/text.wav") << "not audio"; }
  test::write_audio(in / "empty.wav", {}, 44100, 1);
  test::write_audio(in / "silent.wav", std::vector<float>(500, 0.0f), 44100, 1);
  auto nan = test::decaying_tone(500, 44100);
  nan[100] = std::nanf("");
  test::write_audio(in / "nan.wav", nan, 44100, 1);
  { std::ofstream(in / "notes.txt") << "not an audio extension: ignored"; }
  const auto r = run_drumsynth("batch " + q(in.path.string()) + " -o " + q(out.path.string()) +
                               " --iterations 2");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  const auto j = read_json(out / "summary.json");
  EXPECT_EQ(j["total"], 6);
  EXPECT_EQ(j["ok"], 2);
  EXPECT_EQ(j["failed"], 4);
  for (const auto& item : j["items"]) {
    if (item["status"] != "failed") continue;
    const std::string err = item["error"];
    EXPECT_NE(err.find(std::string(item["file"])), std::string::npos) << err;
    EXPECT_NE(r.output.find(err), std::string::npos) << "reported at the end: " << err;
  }
  EXPECT_TRUE(fs::exists(out.path / "sub/good2.preset.json"));
  EXPECT_FALSE(fs::exists(out.path / "sub/text.preset.json"));

  // Only bad files: exit 1. No audio at all: exit 1 with a reason.
  ScratchDir bad, out2, empty;
  { std::ofstream(bad / "a.wav") << "x"; }
  EXPECT_EQ(
      run_drumsynth("batch " + q(bad.path.string()) + " -o " + q(out2.path.string())).exit_code, 1);
  const auto r3 = run_drumsynth("batch " + q(empty.path.string()) + " -o " + q(out2 / "e"));
  EXPECT_EQ(r3.exit_code, 1);
  EXPECT_NE(r3.output.find("no audio files found"), std::string::npos) << r3.output;
  EXPECT_EQ(run_drumsynth("batch " + q(in / "missing") + " -o " + q(out2 / "m")).exit_code, 1);
}

// A batch's output inside its input folder (as a new user writes
// `batch samples -o samples/presets`, or `-o samples`) is not fitted again by
// the next run: the second run finds the same sounds, all done, and writes no
// folder inside the output. Another batch's output folder under the input is
// left out too.
TEST(Batch, OutputInsideTheInputIsNotFittedAgain) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  ScratchDir in;
  fs::copy_file(test::shared_data() / "drums-dev/ElectricEmpireKit/EE_Click.flac",
                in.path / "click.flac");
  fs::copy_file(test::shared_data() / "drums-dev/Audiophob/124382__cubix__8bit-snare.wav",
                in.path / "snare.wav");
  const std::string args = " --iterations 2 --device cpu --quiet --no-report";
  for (const std::string out : {in / "presets", in.path.string()}) {
    for (int run = 0; run < 2; ++run) {
      const auto r = run_drumsynth("batch " + q(in.path.string()) + " -o " + q(out) + args);
      ASSERT_EQ(r.exit_code, 0) << out << ", run " << run << ": " << r.output;
      const auto j = read_json(out + "/summary.json");
      EXPECT_EQ(j["total"], 2) << out << ", run " << run;
      EXPECT_EQ(j["skipped"], run == 0 ? 0 : 2) << out << ", run " << run;
    }
  }
  EXPECT_FALSE(fs::exists(in / "presets/presets"));
  EXPECT_FALSE(fs::exists(in / "snare.fit.fit.wav"));
  // A third batch elsewhere: the two output folders under the input are skipped.
  ScratchDir elsewhere;
  ASSERT_EQ(
      run_drumsynth("batch " + q(in.path.string()) + " -o " + q(elsewhere.path.string()) + args)
          .exit_code,
      0);
  EXPECT_EQ(read_json(elsewhere / "summary.json")["total"], 2);
}

// Linked sounds (a folder of symlinks into a sample library) are mirrored
// under their link names inside the output folder, never beside the targets.
TEST(Batch, LinkedSoundsStayInsideTheOutputFolder) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  ScratchDir in, out;
  fs::create_directories(in.path / "sub");
  fs::create_symlink(
      fs::canonical(test::shared_data() / "drums-dev/ElectricEmpireKit/EE_Click.flac"),
      in.path / "sub/click.flac");
  const auto r = run_drumsynth("batch " + q(in.path.string() + "/") + " -o " +
                               q(out.path.string()) + " --iterations 2 --device cpu");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(out.path / "sub/click.preset.json")) << r.output;
  EXPECT_EQ(read_json(out / "summary.json")["items"][0]["file"], "sub/click.flac");
}

}  // namespace
}  // namespace drumsynth
