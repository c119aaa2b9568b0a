// Atomic writes: temporary file (named after the process, so two runs never
// share one), then rename, which replaces the target in one step.
#include "write_atomic.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "drumsynth/audio_io.hpp"

namespace drumsynth {

namespace fs = std::filesystem;

void write_atomic(const std::string& path, const std::function<void(const std::string&)>& write) {
  const fs::path target(path);
  if (target.has_parent_path() && !fs::exists(target.parent_path()))
    fs::create_directories(target.parent_path());
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  try {
    write(tmp);
    fs::rename(tmp, target);
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
}

void write_text_atomic(const std::string& path, const std::string& text) {
  write_atomic(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary);
    out << text;
    out.close();
    if (!out) throw InputError(path, "write failed");
  });
}

}  // namespace drumsynth
