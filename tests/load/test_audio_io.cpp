// Reading real drum samples in every format of the development set, and the
// one-line errors for each kind of bad input.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <set>

#include "drumsynth/audio_io.hpp"
#include "io/write_atomic.hpp"
#include "test_support.hpp"

namespace drumsynth {
namespace {

using test::ScratchDir;
using test::shared_data;

TEST(AudioIo, ReadsEveryFormatOfTheDevelopmentSet) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  int n_files = 0;
  std::set<std::string> extensions;
  for (const auto& e : std::filesystem::recursive_directory_iterator(shared_data())) {
    const std::string ext = e.path().extension().string();
    if (ext != ".wav" && ext != ".flac" && ext != ".aif" && ext != ".aiff") continue;
    const Sound s = load_sound(e.path().string());
    EXPECT_GE(s.sample_rate, 8000) << e.path();
    EXPECT_GT(s.samples.size(), 0u) << e.path();
    float peak = 0;
    for (float v : s.samples) peak = std::max(peak, std::abs(v));
    EXPECT_GT(peak, 1e-4f) << e.path();
    EXPECT_LE(peak, 1.0f + 1e-6f) << e.path();
    extensions.insert(ext);
    ++n_files;
  }
  EXPECT_GE(n_files, 138);  // 138 in drums-dev, 4 in seed-inputs
  EXPECT_TRUE(extensions.count(".flac"));
}

TEST(AudioIo, MixesStereoToMonoAndKeepsTheRate) {
  ScratchDir dir;
  // left 0.5, right -0.25: the mono mix is their mean, 0.125
  std::vector<float> st;
  for (int i = 0; i < 1000; ++i) st.push_back(0.5f), st.push_back(-0.25f);
  test::write_audio(dir / "st.wav", st, 22050, 2);
  const Sound s = load_sound(dir / "st.wav");
  EXPECT_EQ(s.sample_rate, 22050);
  EXPECT_EQ(s.n_channels, 2);
  ASSERT_EQ(s.samples.size(), 1000u);
  EXPECT_FLOAT_EQ(s.samples[10], 0.125f);
}

TEST(AudioIo, ReadsIntegerAndFloatFormats) {
  ScratchDir dir;
  const auto x = test::decaying_tone(4410, 44100);
  const int formats[] = {SF_FORMAT_WAV | SF_FORMAT_PCM_U8,  SF_FORMAT_WAV | SF_FORMAT_PCM_16,
                         SF_FORMAT_WAV | SF_FORMAT_PCM_24,  SF_FORMAT_WAV | SF_FORMAT_PCM_32,
                         SF_FORMAT_WAV | SF_FORMAT_FLOAT,   SF_FORMAT_FLAC | SF_FORMAT_PCM_16,
                         SF_FORMAT_AIFF | SF_FORMAT_PCM_16, SF_FORMAT_OGG | SF_FORMAT_VORBIS};
  const double tolerance[] = {1.0 / 64, 1e-4, 1e-6, 1e-6, 1e-7, 1e-4, 1e-4, 0.05};
  for (size_t f = 0; f < std::size(formats); ++f) {
    const std::string path = dir / ("x" + std::to_string(f) + ".audio");
    test::write_audio(path, x, 44100, 1, formats[f]);
    const Sound s = load_sound(path);
    ASSERT_EQ(s.samples.size(), x.size()) << "format " << std::hex << formats[f];
    double worst = 0;
    for (size_t i = 0; i < x.size(); ++i)
      worst = std::max(worst, double(std::abs(s.samples[i] - x[i])));
    EXPECT_LT(worst, tolerance[f]) << "format " << std::hex << formats[f];
  }
}

// Each bad input: an InputError whose message names the file and the problem.
void expect_input_error(const std::string& path, const std::string& problem,
                        const LoadOptions& o = {}) {
  try {
    load_sound(path, o);
    ADD_FAILURE() << "no error for " << path;
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.rfind(path + ": ", 0), 0u) << m;
    EXPECT_NE(m.find(problem), std::string::npos) << m;
    EXPECT_EQ(m.find('\n'), std::string::npos) << "one line: " << m;
  }
}

TEST(AudioIo, RejectsBadInputWithOneLineNamingFileAndProblem) {
  ScratchDir dir;
  expect_input_error(dir / "missing.wav", "no such file");
  expect_input_error(dir.path.string(), "is a directory");
  { std::ofstream(dir / "notes.wav") << "this is not audio\n"; }
  expect_input_error(dir / "notes.wav", "not a readable audio file");
  { std::ofstream(dir / "zero.wav"); }
  expect_input_error(dir / "zero.wav", "not a readable audio file");
  test::write_audio(dir / "empty.wav", {}, 44100, 1);
  expect_input_error(dir / "empty.wav", "empty");
  test::write_audio(dir / "silent.wav", std::vector<float>(4410, 0.0f), 44100, 1);
  expect_input_error(dir / "silent.wav", "silent");
  auto nan = test::decaying_tone(1000, 44100);
  nan[500] = std::nanf("");
  test::write_audio(dir / "nan.wav", nan, 44100, 1);
  expect_input_error(dir / "nan.wav", "NaN or Inf sample at frame 500");
  auto inf = test::decaying_tone(1000, 44100);
  inf[7] = INFINITY;
  test::write_audio(dir / "inf.wav", inf, 44100, 1);
  expect_input_error(dir / "inf.wav", "NaN or Inf");
  test::write_audio(dir / "low.wav", test::decaying_tone(1000, 4000), 4000, 1);
  expect_input_error(dir / "low.wav", "sample rate 4000 Hz is outside 8000-192000 Hz");
  test::write_audio(dir / "high.wav", test::decaying_tone(1000, 200000), 200000, 1);
  expect_input_error(dir / "high.wav", "sample rate 200000 Hz is outside");
  test::write_audio(dir / "long.wav", test::decaying_tone(8000 * 11, 8000), 8000, 1);
  expect_input_error(dir / "long.wav", "11 s is longer than the 10 s limit");
  EXPECT_NO_THROW(load_sound(dir / "long.wav", LoadOptions{12.0}));  // the option raises it
}

// A file cut short (a copy interrupted, a download stopped) is refused, not
// fitted as its first part: WAV (libsndfile clamps the data chunk and says so
// only in its log), AIFF and FLAC (fewer frames than the header declares).
TEST(AudioIo, RejectsACutFile) {
  ScratchDir dir;
  const auto tone = test::decaying_tone(44100, 44100);
  const std::pair<std::string, int> formats[] = {{"wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16},
                                                 {"aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16},
                                                 {"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16}};
  for (const auto& [ext, format] : formats) {
    const std::string whole = dir / ("whole." + ext), cut = dir / ("cut." + ext);
    test::write_audio(whole, tone, 44100, 1, format);
    ASSERT_NO_THROW(load_sound(whole)) << ext;
    std::ifstream in(whole, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 3);
    expect_input_error(cut, "truncated");
  }
  // The repository's own example, cut after 300 bytes (128 samples).
  std::ifstream in(std::string(DRUMSYNTH_SOURCE_DIR) + "/inputs/timpany.wav", std::ios::binary);
  std::string head(300, '\0');
  in.read(head.data(), 300);
  std::ofstream(dir / "timpany-cut.wav", std::ios::binary) << head;
  expect_input_error(dir / "timpany-cut.wav",
                     "truncated: its sample data should be 123288 bytes, the file holds 256");
}

TEST(AudioIo, SaveWavIsAtomicAndRoundTrips) {
  ScratchDir dir;
  const auto x = test::decaying_tone(2000, 48000);
  save_wav(dir / "out.wav", x, 48000);
  EXPECT_EQ(dir.files(), std::vector<std::string>{"out.wav"});  // no temporary left behind
  const Sound s = load_sound(dir / "out.wav");
  EXPECT_EQ(s.sample_rate, 48000);
  ASSERT_EQ(s.samples.size(), x.size());
  for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(s.samples[i], x[i], 2e-7) << i;  // 24-bit
  // A write that fails leaves neither the file nor a temporary.
  EXPECT_THROW(write_atomic(dir / "never.txt",
                            [](const std::string& tmp) {
                              std::ofstream(tmp) << "partial";
                              throw Error("disk on fire");
                            }),
               Error);
  EXPECT_EQ(dir.files(), std::vector<std::string>{"out.wav"});
}

// What a killed run leaves (NAME.tmp-PID of a process that is gone) is
// removed; a live process's temporary file and other names are not.
TEST(WriteAtomic, RemovesOnlyTheTemporariesOfProcessesThatAreGone) {
  namespace fs = std::filesystem;
  ScratchDir dir;
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ASSERT_GT(child, 0);
  ::waitpid(child, nullptr, 0);  // now gone
  fs::create_directories(dir.path / "kit");
  const std::string dead = dir / ("kit/a.preset.json.tmp-" + std::to_string(child));
  const std::string live = dir / ("b.wav.tmp-" + std::to_string(::getppid()));
  const std::string other = dir / "c.tmp-notapid";
  for (const auto& f : {dead, live, other}) std::ofstream(f) << "x";
  EXPECT_EQ(remove_stale_temporaries(dir.path.string()), 1);
  EXPECT_FALSE(fs::exists(dead));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(other));
  EXPECT_EQ(remove_stale_temporaries((dir.path / "missing").string()), 0);
}

}  // namespace
}  // namespace drumsynth
