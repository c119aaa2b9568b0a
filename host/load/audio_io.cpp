// Audio files through libsndfile, with the checks a user's folder needs.
#include "drumsynth/audio_io.hpp"

#include <sndfile.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/write_atomic.hpp"

namespace drumsynth {

namespace fs = std::filesystem;

namespace {

// libsndfile reads a WAV or AIFF whose sample chunk ("data", "SSND") runs
// past the end of the file as the samples that are there, and says so only
// in its log, as "data : 123288 (should be 256)". A declared size of
// 0xFFFFFFFF is a streaming writer's placeholder, not a cut; the container's
// own size (RIFF, FORM) is often wrong in files that are whole. Returns
// (declared, present) bytes of a cut sample chunk, or (0, 0).
std::pair<long long, long long> cut_data_chunk(SNDFILE* f) {
  std::string log(8192, '\0');
  sf_command(f, SFC_GET_LOG_INFO, log.data(), int(log.size()));
  std::istringstream lines(log.c_str());
  for (std::string line; std::getline(lines, line);) {
    char id[16] = {};
    long long declared = 0, present = 0;
    if (std::sscanf(line.c_str(), " %15s : %lld (should be %lld)", id, &declared, &present) != 3)
      continue;
    const std::string chunk = id;
    if ((chunk == "data" || chunk == "SSND") && declared > present && declared != 0xFFFFFFFFLL)
      return {declared, present};
  }
  return {0, 0};
}

std::string format_number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void check_rate(const std::string& name, double rate, const LoadOptions& options) {
  if (!(rate >= options.min_rate_hz && rate <= options.max_rate_hz))
    throw InputError(name, "sample rate " + format_number(rate) + " Hz is outside " +
                               format_number(options.min_rate_hz) + "-" +
                               format_number(options.max_rate_hz) + " Hz");
}

void check_length(const std::string& name, double seconds, const LoadOptions& options) {
  if (seconds > options.max_seconds)
    throw InputError(name, format_number(seconds) + " s is longer than the " +
                               format_number(options.max_seconds) +
                               " s limit (raise it with --max-seconds)");
}
}  // namespace

Sound load_sound(const std::string& path, const LoadOptions& options) {
  std::error_code ec;
  const auto status = fs::status(path, ec);
  if (ec || !fs::exists(status)) throw InputError(path, "no such file");
  if (fs::is_directory(status)) throw InputError(path, "is a directory, not an audio file");
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) {
    const std::string why = sf_strerror(nullptr);
    throw InputError(path, "not a readable audio file (" + why + ")");
  }
  if (info.frames <= 0 || info.channels <= 0) {
    sf_close(f);
    throw InputError(path, "empty: the file holds no samples");
  }
  try {  // before reading: a long file is refused without reading it
    check_rate(path, info.samplerate, options);
    check_length(path, double(info.frames) / info.samplerate, options);
  } catch (...) {
    sf_close(f);
    throw;
  }
  std::vector<float> interleaved(size_t(info.frames) * size_t(info.channels));
  const sf_count_t got = sf_readf_float(f, interleaved.data(), info.frames);
  const auto [declared, present] = cut_data_chunk(f);
  sf_close(f);
  if (got <= 0) throw InputError(path, "empty: no samples could be read");
  // A cut file would otherwise be fitted as its first part, silently.
  if (declared > 0)
    throw InputError(path, "truncated: its sample data should be " + std::to_string(declared) +
                               " bytes, the file holds " + std::to_string(present));
  if (got < info.frames)
    throw InputError(path, "truncated: the header declares " + std::to_string(info.frames) +
                               " frames, " + std::to_string(got) + " could be read");
  return sound_from_samples(path, interleaved.data(), size_t(got), info.channels, info.samplerate,
                            options);
}

Sound sound_from_samples(const std::string& name, const float* interleaved, size_t frames,
                         int channels, double sample_rate, const LoadOptions& options) {
  if (frames == 0 || channels <= 0) throw InputError(name, "empty: no samples");
  check_rate(name, sample_rate, options);
  check_length(name, double(frames) / sample_rate, options);
  Sound s;
  s.path = name;
  s.sample_rate = sample_rate;
  s.n_channels = channels;
  s.samples.resize(frames);
  double peak = 0;
  for (size_t i = 0; i < frames; ++i) {
    double sum = 0;
    for (int c = 0; c < channels; ++c) {
      const float v = interleaved[i * size_t(channels) + size_t(c)];
      if (!std::isfinite(v))
        throw InputError(name, "NaN or Inf sample at frame " + std::to_string(i));
      sum += v;
    }
    s.samples[i] = float(sum / channels);
    peak = std::max(peak, std::abs(double(s.samples[i])));
  }
  // -120 dBFS: below the quietest 16-bit sample (3e-5), so only true silence
  // (or a file whose channels cancel) is refused; there is nothing to fit in it.
  if (options.refuse_silence && peak < 1e-6)
    throw InputError(name, "silent: every sample is below -120 dBFS");
  return s;
}

long long audio_frames(const std::string& path) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  if (!f) return -1;
  sf_close(f);
  return info.frames;
}

void save_wav(const std::string& path, const std::vector<float>& samples, double sample_rate) {
  write_atomic(path, [&](const std::string& tmp) {
    SF_INFO info{};
    info.samplerate = int(std::lround(sample_rate));
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_24;
    SNDFILE* f = sf_open(tmp.c_str(), SFM_WRITE, &info);
    if (!f) throw InputError(path, std::string("cannot write (") + sf_strerror(nullptr) + ")");
    // Clip rather than wrap: libsndfile converts float > 1 to integer PCM by wrapping
    // unless told to clip.
    sf_command(f, SFC_SET_CLIPPING, nullptr, SF_TRUE);
    const sf_count_t n = sf_writef_float(f, samples.data(), sf_count_t(samples.size()));
    sf_close(f);
    if (n != sf_count_t(samples.size())) throw InputError(path, "write failed (disk full?)");
  });
}

}  // namespace drumsynth
