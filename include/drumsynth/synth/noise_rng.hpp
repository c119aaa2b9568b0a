// Deterministic white noise: a counter-based generator keyed by (seed, sample
// index), so any sample can be drawn independently (one GPU thread per sample)
// and a preset renders bit-identical noise on CPU and GPU.
#pragma once

#include <stdint.h>

#include "drumsynth/math/common.hpp"

namespace drumsynth {

// SplitMix64's output function (Steele, Lea, Flood 2014) applied to a Weyl
// sequence of the index, offset by the seed: a strong 64-bit mixer whose
// every output bit depends on every input bit.
DS_HD uint64_t noise_hash(uint64_t seed, uint64_t index) {
  uint64_t z = seed * 0xD1B54A32D192ED03ull + (index + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform noise with zero mean and unit variance: the top 24 bits k give the
// odd integer 2k + 1 - 2^24, exact in float, scaled by sqrt(3) / 2^24 (a uniform
// on [-1, 1] has variance 1/3). One rounding, the same on every device. It is
// not Gaussian, but after the noise band's filters it is, near enough (central
// limit), and uniform needs no log/cos whose last bits differ between libm and CUDA.
template <typename Real>
DS_HD Real white_noise(uint64_t seed, uint64_t index) {
  const int32_t k = int32_t(noise_hash(seed, index) >> 40);
  return Real(2 * k + 1 - (1 << 24)) * Real(1.7320508075688772 / 16777216.0);
}

// A standard normal number for (seed, index), by Box-Muller on two 53-bit
// uniforms from the same generator: seeded starting points for fits.
DS_HD double standard_normal(uint64_t seed, uint64_t index) {
  const double u1 = (double(noise_hash(seed, 2 * index) >> 11) + 1.0) / 9007199254740992.0;
  const double u2 = double(noise_hash(seed, 2 * index + 1) >> 11) / 9007199254740992.0;
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

}  // namespace drumsynth
