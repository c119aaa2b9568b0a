// libFuzzer target: the MRSTFT loss of two arbitrary buffers (any float bit
// patterns, NaN and Inf included) at one of 16 rates of 8-192 kHz (the usual
// ones and a few odd ones: the A-weighting's design is kept per rate, and 256
// rates redesigned it, ~2 ms, on most inputs), under settings the input
// chooses: 1-3 resolutions of 4-257 points (odd sizes, hop 0 and windows
// longer than the FFT included, which must be refused with drumsynth::Error),
// A-weighting on or off, any RMS weight, the band-energy term at any weight and
// range, and a floor eps of 0. It must return or refuse, never crash or trip a
// sanitizer; a NaN loss for NaN input is fine.
//
// The named presets are not run here: they are fixed values of these same
// settings (their code paths are the ones above), and their 16384-point FFTs
// cost 5-25 ms a call under the sanitizers, 30-100x a small input. Chosen by a
// header byte, the mutator made them about a third of all inputs (its
// favourite bytes 0, 1, 2 chose them, and their inputs, once in the corpus,
// mutate into more), holding the target to ~200 runs a second; without them
// it runs ~6,000. The sanitized test suite runs every preset on real sounds.
#include <stddef.h>
#include <stdint.h>

#include <cstring>
#include <vector>

#include "drumsynth/error.hpp"
#include "drumsynth/loss_settings.hpp"

namespace {

constexpr double kRates[16] = {8000,  11025, 16000,  22050,  24000,  32000,     44100,  48000,
                               88200, 96000, 176400, 192000, 8001.5, 12345.678, 100000, 191999};

// The settings the input's header chooses; `used` says how many bytes it read.
drumsynth::LossSettings chosen_settings(const uint8_t* h, size_t size, size_t* used) {
  *used = 1;
  drumsynth::LossSettings s;
  s.preset = drumsynth::LossPreset::custom;
  const int n_res = 1 + h[0] % 3;
  if (size < size_t(3 + 3 * n_res)) return *used = size, s;
  for (int r = 0; r < n_res; ++r) {
    const uint8_t* b = h + 1 + 3 * r;
    const int fft = (4 << (b[0] % 7)) + (b[0] >= 250 ? 1 : 0);  // 4..256, rarely odd
    s.resolutions.push_back({fft, b[1] % (fft + 1), b[2] % (fft + 2)});
  }
  const uint8_t flags = h[1 + 3 * n_res], band = h[2 + 3 * n_res];
  s.a_weighting = flags & 1;
  s.rms_weight = (flags & 2) ? (flags >> 2) / 8.0 : 0.0;
  s.eps = (flags & 0x80) ? 0.0 : 1e-8;
  s.w_band_log = (band & 0xf) / 2.0;     // 0 (off) .. 7.5
  s.band_range_db = 10.0 * (band >> 4);  // 0 .. 150 dB
  *used = size_t(3 + 3 * n_res);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const double rate = kRates[data[0] % 16];
  ++data, --size;
  size_t used = 0;
  const drumsynth::LossSettings settings = chosen_settings(data, size, &used);
  data += used, size -= used;
  const size_t n = std::min<size_t>(size / 8, 512);  // two buffers of n floats
  if (n == 0 || settings.resolutions.empty()) return 0;
  std::vector<float> a(n), b(n);
  std::memcpy(a.data(), data, n * sizeof(float));
  std::memcpy(b.data(), data + n * sizeof(float), n * sizeof(float));
  const std::vector<double> x(a.begin(), a.end()), y(b.begin(), b.end());
  try {
    (void)drumsynth::mrstft_loss(x, y, rate, settings);
  } catch (const drumsynth::Error&) {  // refused settings: the documented answer
  }
  return 0;
}
