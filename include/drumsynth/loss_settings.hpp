// Settings of the multi-resolution STFT loss and its two named presets.
#pragma once

#include <string>
#include <vector>

namespace drumsynth {

struct StftResolution {
  int fft_size;    // n, even
  int hop;         // frames start every hop samples
  int win_length;  // periodic Hann of this length, zero-padded and centred to n
};

struct LossSettings {
  std::string preset;  // "seed", "auraloss" or "custom"
  std::vector<StftResolution> resolutions;
  double w_sc = 1.0;          // spectral convergence weight
  double w_log_mag = 1.0;     // log-magnitude L1 weight
  bool a_weighting = false;   // auraloss perceptual_weighting pre-filter
  double rms_weight = 0.0;    // weight of (rms(x) - rms(y))^2
  double eps = 1e-8;          // floor of the squared magnitude (auraloss eps)
};

// Framing of one resolution, shared by the CPU and CUDA losses. A sound shorter
// than the FFT is zero-extended to the FFT size (so every resolution sees the
// whole hit in one frame and the n/2 reflect padding stays inside the signal);
// frames are then as torch.stft(center=True) makes them.
inline int stft_padded_length(int n_samples, const StftResolution& r) {
  return n_samples > r.fft_size ? n_samples : r.fft_size;
}
inline int stft_frame_count(int n_samples, const StftResolution& r) {
  return 1 + stft_padded_length(n_samples, r) / r.hop;
}
// The analysis window: a periodic Hann of win_length (torch.hann_window),
// zero-padded and centred to fft_size as torch.stft does.
std::vector<double> stft_window(const StftResolution& r);

// "seed": the original's DrumSoundLoss (FFT 16384 ... 32, hop n/4, window n,
// A-weighting, + 0.25 RMS term). "auraloss": auraloss's MultiResolutionSTFTLoss
// defaults (FFT 1024/2048/512, hop 120/240/50, window 600/1200/240).
// Throws drumsynth::Error for an unknown name.
LossSettings loss_preset(const std::string& name);
const std::vector<std::string>& loss_preset_names();

}  // namespace drumsynth
