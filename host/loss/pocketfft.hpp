// pocketfft (BSD-3, header only; Debian's python3-pythran ships it, CMake finds
// it as POCKETFFT_HEADER), configured once for every file that includes it.
// Our threads split the loss by resolution; pocketfft's own pool would only
// compete with them. Its plan cache holds every size one process uses (the two
// loss presets have 11, the analysis and reports a few more).
#pragma once

#include <cstddef>
#include <cstdlib>

// This pocketfft asks aligned_alloc(64, size) for sizes that are not multiples
// of 64, which C11 leaves undefined: glibc allows it, AddressSanitizer stops
// the program. Declared before the header, this is what its unqualified call
// finds; it rounds the size up (the memory is freed with free, as before).
namespace pocketfft::detail {
inline void* aligned_alloc(std::size_t alignment, std::size_t size) {
  return std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
}
}  // namespace pocketfft::detail

#define POCKETFFT_NO_MULTITHREADING
#define POCKETFFT_CACHE_SIZE 32
#include DRUMSYNTH_POCKETFFT_HEADER
