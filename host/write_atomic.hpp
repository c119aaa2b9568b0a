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

}  // namespace drumsynth
