// Writing a file atomically: into a temporary file beside it, then a rename,
// so an interrupted run never leaves a half-written output under the real name
// (a batch's resume takes a present preset as a finished sound).
#pragma once

#include <functional>
#include <string>

namespace drumsynth {

// Runs write(tmp_path) and renames tmp_path to path; removes tmp_path on failure.
void write_atomic(const std::string& path, const std::function<void(const std::string&)>& write);

// Writes text to path atomically.
void write_text_atomic(const std::string& path, const std::string& text);

// Removes, under dir (recursively), the temporary files write_atomic left
// behind in a process that no longer runs (killed mid-write, e.g. by SIGKILL,
// which nothing can catch); those of live processes are left alone. Returns
// how many it removed.
int remove_stale_temporaries(const std::string& dir);

}  // namespace drumsynth
