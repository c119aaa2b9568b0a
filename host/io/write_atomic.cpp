// Atomic writes: temporary file (named after the process, so two runs never
// share one), then rename, which replaces the target in one step.
#include "io/write_atomic.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <vector>

#include "drumsynth/error.hpp"

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

int remove_stale_temporaries(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return 0;
  std::vector<fs::path> stale;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const size_t at = name.rfind(".tmp-");
    if (at == std::string::npos || !it->is_regular_file(ec)) continue;
    const std::string digits = name.substr(at + 5);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const long pid = std::stol(digits);
    // kill(pid, 0) sends nothing: it says whether the process exists.
    if (pid != long(::getpid()) && ::kill(pid_t(pid), 0) != 0 && errno == ESRCH)
      stale.push_back(it->path());
  }
  int removed = 0;
  for (const auto& p : stale) removed += fs::remove(p, ec) ? 1 : 0;
  return removed;
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
