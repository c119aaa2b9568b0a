// libFuzzer target: any bytes as an audio file, through load_sound (libsndfile
// and our checks). A file load_sound refuses must give an InputError; anything
// else (a crash, a sanitizer report, another exception, a sample that is not
// finite or a rate out of range in a sound it accepts) is a bug.
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "drumsynth/audio_io.hpp"

namespace {
// One in-memory file, rewritten per input and opened by its /proc path, so
// libsndfile reads it as it would a file on disk.
int memory_file() {
  static const int fd = memfd_create("fuzz-audio", 0);
  return fd;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = memory_file();
  if (fd < 0 || ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != ssize_t(size)) std::abort();
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    const drumsynth::Sound s = drumsynth::load_sound(path);
    if (s.samples.empty() || !(s.sample_rate >= 8000 && s.sample_rate <= 192000)) std::abort();
    for (float v : s.samples)
      if (!std::isfinite(v)) std::abort();
  } catch (const drumsynth::InputError&) {
  }
  return 0;
}
