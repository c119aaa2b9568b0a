// The framing's adjoint as a gather, for kernels that give each output sample
// one thread (device-safe). The framing (stft_framing.hpp) reads, for frame f
// and position i < n, padded[f hop + i] = x[reflect_index(f hop + i - n/2,
// padded_len)] (0 past the sound) times window[i]. Its adjoint scatters each
// frame's gradient back; gathered per sample it is two steps:
//   v_padded[q] = sum over the frames f covering q of v_frame[f][q - f hop] window[q - f hop]
//   v_x[s]      = the sum of v_padded over the padded positions that read s:
//                 q = s + n/2, its left mirror n/2 - s (1 <= s <= n/2), and its
//                 right mirror n/2 + 2 (padded_len - 1) - s.
// Also the packing of a bin's gradient for an inverse real FFT (C2R).
#pragma once

#include "drumsynth/spectral/stft_framing.hpp"

namespace drumsynth {

// Frames covering padded position q: [first, last] (empty when first > last).
DS_HD void frames_covering(int q, const StftResolution& r, int n_frames, int& first, int& last) {
  first = q - r.fft_size < 0 ? 0 : (q - r.fft_size) / r.hop;
  last = q / r.hop < n_frames - 1 ? q / r.hop : n_frames - 1;
}

// v_padded[q]; v_frame(f, i) returns frame f's gradient at position i, window(i) the window.
template <typename Real, typename FrameGrad, typename Window>
DS_HD Real overlap_add_at(int q, const StftResolution& r, int n_frames, const FrameGrad& v_frame,
                          const Window& window) {
  int first, last;
  frames_covering(q, r, n_frames, first, last);
  Real acc = Real(0);
  for (int f = first; f <= last; ++f) {
    const int i = q - f * r.hop;
    if (i >= 0 && i < r.fft_size) acc += v_frame(f, i) * window(i);
  }
  return acc;
}

// v_x[s] from v_padded ([padded_len + fft_size] positions), s < the sound's length.
template <typename Real>
DS_HD Real fold_reflect_padding(int s, const StftResolution& r, int padded_len,
                                const Real* v_padded) {
  const int half = r.fft_size / 2;
  Real acc = v_padded[s + half];
  if (s >= 1 && s <= half) acc += v_padded[half - s];
  const int q = half + 2 * (padded_len - 1) - s;
  if (s <= padded_len - 2 && q < padded_len + r.fft_size) acc += v_padded[q];
  return acc;
}

// An inverse real FFT (cuFFT's C2R) computes sum_k Z_k e^{+2 pi i k n / N} over
// the Hermitian extension, so the forward FFT's adjoint is C2R of Z_0 = G_0,
// Z_{N/2} = G_{N/2} and Z_k = G_k / 2 between (host/loss/real_fft.cpp).
template <typename Real>
DS_HD Real c2r_gradient_scale(int k, int n_bins) {
  return (k == 0 || k == n_bins - 1) ? Real(1) : Real(0.5);
}

}  // namespace drumsynth
