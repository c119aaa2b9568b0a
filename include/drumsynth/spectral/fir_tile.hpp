// The A-weighting FIR (a_weighting.hpp's fir_same) and its transpose on the
// GPU, in tiles: a block stages one tile of its instance's input and the taps
// in shared memory, and each thread makes kFirOutputsPerThread consecutive
// outputs from a sliding window of registers. Device-safe; the CPU test runs
// these pieces as the kernel does, tile by tile and thread by thread.
//
// Both directions are one correlation,
//   out[i] = sum_j c[j] in[i + j - half],   half = n_taps / 2,  in = 0 outside [0, n):
// the FIR is c = taps (y[i] = sum_k taps[k] x[i + k - half]); its transpose
//   v_x[m] = sum_k taps[k] v_y[m - k + half]
// is, with j = n_taps - 1 - k and n_taps odd (n_taps - 1 - half = half),
//   v_x[m] = sum_j taps[n_taps - 1 - j] v_y[m + j - half]:
// the same correlation with the taps reversed.
//
// Why tiles: one thread per output, reading its inputs and the taps from
// global memory (the first kernel), issues two loads per multiply-add, and a
// 101-tap FIR forward and back is ~10 GFLOP per iteration at B = 1024 x 1 s:
// load-bound at ~2 ms. Here each step of a thread's loop loads one new input
// and one tap for kFirOutputsPerThread multiply-adds.
#pragma once

#include "drumsynth/math/common.hpp"

namespace drumsynth {

constexpr int kFirTileThreads = 128;
// Odd: the threads of a warp read inputs kFirOutputsPerThread words apart,
// and an odd stride lands 32 lanes in 32 distinct shared-memory banks.
constexpr int kFirOutputsPerThread = 5;
constexpr int kFirTileOutputs = kFirTileThreads * kFirOutputsPerThread;

// Inputs a tile needs: its outputs plus the taps' reach on both sides.
DS_HD constexpr int fir_tile_inputs(int n_taps) { return kFirTileOutputs + n_taps - 1; }

// Element s of the tile whose first output is `first`: in[first - half + s],
// or 0 outside the sound ("same" convolution with zero padding).
DS_HD float fir_tile_input(const float* in, int n, int first, int half, int s) {
  const int i = first - half + s;
  return i >= 0 && i < n ? in[i] : 0.0f;
}

// The correlation's coefficient j: the taps, or the taps reversed for the transpose.
DS_HD float fir_coefficient(const float* taps, int n_taps, bool transpose, int j) {
  return taps[transpose ? n_taps - 1 - j : j];
}

// The outputs at tile positions base .. base + R - 1 from the staged tile
// (xs[s] = input at tile position s - half) and coefficients cs:
//   out[r] = sum_j cs[j] xs[base + r + j],  j ascending, one fused multiply-add a term.
// The window w holds xs[base + j .. base + j + R - 1]; each step loads its new
// last element and shifts (register renames once unrolled).
template <int R>
DS_HD void fir_thread_outputs(const float* xs, const float* cs, int n_taps, int base,
                              float (&out)[R]) {
  float w[R];
  DS_UNROLL
  for (int r = 0; r < R; ++r) out[r] = 0.0f;
  DS_UNROLL
  for (int r = 0; r + 1 < R; ++r) w[r] = xs[base + r];
  for (int j = 0; j < n_taps; ++j) {
    w[R - 1] = xs[base + j + R - 1];
    const float c = cs[j];
    DS_UNROLL
    for (int r = 0; r < R; ++r) out[r] = fmaf(c, w[r], out[r]);
    DS_UNROLL
    for (int r = 0; r + 1 < R; ++r) w[r] = w[r + 1];
  }
}

}  // namespace drumsynth
