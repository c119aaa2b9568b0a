// Reading drum samples (any format and rate libsndfile reads, mixed to mono,
// validated) and writing WAV files atomically (temporary file, then rename, so
// an interrupted run never leaves a half-written output).
#pragma once

#include <string>
#include <vector>

#include "drumsynth/error.hpp"

namespace drumsynth {

struct Sound {
  std::string path;
  double sample_rate = 0;
  int n_channels = 0;          // in the file; samples are mixed to mono
  std::vector<float> samples;  // mono, in [-1, 1] for integer formats
  double seconds() const { return double(samples.size()) / sample_rate; }
};

struct LoadOptions {
  double max_seconds = 10.0;
  double min_rate_hz = 8000.0;
  double max_rate_hz = 192000.0;
  bool refuse_silence = true;  // a loss's estimate may be silent; a target may not
};

// Throws InputError for a missing file, a directory, a file libsndfile cannot
// read, 0 samples, NaN/Inf samples, a rate out of range, a sound too long, or silence.
Sound load_sound(const std::string& path, const LoadOptions& options = {});

// The same checks and mixing for samples already in memory (frames x
// channels, interleaved), e.g. from NumPy; `name` stands for the path in errors.
Sound sound_from_samples(const std::string& name, const float* interleaved, size_t frames,
                         int channels, double sample_rate, const LoadOptions& options = {});

// Sample frames in the file's header, without reading it; -1 if unreadable.
long long audio_frames(const std::string& path);

// 24-bit PCM WAV (samples clipped to [-1, 1]), written atomically.
void save_wav(const std::string& path, const std::vector<float>& samples, double sample_rate);

}  // namespace drumsynth
