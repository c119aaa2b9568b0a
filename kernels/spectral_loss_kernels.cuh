// The MRSTFT loss's per-bin terms on the GPU (the v1 chain; the math is the
// CPU's, include/drumsynth/spectral/spectral_loss_math.hpp), one resolution
// at a time over every frame of every instance: the target's magnitudes and
// norms (once), the estimate's spectral convergence and log-magnitude sums,
// the ERB band-energy term's cells, each instance's loss, and the per-bin
// gradient that goes back through cuFFT's C2R.
#pragma once

#include "stft_frame_kernels.cuh"

namespace drumsynth::cuda {

// Cells of the band-energy term are (frame, band) of one instance,
// frame-major, at cell_offset[b]. Bands depend on the instance's sample
// rate: one table row per distinct rate.
struct BandLayout {
  int max_bands;           // row stride of band_lo is max_bands + 1
  const int* rate_row;     // [B] -> row of the tables
  const int* band_count;   // [rows]
  const int* band_lo;      // [rows][max_bands + 1]: each band's first bin, then the last band's end
  const int* band_of_bin;  // [rows][n_bins], -1 outside every band
  const int* cell_offset;  // [B + 1]
};

struct BandGrad {
  BandLayout K;
  const float* band_x;
  const float* log_band_y;
  const float* floor;
  float w;  // w_band / R
};

// |Y| of every bin (clamped, spectral_loss_math.hpp) and each instance's
// sum |Y|^2 (added into norm_y2 [B]).
__global__ void target_bins_kernel(FrameLayout L, const cufftComplex* __restrict__ spec, float eps,
                                   float* __restrict__ mag_y, double* __restrict__ norm_y2);

// |X| and log|X| of every bin, and per instance sum (|Y| - |X|)^2 and
// sum |log|Y| - log|X|| into sums [B, 3] (the third: the band term's).
__global__ void bin_loss_kernel(FrameLayout L, const cufftComplex* __restrict__ spec, float eps,
                                const float* __restrict__ mag_y, float* __restrict__ mag_x,
                                float* __restrict__ log_mag_x, double* __restrict__ sums);

// E of every cell of instance b (grid.y): the sum of |X_k|^2 over its band's
// bins; with log_band_y, also sum |ln(E_y + f) - ln(E + f)| into sums[3 b + 2].
__global__ void band_energy_kernel(FrameLayout L, BandLayout K, const float* __restrict__ mag,
                                   float* __restrict__ e, const float* __restrict__ log_band_y,
                                   const float* __restrict__ floor, double* __restrict__ sums);

// The floor f of each instance: its target's loudest cell, range_db down.
__global__ void band_floor_kernel(BandLayout K, const float* __restrict__ e_y, float range_factor,
                                  float* __restrict__ floor);

// The target's cells E_y become ln(E_y + f).
__global__ void band_log_kernel(BandLayout K, int n_instances, float* __restrict__ e_y,
                                const float* __restrict__ floor);

// Each instance's loss of one resolution from its sums, added to loss [B];
// the norms the gradient needs into norms [B, 4].
__global__ void resolution_loss_kernel(int n_instances, const int* __restrict__ frame_offset,
                                       int n_bins, const int* __restrict__ cell_offset,
                                       const double* __restrict__ sums,
                                       const double* __restrict__ norm_y2, float w_sc, float w_lm,
                                       float w_band, float inv_r, float* __restrict__ loss,
                                       float* __restrict__ norms);

// The adjoint of bin_loss_kernel, band_energy_kernel and
// resolution_loss_kernel: dL/dX of every bin, written over the spectrum,
// scaled for cuFFT's C2R.
__global__ void spectral_loss_vjp_kernel(FrameLayout L, cufftComplex* __restrict__ spec, float eps,
                                         const float* __restrict__ mag_x,
                                         const float* __restrict__ log_mag_x,
                                         const float* __restrict__ mag_y,
                                         const float* __restrict__ norms, float w_sc, float w_lm,
                                         BandGrad G, size_t total_bins);

}  // namespace drumsynth::cuda
