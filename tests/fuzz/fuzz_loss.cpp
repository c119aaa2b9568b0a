// libFuzzer target: the MRSTFT loss of two arbitrary buffers (any float bit
// patterns, NaN and Inf included) at rates of 8-192 kHz, under the named
// presets (1 input in 16 each: their 16384- and 2048-point FFTs make them
// slow, tens of milliseconds under the sanitizers) and otherwise under
// settings the input chooses: 1-3 resolutions of 4-257 points (odd sizes,
// hop 0 and windows longer than the FFT included, which must be refused with
// drumsynth::Error), A-weighting on or off, any RMS weight, and a floor eps of
// 0. It must return or refuse, never crash or trip a sanitizer; a NaN loss
// for NaN input is fine. Small FFTs keep it fast enough for millions of
// executions, and they run the same framing, padding, FFT and per-bin code.
#include <stddef.h>
#include <stdint.h>

#include <cstring>
#include <vector>

#include "drumsynth/error.hpp"
#include "drumsynth/loss_settings.hpp"

namespace {

// The settings the input's header chooses; `used` says how many bytes it read.
drumsynth::LossSettings chosen_settings(const uint8_t* h, size_t size, size_t* used, size_t* max_n) {
  using drumsynth::loss_preset;
  *used = 1, *max_n = 512;
  if (h[0] < 16) return *max_n = 2048, loss_preset("seed");
  if (h[0] < 32) return *max_n = 2048, loss_preset("auraloss");
  drumsynth::LossSettings s;
  s.preset = "custom";
  const int n_res = 1 + h[0] % 3;
  if (size < size_t(2 + 3 * n_res)) return *used = size, s;
  for (int r = 0; r < n_res; ++r) {
    const uint8_t* b = h + 1 + 3 * r;
    const int fft = (4 << (b[0] % 7)) + (b[0] >= 250 ? 1 : 0);  // 4..256, rarely odd
    s.resolutions.push_back({fft, b[1] % (fft + 1), b[2] % (fft + 2)});
  }
  const uint8_t flags = h[1 + 3 * n_res];
  s.a_weighting = flags & 1;
  s.rms_weight = (flags & 2) ? (flags >> 2) / 8.0 : 0.0;
  s.eps = (flags & 0x80) ? 0.0 : 1e-8;
  *used = size_t(2 + 3 * n_res);
  return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const double rate = 8000.0 + 184000.0 * (data[0] / 255.0);
  ++data, --size;
  size_t used = 0, max_n = 0;
  const drumsynth::LossSettings settings = chosen_settings(data, size, &used, &max_n);
  data += used, size -= used;
  const size_t n = std::min<size_t>(size / 8, max_n);  // two buffers of n floats
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
