// libFuzzer target: the MRSTFT loss of two arbitrary buffers (any float bit
// patterns, NaN and Inf included, any length up to 2048 samples, either
// preset, rates 8-192 kHz). It must return (a NaN loss for NaN input is
// fine) and never crash or trip a sanitizer.
#include <stddef.h>
#include <stdint.h>

#include <cstring>
#include <vector>

#include "drumsynth/loss_settings.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const bool seed = (data[0] & 15) == 0;  // 1 in 16: its 16384-point FFTs make it the slow one
  const double rate = 8000.0 + 184000.0 * (data[1] / 255.0);
  data += 2, size -= 2;
  const size_t n = std::min<size_t>(size / 8, 2048);  // two buffers of n floats
  if (n == 0) return 0;
  std::vector<float> a(n), b(n);
  std::memcpy(a.data(), data, n * sizeof(float));
  std::memcpy(b.data(), data + n * sizeof(float), n * sizeof(float));
  const std::vector<double> x(a.begin(), a.end()), y(b.begin(), b.end());
  (void)drumsynth::mrstft_loss(x, y, rate, drumsynth::loss_preset(seed ? "seed" : "auraloss"));
  return 0;
}
