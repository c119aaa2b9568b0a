// Writes the fuzzers' seed corpus (tests/fuzz/corpus/, committed): tiny audio
// files in every container libsndfile writes and our loader meets (WAV of
// several sample formats, FLAC, AIFF, OGG, AU, CAF, W64, RF64), each also
// truncated and with bytes flipped; presets of both versions and broken ones;
// a few loss inputs. Deterministic.
//   make_corpus OUT_DIR PRESET_V1 PRESET_V2
#include <sndfile.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}
void write(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// The file and two damaged copies: cut in half, and every 7th byte after the header flipped.
void with_variants(const fs::path& path) {
  const std::string b = read(path.string());
  write(path.string() + ".cut", b.substr(0, b.size() / 2));
  std::string flipped = b;
  for (size_t i = 12; i < flipped.size(); i += 7) flipped[i] = char(flipped[i] ^ 0x5a);
  write(path.string() + ".flip", flipped);
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  const fs::path out(argv[1]);
  fs::create_directories(out / "audio_loader"), fs::create_directories(out / "preset");
  fs::create_directories(out / "loss");
  struct Format {
    const char* name;
    int format;
    int channels;
    int rate;
  };
  const Format formats[] = {
      {"pcm16.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 1, 44100},
      {"pcm24.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 2, 48000},
      {"float.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 8000},
      {"double.wav", SF_FORMAT_WAV | SF_FORMAT_DOUBLE, 1, 96000},
      {"u8.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 1, 22050},
      {"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 2, 44100},
      {"aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 1, 44100},
      {"ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 1, 44100},
      {"au", SF_FORMAT_AU | SF_FORMAT_PCM_16, 1, 16000},
      {"caf", SF_FORMAT_CAF | SF_FORMAT_PCM_16, 1, 44100},
      {"w64", SF_FORMAT_W64 | SF_FORMAT_FLOAT, 1, 48000},
      {"rf64", SF_FORMAT_RF64 | SF_FORMAT_PCM_16, 1, 192000},
  };
  for (const Format& f : formats) {
    SF_INFO info{};
    info.samplerate = f.rate, info.channels = f.channels, info.format = f.format;
    const fs::path path = out / "audio_loader" / f.name;
    SNDFILE* s = sf_open(path.c_str(), SFM_WRITE, &info);
    if (!s) {
      std::fprintf(stderr, "%s: %s\n", f.name, sf_strerror(nullptr));
      continue;
    }
    std::vector<float> x(200 * size_t(f.channels));
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = float(0.5 * std::sin(0.3 * double(i)) * std::exp(-double(i) / 80));
    sf_writef_float(s, x.data(), 200);
    sf_close(s);
    with_variants(path);
  }
  const std::string v1 = read(argv[2]), v2 = read(argv[3]);
  write(out / "preset" / "v1.json", v1), write(out / "preset" / "v2.json", v2);
  write(out / "preset" / "v2.cut.json", v2.substr(0, v2.size() / 3));
  write(out / "preset" / "bare.json",
        R"({"format": "drumsynth-preset", "format_version": 2, "sample_rate": 44100,
 "n_samples": 100, "noise_seed": 1, "parameters": {"onset_s": 0.01, "tone1_gain": 2}})");
  write(out / "preset" / "version9.json", R"({"format": "drumsynth-preset", "format_version": 9})");
  write(out / "preset" / "empty.json", "");
  std::string loss(2 + 8 * 64, '\0');
  for (size_t i = 0; i < loss.size(); ++i) loss[i] = char((i * 37) & 0xff);
  write(out / "loss" / "ramp", loss);  // settings from the header, 64 samples each
  return 0;
}
