// The per-bin loss terms, the band-energy term and their adjoint
// (spectral_loss_kernels.cuh).
#include <cfloat>
#include <cub/block/block_reduce.cuh>
#include <cuda/functional>

#include "drumsynth/spectral/spectral_loss_math.hpp"
#include "drumsynth/spectral/stft_adjoint.hpp"
#include "spectral_loss_kernels.cuh"

namespace drumsynth::cuda {

// The sums run one row of blocks per instance (grid.y), striding over all of
// its frames' bins as one flat range, so every thread has a bin whatever the
// FFT size (one block per frame left most of a 256-thread block idle at 17 or
// 65 bins), and each block adds its partial sums to its instance once.

namespace {

__device__ __forceinline__ size_t instance_bins_begin(const FrameLayout& L, int b) {
  return size_t(L.frame_offset[b]) * L.n_bins;
}

}  // namespace

__global__ void target_bins_kernel(FrameLayout L, const cufftComplex* __restrict__ spec, float eps,
                                   float* __restrict__ mag_y,
                                   double* __restrict__ norm_y2) {  // [B]
  const int b = blockIdx.y;
  const size_t end = instance_bins_begin(L, b + 1);
  float acc = 0;
  for (size_t j = instance_bins_begin(L, b) + blockIdx.x * size_t(blockDim.x) + threadIdx.x;
       j < end; j += size_t(gridDim.x) * blockDim.x) {
    const float m = clamped_magnitude(spec[j].x, spec[j].y, eps);
    mag_y[j] = m;
    acc += m * m;
  }
  acc = block_sum(acc);
  if (threadIdx.x == 0) atomicAdd(&norm_y2[b], double(acc));
}

// log|Y| is recomputed rather than stored: one logf per bin is cheaper than
// keeping a second target array per resolution in GPU memory.
__global__ void bin_loss_kernel(
    FrameLayout L, const cufftComplex* __restrict__ spec, float eps,
    const float* __restrict__ mag_y, float* __restrict__ mag_x, float* __restrict__ log_mag_x,
    double* __restrict__ sums) {  // [B, 3]: sum d^2, sum |dlog|, (bands)
  const int b = blockIdx.y;
  const size_t end = instance_bins_begin(L, b + 1);
  float d2 = 0, dl = 0;
  for (size_t j = instance_bins_begin(L, b) + blockIdx.x * size_t(blockDim.x) + threadIdx.x;
       j < end; j += size_t(gridDim.x) * blockDim.x) {
    const float m = clamped_magnitude(spec[j].x, spec[j].y, eps), lm = logf(m);
    mag_x[j] = m, log_mag_x[j] = lm;
    d2 += (mag_y[j] - m) * (mag_y[j] - m);
    dl += fabsf(logf(mag_y[j]) - lm);
  }
  d2 = block_sum(d2);
  dl = block_sum(dl);
  if (threadIdx.x == 0)
    atomicAdd(&sums[3 * b], double(d2)), atomicAdd(&sums[3 * b + 1], double(dl));
}

// The band-energy term (spectral_loss_math.hpp band_cell_grad).

// E of every cell of instance b (grid.y): the sum of |X_k|^2 over its band's
// bins, one thread a cell (a fixed order of additions: deterministic). Also
// adds sum |ln(E_y + f) - ln(E + f)| into sums[3 b + 2] when log_band_y is given.
__global__ void band_energy_kernel(FrameLayout L, BandLayout K, const float* __restrict__ mag,
                                   float* __restrict__ e, const float* __restrict__ log_band_y,
                                   const float* __restrict__ floor, double* __restrict__ sums) {
  const int b = blockIdx.y, row = K.rate_row[b], nb = K.band_count[row];
  const int c0 = K.cell_offset[b], n = K.cell_offset[b + 1] - c0;
  const int* lo = K.band_lo + size_t(row) * size_t(K.max_bands + 1);
  float dl = 0;
  for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < n; c += gridDim.x * blockDim.x) {
    const int f = c / nb, band = c % nb;
    const float* m = mag + (size_t(L.frame_offset[b]) + size_t(f)) * size_t(L.n_bins);
    float acc = 0;
    for (int k = lo[band]; k < lo[band + 1]; ++k) acc += m[k] * m[k];
    e[c0 + c] = acc;
    if (log_band_y) dl += fabsf(log_band_y[c0 + c] - logf(acc + floor[b]));
  }
  if (!log_band_y) return;
  dl = block_sum(dl);
  if (threadIdx.x == 0) atomicAdd(&sums[3 * b + 2], double(dl));
}

// The floor f of each instance: its target's loudest cell, range_db down
// (at least FLT_MIN); one block an instance.
__global__ void band_floor_kernel(BandLayout K, const float* __restrict__ e_y, float range_factor,
                                  float* __restrict__ floor) {
  using Reduce = cub::BlockReduce<float, kThreads>;
  __shared__ typename Reduce::TempStorage temp;
  const int b = blockIdx.x, c0 = K.cell_offset[b], n = K.cell_offset[b + 1] - c0;
  float most = 0;
  for (int c = threadIdx.x; c < n; c += blockDim.x) most = fmaxf(most, e_y[c0 + c]);
  most = Reduce(temp).Reduce(most, ::cuda::maximum<>{});
  if (threadIdx.x == 0) floor[b] = fmaxf(most * range_factor, FLT_MIN);
}

__global__ void band_log_kernel(BandLayout K, int n_instances, float* __restrict__ e_y,
                                const float* __restrict__ floor) {  // e_y becomes ln(E_y + f)
  const int b = blockIdx.y;
  if (b >= n_instances) return;
  const int c0 = K.cell_offset[b], n = K.cell_offset[b + 1] - c0;
  for (int c = blockIdx.x * blockDim.x + threadIdx.x; c < n; c += gridDim.x * blockDim.x)
    e_y[c0 + c] = logf(e_y[c0 + c] + floor[b]);
}

// Per instance: SC = ||Y - X|| / ||Y||, LM = sum |dlog| / count, BE = the
// band sum / cells (cell_offset null: no band term); adds
// (w_sc SC + w_lm LM + w_band BE) / R to the loss and keeps the norms for the gradient.
__global__ void resolution_loss_kernel(
    int n_instances, const int* __restrict__ frame_offset, int n_bins,
    const int* __restrict__ cell_offset, const double* __restrict__ sums,
    const double* __restrict__ norm_y2, float w_sc, float w_lm, float w_band, float inv_r,
    float* __restrict__ loss,
    float* __restrict__ norms) {  // [B, 4]: norm_y, norm_diff, 1/count, 1/cells
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= n_instances) return;
  const double count = double(frame_offset[b + 1] - frame_offset[b]) * n_bins;
  const double cells = cell_offset ? double(max(1, cell_offset[b + 1] - cell_offset[b])) : 1.0;
  const double norm_y = sqrt(norm_y2[b]), norm_d = sqrt(sums[3 * b]);
  const double band = cell_offset ? mean_term(double(w_band), sums[3 * b + 2], cells) : 0.0;
  loss[b] += inv_r * float(spectral_convergence_term(double(w_sc), norm_d, norm_y) +
                           mean_term(double(w_lm), sums[3 * b + 1], count) + band);
  norms[4 * b] = float(norm_y), norms[4 * b + 1] = float(norm_d),
            norms[4 * b + 2] = float(1.0 / count);
  norms[4 * b + 3] = float(1.0 / cells);
}

// dL/dX per bin, scaled for cuFFT's C2R, which computes sum_k Z_k e^{+} over the
// Hermitian extension: the FFT's adjoint wants Z_0 = G_0, Z_{n/2} = G_{n/2} and
// Z_k = G_k / 2 between (see host/loss/real_fft.cpp). Written over the spectrum.
// With the band term (band_x not null): plus 2 |X_k| c of the bin's cell,
// c = band_cell_grad (band_x: the estimate's cell energies, log_band_y the
// target's ln(E_y + f)).

__global__ void spectral_loss_vjp_kernel(FrameLayout L, cufftComplex* __restrict__ spec, float eps,
                                         const float* __restrict__ mag_x,
                                         const float* __restrict__ log_mag_x,
                                         const float* __restrict__ mag_y,
                                         const float* __restrict__ norms, float w_sc, float w_lm,
                                         BandGrad G, size_t total_bins) {
  for (size_t j = blockIdx.x * size_t(blockDim.x) + threadIdx.x; j < total_bins;
       j += size_t(gridDim.x) * blockDim.x) {
    const int f = int(j / L.n_bins), k = int(j % L.n_bins), b = L.frame_instance[f];
    const float norm_y = norms[4 * b], norm_d = norms[4 * b + 1], inv_count = norms[4 * b + 2];
    float v_mag = spectral_bin_grad(mag_x[j], log_mag_x[j], mag_y[j], logf(mag_y[j]), norm_y,
                                    norm_d, inv_count, w_sc, w_lm);
    if (G.band_x) {
      const int row = G.K.rate_row[b],
                band = G.K.band_of_bin[size_t(row) * size_t(L.n_bins) + size_t(k)];
      if (band >= 0) {
        const int cell = G.K.cell_offset[b] + (f - L.frame_offset[b]) * G.K.band_count[row] + band;
        const float e = G.band_x[cell], fl = G.floor[b];
        v_mag += 2.0f * mag_x[j] *
                 band_cell_grad(e, logf(e + fl), G.log_band_y[cell], fl, norms[4 * b + 3], G.w);
      }
    }
    float v_re, v_im;
    clamped_magnitude_vjp(spec[j].x, spec[j].y, eps, mag_x[j], v_mag, v_re, v_im);
    const float scale = c2r_gradient_scale<float>(k, L.n_bins);
    spec[j].x = scale * v_re, spec[j].y = scale * v_im;
  }
}

}  // namespace drumsynth::cuda
