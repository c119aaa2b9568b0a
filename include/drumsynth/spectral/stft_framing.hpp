// How the MRSTFT loss frames a sound, shared by the CPU loss and the CUDA
// kernels (device-safe). A sound shorter than the FFT is zero-extended to the
// FFT size, so every resolution sees the whole hit in one frame and the n/2
// reflect padding stays inside the signal; frames are then as
// torch.stft(center=True, pad_mode="reflect") makes them:
//   padded[q] = x[reflect_index(q - n/2, padded_len)]  (0 past the sound's end)
//   frame f   = padded[f hop, f hop + n) * window
#pragma once

#include "drumsynth/math/common.hpp"

namespace drumsynth {

struct StftResolution {
  int fft_size;    // n, even
  int hop;         // frames start every hop samples
  int win_length;  // periodic Hann of this length, zero-padded and centred to n
};

DS_HD int stft_padded_length(int n_samples, const StftResolution& r) {
  return n_samples > r.fft_size ? n_samples : r.fft_size;
}

DS_HD int stft_frame_count(int n_samples, const StftResolution& r) {
  return 1 + stft_padded_length(n_samples, r) / r.hop;
}

// torch.stft's reflect padding: index i (may be negative or past the end) of
// the padded signal reads sample reflect_index(i, len) of a signal of length len.
DS_HD int reflect_index(int i, int len) { return i < 0 ? -i : (i >= len ? 2 * (len - 1) - i : i); }

// Sample i of the analysis window: a periodic Hann of win_length
// (torch.hann_window), zero-padded and centred to fft_size as torch.stft does.
DS_HD double stft_window_value(const StftResolution& r, int i) {
  const int j = i - (r.fft_size - r.win_length) / 2;
  if (j < 0 || j >= r.win_length) return 0.0;
  return 0.5 - 0.5 * dm::cos(kTwoPi * j / r.win_length);
}

}  // namespace drumsynth
