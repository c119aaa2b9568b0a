// Writes N short drum-like sounds (a decaying tone and noise, 0.1-0.4 s, some
// stereo) in mixed formats (WAV 16/24-bit and float, FLAC, AIFF, Ogg Vorbis,
// AU), for the batch soak test. Deterministic.
//   make_sounds OUT_DIR N
// With SECONDS, every sound instead is that long, mono 16-bit WAV at 48 kHz
// (the GPU check's 10,000 generated 1 s sounds).
//   make_sounds OUT_DIR N SECONDS
#include <sndfile.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) return 2;
  const std::filesystem::path out(argv[1]);
  const int n_sounds = std::atoi(argv[2]);
  const double fixed_seconds = argc == 4 ? std::atof(argv[3]) : 0.0;
  struct Format {
    const char* ext;
    int format;
  };
  const Format formats[] = {
      {"wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16},   {"wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24},
      {"wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT},    {"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
      {"aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16}, {"ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS},
      {"au", SF_FORMAT_AU | SF_FORMAT_PCM_16}};
  const int rates[] = {22050, 44100, 48000};
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  for (int k = 0; k < n_sounds; ++k) {
    const Format& f = fixed_seconds > 0 ? formats[0] : formats[k % 7];
    SF_INFO info{};
    info.samplerate = fixed_seconds > 0 ? 48000 : rates[k % 3];
    info.channels = fixed_seconds > 0 ? 1 : 1 + (k % 5 == 0);
    info.format = f.format;
    const double seconds = fixed_seconds > 0 ? fixed_seconds : 0.1 + 0.3 * u(rng);
    const int frames = int(info.samplerate * seconds);
    const double hz = 60 + 900 * u(rng), tau = 0.02 + 0.2 * u(rng), noise = 0.3 * u(rng);
    std::vector<float> x(size_t(frames) * info.channels);
    for (int i = 0; i < frames; ++i) {
      const double t = double(i) / info.samplerate;
      const double v =
          std::exp(-t / tau) * (0.6 * std::sin(2 * M_PI * hz * t) + noise * (2 * u(rng) - 1));
      for (int c = 0; c < info.channels; ++c) x[size_t(i) * info.channels + c] = float(v);
    }
    const auto dir = out / ("kit" + std::to_string(k % 4));
    std::filesystem::create_directories(dir);
    const auto path = dir / ("s" + std::to_string(k) + "." + f.ext);
    SNDFILE* s = sf_open(path.c_str(), SFM_WRITE, &info);
    if (!s) {
      std::fprintf(stderr, "%s: %s\n", path.c_str(), sf_strerror(nullptr));
      return 1;
    }
    sf_writef_float(s, x.data(), frames);
    sf_close(s);
  }
  return 0;
}
