// The library's error type and its invariant check, for host code. The
// command line catches Error at main and prints its message as one line;
// library code never calls exit().
#pragma once

#include <stdexcept>
#include <string>

namespace drumsynth {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A problem with a user's file: the message is "<path>: <problem>".
struct InputError : Error {
  InputError(const std::string& path, const std::string& problem) : Error(path + ": " + problem) {}
};

}  // namespace drumsynth

#define DS_STRINGIFY2(x) #x
#define DS_STRINGIFY(x) DS_STRINGIFY2(x)
// Internal invariant check: throws drumsynth::Error with file, line and expression.
#define DS_CHECK(cond)                                                                       \
  do {                                                                                       \
    if (!(cond))                                                                             \
      throw ::drumsynth::Error(std::string(__FILE__ ":" DS_STRINGIFY(__LINE__) ": check "    \
                                                                               "failed: ") + \
                               #cond);                                                       \
  } while (0)
