// The fused spectral chain of one resolution (plan and math in
// include/drumsynth/fused_stft.hpp): one kernel gives each block a run of
// frames of one sound and does frame, window, R2C (cuFFTDx, in shared memory
// and registers), magnitudes, the loss terms' partial sums, the per-bin
// gradient in two parts, two C2Rs and the windowed overlap-add of the
// positions it owns; a per-sound kernel then sums the runs in order (the loss,
// and the spectral convergence part's scale), and a per-sample kernel folds
// the padding back. Nothing per frame or per bin goes to memory but the
// target's magnitudes, read once. Built only with cuFFTDx (the
// DRUMSYNTH_CUFFTDX_INCLUDE CMake path, scripts/gpu-deps); selected with the
// v2 kernels (mrstft_kernels.cu).
#pragma once

#include "drumsynth/stft_framing.hpp"

namespace drumsynth::cuda {

// The band-energy term's tables (band_count null: no band term); as
// mrstft_kernels.cu's BandLayout plus the target's side.
struct FusedBands {
  int max_bands = 0;                   // row stride of band_lo is max_bands + 1
  const int* rate_row = nullptr;       // [B] -> row of the tables
  const int* band_count = nullptr;     // [rows]
  const int* band_lo = nullptr;        // [rows][max_bands + 1]
  const int* band_of_bin = nullptr;    // [rows][n_bins], -1 outside every band
  const int* cell_offset = nullptr;    // [B + 1]
  const float* log_band_y = nullptr;   // [cells] the target's ln(E_y + f)
  const float* floor = nullptr;        // [B] f
};

struct FusedStftArgs {
  StftResolution res;
  int n_instances = 0;
  int frames_per_run = 1;  // fused_frames_per_run(res)
  int max_runs = 0;        // the most runs of any instance (grid x)
  const int* offset = nullptr;         // [B + 1] samples
  const int* frame_offset = nullptr;   // [B + 1] frames
  const int* padded_len = nullptr;     // [B] max(N_b, n)
  const int* padded_offset = nullptr;  // [B + 1] padded positions (padded_len + n each)
  const float* window = nullptr;       // [n]
  const float* mag_y = nullptr;        // [frames][n/2 + 1] the target's clamped magnitudes
  const double* norm_y2 = nullptr;     // [B] ||Y||^2
  float eps = 0;
  float w_sc = 0, w_lm = 0, w_band = 0;  // the loss weights
  float inv_resolutions = 1;
  FusedBands bands;
  // Scratch: the two overlap-added gradient parts over the padded positions,
  // the runs' partial sums [B][max_runs][3], the SC part's scale [B].
  float* v_rest = nullptr;
  float* v_sc = nullptr;
  float* partials = nullptr;
  float* sc_scale = nullptr;
};

// Whether this build's fused kernel takes FFTs of this size (powers of two
// from 32 to 16384, when built with cuFFTDx; never otherwise).
bool fused_stft_supports(int fft_size);

// Shared memory one block needs (0 when not supported).
size_t fused_stft_shared_bytes(const FusedStftArgs& a);

// One resolution of the loss: adds its terms / R to d_loss[b] and, when d_v_pre
// is given, its gradient to d_v_pre (the pre-filtered estimate's). d_x: the
// pre-filtered estimate.
void fused_stft_resolution(const FusedStftArgs& a, const float* d_x, float* d_loss, float* d_v_pre);

}  // namespace drumsynth::cuda
