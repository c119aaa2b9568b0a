// Helpers shared by the tests: a scratch folder, the shared data folder,
// writing small audio files, and running the drumsynth command.
#pragma once

#include <gtest/gtest.h>
#include <sndfile.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace drumsynth::test {

namespace fs = std::filesystem;

// A fresh folder under /tmp, removed at the end of the test.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("drumsynth-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
  // Every file name in the folder (not recursive), sorted.
  std::vector<std::string> files() const {
    std::vector<std::string> v;
    for (const auto& e : fs::directory_iterator(path)) v.push_back(e.path().filename().string());
    std::sort(v.begin(), v.end());
    return v;
  }
};

// ../shared/data beside the repository (CI lays shared/ there too).
inline fs::path shared_data() { return fs::path(DRUMSYNTH_SOURCE_DIR) / ".." / "shared" / "data"; }

#define DRUMSYNTH_REQUIRE_SHARED_DATA()                                                   \
  do {                                                                                    \
    if (!std::filesystem::exists(::drumsynth::test::shared_data()))                       \
      GTEST_SKIP() << "no ../shared/data beside the repository (" << DRUMSYNTH_SOURCE_DIR \
                   << "); the real drum samples are needed";                              \
  } while (0)

// Writes interleaved samples with libsndfile in the given format.
inline void write_audio(const std::string& path, const std::vector<float>& interleaved, int rate,
                        int channels, int format = SF_FORMAT_WAV | SF_FORMAT_FLOAT) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = channels;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
  sf_writef_float(f, interleaved.data(), sf_count_t(interleaved.size() / channels));
  sf_close(f);
}

inline std::vector<float> decaying_tone(int n, double rate, double freq = 220.0) {
  std::vector<float> x(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    x[i] = float(0.5 * std::sin(2 * M_PI * freq * i / rate) * std::exp(-i / (0.05 * rate)));
  return x;
}

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr together
};

// Runs a shell command, capturing stdout and stderr together.
inline CommandResult run_shell(const std::string& command) {
  const std::string cmd = command + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  CommandResult r{-1, ""};
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t got;
  while ((got = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), got);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Runs `drumsynth ARGS`.
inline CommandResult run_drumsynth(const std::string& args) {
  return run_shell(std::string("'") + DRUMSYNTH_BINARY + "' " + args);
}

inline int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace drumsynth::test
