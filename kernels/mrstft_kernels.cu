// MRSTFT loss and its gradient on the GPU (see mrstft_kernels.cuh). Every
// kernel's forward and adjoint are next to each other; the per-bin math is the
// CPU's (include/drumsynth/spectral/spectral_loss_math.hpp).
#include <algorithm>
#include <cfloat>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <cub/block/block_reduce.cuh>
#include <cuda/functional>
#include <map>

#include "cuda_common.cuh"
#include "drumsynth/erb_bands.hpp"
#include "drumsynth/spectral/fir_tile.hpp"
#include "drumsynth/spectral/spectral_loss_math.hpp"
#include "drumsynth/spectral/stft_adjoint.hpp"
#include "mrstft_kernels.cuh"
#if defined(DRUMSYNTH_HAVE_CUFFTDX)
#include "v2/fused_stft_plan.hpp"
#include "v2/fused_stft_kernels.cuh"
#endif

namespace drumsynth::cuda {

namespace {

// ---- A-weighting FIR ("same" convolution per instance) and its transpose ----

// One block per tile of kFirTileOutputs outputs of one instance (blockIdx.y):
// the tile's inputs and the coefficients staged in shared memory, each
// thread's kFirOutputsPerThread outputs from a window of registers
// (fir_tile.hpp). transpose: fir_same_vjp's v_x from v_y (the taps reversed).
template <int kTaps>
__global__ void __launch_bounds__(kFirTileThreads)
    fir_tile_kernel(const float* __restrict__ in, const int* __restrict__ offset,  // [B + 1]
                    const float* __restrict__ taps, bool transpose,                // [B, kTaps]
                    float* __restrict__ out) {
  __shared__ float cs[kTaps], xs[fir_tile_inputs(kTaps)];
  const int b = blockIdx.y, o = offset[b], n = offset[b + 1] - o, t = threadIdx.x;
  for (int j = t; j < kTaps; j += kFirTileThreads) cs[j] = fir_coefficient(taps + size_t(b) * kTaps, kTaps, transpose, j);
  for (int first = blockIdx.x * kFirTileOutputs; first < n; first += gridDim.x * kFirTileOutputs) {
    __syncthreads();  // the previous tile's reads are done (and cs is written)
    for (int s = t; s < fir_tile_inputs(kTaps); s += kFirTileThreads)
      xs[s] = fir_tile_input(in + o, n, first, kTaps / 2, s);
    __syncthreads();
    float y[kFirOutputsPerThread];
    fir_thread_outputs(xs, cs, kTaps, t * kFirOutputsPerThread, y);
    for (int r = 0; r < kFirOutputsPerThread; ++r) {
      const int i = first + t * kFirOutputsPerThread + r;
      if (i < n) out[o + i] = y[r];
    }
  }
}

// The A-weighting FIR of every instance (taps [B, kAWeightingTaps]), or its
// transpose: in and out [total samples], instances at offset [B + 1].
void a_weighting_filter(const float* in, const int* offset, const float* taps, int max_n, int n_instances,
                        bool transpose, float* out) {
  const dim3 grid(unsigned(std::max(1, std::min(65535, (max_n + kFirTileOutputs - 1) / kFirTileOutputs))),
                  unsigned(n_instances));
  fir_tile_kernel<kAWeightingTaps><<<grid, kFirTileThreads>>>(in, offset, taps, transpose, out);
  CUDA_CHECK_LAUNCH(fir_tile_kernel);
}

// ---- framing: reflect-pad by n/2, zero-extend to max(N, n), window ----

struct FrameLayout {
  int n, hop, n_bins;
  const int* offset;          // [B + 1] samples
  const int* frame_offset;    // [B + 1] frames
  const int* frame_instance;  // [frames] -> b
  const int* padded_len;      // [B] max(N_b, n)
  const float* window;        // [n]
};

// 32-bit index math (a 64-bit division per element cost more than the copy):
// the batch plan keeps every flat array, frames x n included, below 2^31
// elements (gpu_batch_plan.hpp).
__global__ void frame_kernel(FrameLayout L, const float* __restrict__ x, int total_frames,
                             float* __restrict__ frames) {  // [frames, n]
  const unsigned count = unsigned(total_frames) * unsigned(L.n), n = unsigned(L.n);
  for (unsigned j = blockIdx.x * blockDim.x + threadIdx.x; j < count; j += gridDim.x * blockDim.x) {
    const int f = int(j / n), i = int(j % n), b = L.frame_instance[f];
    const int q = (f - L.frame_offset[b]) * L.hop + i;
    const int s = reflect_index(q - L.n / 2, L.padded_len[b]);
    const int N = L.offset[b + 1] - L.offset[b];
    frames[j] = (s < N ? x[L.offset[b] + s] : 0.0f) * L.window[i];
  }
}

// Overlap-add (the framing's adjoint, before the fold), gathered per padded
// position; then the fold of the reflect padding, per sample, added into v_x
// (stft_adjoint.hpp: both tested on the CPU against the loss's scatter).
__global__ void overlap_add_kernel(FrameLayout L, const float* __restrict__ v_frames,  // [frames, n]
                                   const int* __restrict__ padded_offset,             // [B + 1]
                                   float* __restrict__ v_padded) {
  const int b = blockIdx.y;
  const int len = padded_offset[b + 1] - padded_offset[b];  // padded_len + n
  const int n_frames = L.frame_offset[b + 1] - L.frame_offset[b];
  const StftResolution r{L.n, L.hop, L.n};  // the window's length is in the window itself
  const float* v_b = v_frames + size_t(L.frame_offset[b]) * L.n;
  for (int q = blockIdx.x * blockDim.x + threadIdx.x; q < len; q += gridDim.x * blockDim.x)
    v_padded[padded_offset[b] + q] = overlap_add_at<float>(
        q, r, n_frames, [&](int f, int i) { return v_b[size_t(f) * L.n + i]; },
        [&](int i) { return L.window[i]; });
}

__global__ void fold_kernel(FrameLayout L, const float* __restrict__ v_padded,
                            const int* __restrict__ padded_offset, float* __restrict__ v_x) {
  const int b = blockIdx.y, N = L.offset[b + 1] - L.offset[b];
  const StftResolution r{L.n, L.hop, L.n};
  for (int s = blockIdx.x * blockDim.x + threadIdx.x; s < N; s += gridDim.x * blockDim.x)
    v_x[L.offset[b] + s] += fold_reflect_padding(s, r, L.padded_len[b], v_padded + padded_offset[b]);
}

// ---- per-bin loss terms and their gradient ----
// The sums run one row of blocks per instance (grid.y), striding over all of
// its frames' bins as one flat range, so every thread has a bin whatever the
// FFT size (one block per frame left most of a 256-thread block idle at 17 or
// 65 bins), and each block adds its partial sums to its instance once.

__device__ __forceinline__ size_t instance_bins_begin(const FrameLayout& L, int b) {
  return size_t(L.frame_offset[b]) * L.n_bins;
}

__global__ void target_bins_kernel(FrameLayout L, const cufftComplex* __restrict__ spec,
                                   float eps, float* __restrict__ mag_y,
                                   double* __restrict__ norm_y2) {  // [B]
  const int b = blockIdx.y;
  const size_t end = instance_bins_begin(L, b + 1);
  float acc = 0;
  for (size_t j = instance_bins_begin(L, b) + blockIdx.x * size_t(blockDim.x) + threadIdx.x; j < end;
       j += size_t(gridDim.x) * blockDim.x) {
    const float m = clamped_magnitude(spec[j].x, spec[j].y, eps);
    mag_y[j] = m;
    acc += m * m;
  }
  acc = block_sum(acc);
  if (threadIdx.x == 0) atomicAdd(&norm_y2[b], double(acc));
}

// log|Y| is recomputed rather than stored: one logf per bin is cheaper than
// keeping a second target array per resolution in GPU memory.
__global__ void bin_loss_kernel(FrameLayout L, const cufftComplex* __restrict__ spec, float eps,
                                const float* __restrict__ mag_y,
                                float* __restrict__ mag_x, float* __restrict__ log_mag_x,
                                double* __restrict__ sums) {  // [B, 3]: sum d^2, sum |dlog|, (bands)
  const int b = blockIdx.y;
  const size_t end = instance_bins_begin(L, b + 1);
  float d2 = 0, dl = 0;
  for (size_t j = instance_bins_begin(L, b) + blockIdx.x * size_t(blockDim.x) + threadIdx.x; j < end;
       j += size_t(gridDim.x) * blockDim.x) {
    const float m = clamped_magnitude(spec[j].x, spec[j].y, eps), lm = logf(m);
    mag_x[j] = m, log_mag_x[j] = lm;
    d2 += (mag_y[j] - m) * (mag_y[j] - m);
    dl += fabsf(logf(mag_y[j]) - lm);
  }
  d2 = block_sum(d2);
  dl = block_sum(dl);
  if (threadIdx.x == 0) atomicAdd(&sums[3 * b], double(d2)), atomicAdd(&sums[3 * b + 1], double(dl));
}

// ---- the band-energy term (spectral_loss_math.hpp band_cell_grad) ----
// Cells are (frame, band) of one instance, frame-major, at cell_offset[b].
// Bands depend on the instance's sample rate: one table row per distinct rate.

struct BandLayout {
  int max_bands;           // row stride of band_lo is max_bands + 1
  const int* rate_row;     // [B] -> row of the tables
  const int* band_count;   // [rows]
  const int* band_lo;      // [rows][max_bands + 1]: each band's first bin, then the last band's end
  const int* band_of_bin;  // [rows][n_bins], -1 outside every band
  const int* cell_offset;  // [B + 1]
};

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
__global__ void finalize_kernel(int n_instances, const int* __restrict__ frame_offset, int n_bins,
                                const int* __restrict__ cell_offset,
                                const double* __restrict__ sums, const double* __restrict__ norm_y2,
                                float w_sc, float w_lm, float w_band, float inv_r, float* __restrict__ loss,
                                float* __restrict__ norms) {  // [B, 4]: norm_y, norm_diff, 1/count, 1/cells
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= n_instances) return;
  const double count = double(frame_offset[b + 1] - frame_offset[b]) * n_bins;
  const double cells = cell_offset ? double(max(1, cell_offset[b + 1] - cell_offset[b])) : 1.0;
  const double norm_y = sqrt(norm_y2[b]), norm_d = sqrt(sums[3 * b]);
  const double band = cell_offset ? w_band * sums[3 * b + 2] / cells : 0.0;
  loss[b] += inv_r * float(w_sc * norm_d / norm_y + w_lm * sums[3 * b + 1] / count + band);
  norms[4 * b] = float(norm_y), norms[4 * b + 1] = float(norm_d), norms[4 * b + 2] = float(1.0 / count);
  norms[4 * b + 3] = float(1.0 / cells);
}

// dL/dX per bin, scaled for cuFFT's C2R, which computes sum_k Z_k e^{+} over the
// Hermitian extension: the FFT's adjoint wants Z_0 = G_0, Z_{n/2} = G_{n/2} and
// Z_k = G_k / 2 between (see host/loss/real_fft.cpp). Written over the spectrum.
// With the band term (band_x not null): plus 2 |X_k| c of the bin's cell,
// c = band_cell_grad (band_x: the estimate's cell energies, log_band_y the
// target's ln(E_y + f)).
struct BandGrad {
  BandLayout K;
  const float* band_x;
  const float* log_band_y;
  const float* floor;
  float w;  // w_band / R
};

__global__ void bin_grad_kernel(FrameLayout L, cufftComplex* __restrict__ spec, float eps,
                                const float* __restrict__ mag_x, const float* __restrict__ log_mag_x,
                                const float* __restrict__ mag_y,
                                const float* __restrict__ norms, float w_sc, float w_lm, BandGrad G,
                                size_t total_bins) {
  for (size_t j = blockIdx.x * size_t(blockDim.x) + threadIdx.x; j < total_bins;
       j += size_t(gridDim.x) * blockDim.x) {
    const int f = int(j / L.n_bins), k = int(j % L.n_bins), b = L.frame_instance[f];
    const float norm_y = norms[4 * b], norm_d = norms[4 * b + 1], inv_count = norms[4 * b + 2];
    float v_mag = spectral_bin_grad(mag_x[j], log_mag_x[j], mag_y[j], logf(mag_y[j]), norm_y,
                                    norm_d, inv_count, w_sc, w_lm);
    if (G.band_x) {
      const int row = G.K.rate_row[b], band = G.K.band_of_bin[size_t(row) * size_t(L.n_bins) + size_t(k)];
      if (band >= 0) {
        const int cell = G.K.cell_offset[b] + (f - L.frame_offset[b]) * G.K.band_count[row] + band;
        const float e = G.band_x[cell], fl = G.floor[b];
        v_mag += 2.0f * mag_x[j] * band_cell_grad(e, logf(e + fl), G.log_band_y[cell], fl, norms[4 * b + 3], G.w);
      }
    }
    float v_re, v_im;
    clamped_magnitude_vjp(spec[j].x, spec[j].y, eps, mag_x[j], v_mag, v_re, v_im);
    const float scale = c2r_gradient_scale<float>(k, L.n_bins);
    spec[j].x = scale * v_re, spec[j].y = scale * v_im;
  }
}

// ---- RMS term: w (rms(x) - rms(y))^2 ----

__global__ void sum_squares_kernel(const float* __restrict__ x, const int* __restrict__ offset,
                                   double* __restrict__ out) {  // [B]
  const int b = blockIdx.y, o = offset[b], n = offset[b + 1] - o;
  float acc = 0;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) acc += x[o + i] * x[o + i];
  acc = block_sum(acc);
  if (threadIdx.x == 0) atomicAdd(&out[b], double(acc));
}

// The same sums in a fixed order, for the fused path (whose fits repeat bit
// for bit): one block per instance over elements [offset[b] scale,
// offset[b + 1] scale) (scale: bins per frame for a spectrum, 1 for a signal).
__global__ void ordered_sum_squares_kernel(const float* __restrict__ x, const int* __restrict__ offset, int scale,
                                           double* __restrict__ out) {  // [B]
  using Reduce = cub::BlockReduce<double, kThreads>;
  __shared__ typename Reduce::TempStorage temp;
  const int b = blockIdx.x;
  const size_t end = size_t(offset[b + 1]) * size_t(scale);
  double acc = 0;
  for (size_t i = size_t(offset[b]) * size_t(scale) + threadIdx.x; i < end; i += blockDim.x)
    acc += double(x[i]) * double(x[i]);
  acc = Reduce(temp).Sum(acc);
  if (threadIdx.x == 0) out[b] = acc;
}

// loss += rms_term; and its gradient c x_n into v_x (spectral_loss_math.hpp).
__global__ void rms_term_kernel(const float* __restrict__ x, const int* __restrict__ offset,
                                const double* __restrict__ ss_x, const double* __restrict__ ss_y,
                                float w, float* __restrict__ loss, float* __restrict__ v_x) {
  const int b = blockIdx.y, o = offset[b], n = offset[b + 1] - o;
  const float rx = float(sqrt(ss_x[b] / n)), ry = float(sqrt(ss_y[b] / n));
  if (blockIdx.x == 0 && threadIdx.x == 0) loss[b] += rms_term(rx, ry, w);
  if (!v_x || rx <= 0) return;
  const float c = rms_term_grad_scale(rx, ry, w, n);
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) v_x[o + i] += c * x[o + i];
}

dim3 per_instance_grid(int max_len, int n_instances) {
  const int blocks = std::max(1, std::min(64, (max_len + kThreads - 1) / kThreads));
  return dim3(unsigned(blocks), unsigned(n_instances));
}
int flat_blocks(size_t count) { return int(std::min<size_t>(65535, (count + kThreads - 1) / kThreads)); }

}  // namespace

// Per resolution: the framing layout, the target's magnitudes, the per-sound
// sums and the cuFFT plans. The scratch of one evaluation (frames, spectrum,
// the estimate's magnitudes, the overlap-add buffer, cuFFT's work area) is one
// set shared by all resolutions, which run one after another: sized for the
// largest, it keeps GPU memory per sound near a single resolution's.
struct GpuMrstft::Impl {
  struct Resolution {
    StftResolution res;
    int total_frames = 0;
    DeviceBuffer<int> frame_offset, frame_instance, padded_len, padded_offset;
    std::vector<int> padded_len_host, n_frames_host;  // each instance's, for the fused plan
    DeviceBuffer<float> window, mag_y, norms;
    DeviceBuffer<double> norm_y2, sums;
    // The band-energy term (settings.w_band_log != 0): tables per distinct
    // sample rate, the target's ln(E_y + f) per cell, f per instance.
    int max_bands = 0, total_cells = 0, max_cells = 0;  // max_cells: the instance with most
    DeviceBuffer<int> rate_row, band_count, band_lo, band_of_bin, cell_offset;
    DeviceBuffer<float> log_band_y, band_floor;
    BandLayout bands() const {
      return {max_bands, rate_row.get(), band_count.get(), band_lo.get(), band_of_bin.get(), cell_offset.get()};
    }
    cufftHandle r2c = 0, c2r = 0;
    int max_padded = 0;
    int max_bins = 0;  // frames x bins of the instance with most
    size_t padded_total = 0;  // padded samples of the whole batch
    size_t work_bytes = 0;    // cuFFT work area its plans need
    size_t n_bins_total() const { return size_t(total_frames) * (res.fft_size / 2 + 1); }
    FrameLayout layout(const int* offset) const {
      return {res.fft_size, res.hop, res.fft_size / 2 + 1, offset, frame_offset.get(),
              frame_instance.get(), padded_len.get(), window.get()};
    }
  };
  LossSettings settings;
  int B = 0, max_n = 0;
  std::vector<int> offsets;
  DeviceBuffer<int> d_offset;
  DeviceBuffer<float> taps, pre_y, pre_x, v_pre;
  DeviceBuffer<double> ss_y, ss_x;
  std::vector<std::unique_ptr<Resolution>> res;
  std::vector<double> rates;  // [B] Hz, for the band term's bands
  DeviceBuffer<float> frames, mag_x, log_mag_x, v_padded, band_x;  // shared scratch
  DeviceBuffer<cufftComplex> spec;
  DeviceBuffer<char> fft_work;
  // The fused path (fused_stft_kernels.cuh): its two overlap-add parts over
  // the padded positions, the runs' partial sums, the SC part's scales.
  bool fused = false;
  bool folded_fft = false;  // the fused kernels' FFTs in real_mode::folded (use_fused)
  std::string plan = "cuFFT chain";  // what spectral_path says
  DeviceBuffer<float> v_rest, v_sc, run_partials, sc_scale;
#if defined(DRUMSYNTH_HAVE_CUFFTDX)
  std::vector<FusedStftArgs> fused_per_resolution;  // made once, by use_fused
#endif
  
  // The target through the A-weighting FIR (taps [B][kAWeightingTaps]), or as it is.
  void prefilter_target(const std::vector<std::vector<double>>& a_weighting_taps, const float* d_targets) {
    const size_t total = size_t(offsets.back());
    pre_y.resize(total);
    if (!settings.a_weighting) {
      CUDA_CHECK(cudaMemcpy(pre_y.get(), d_targets, total * sizeof(float), cudaMemcpyDeviceToDevice));
      return;
    }
    std::vector<float> flat;
    for (const auto& instance_taps : a_weighting_taps) {
      DS_CHECK(int(instance_taps.size()) == kAWeightingTaps);
      flat.insert(flat.end(), instance_taps.begin(), instance_taps.end());
    }
    taps.upload(flat);
    a_weighting_filter(d_targets, d_offset.get(), taps.get(), max_n, B, false, pre_y.get());
  }

  // One resolution's framing layout over the batch (stft_framing.hpp), its
  // window and its cuFFT plans (without work areas: share_scratch gives them one).
  static std::unique_ptr<Resolution> make_resolution(const StftResolution& rs,
                                                     const std::vector<int>& offsets) {
    auto r = std::make_unique<Resolution>();
    r->res = rs;
    const int n = rs.fft_size, bins = n / 2 + 1, n_instances = int(offsets.size()) - 1;
    std::vector<int> frame_offset{0}, frame_instance, padded_len, padded_offset{0};
    for (int b = 0; b < n_instances; ++b) {
      const int len = stft_padded_length(offsets[b + 1] - offsets[b], rs);
      const int frames = stft_frame_count(offsets[b + 1] - offsets[b], rs);
      padded_len.push_back(len);
      padded_offset.push_back(padded_offset.back() + len + n);
      frame_offset.push_back(frame_offset.back() + frames);
      for (int f = 0; f < frames; ++f) frame_instance.push_back(b);
      r->max_padded = std::max(r->max_padded, len + n);
      r->max_bins = std::max(r->max_bins, frames * bins);
    }
    r->total_frames = frame_offset.back();
    r->padded_total = size_t(padded_offset.back());
    r->frame_offset.upload(frame_offset), r->frame_instance.upload(frame_instance);
    r->padded_len.upload(padded_len), r->padded_offset.upload(padded_offset);
    r->padded_len_host = padded_len;
    for (int b = 0; b < n_instances; ++b) r->n_frames_host.push_back(frame_offset[size_t(b) + 1] - frame_offset[size_t(b)]);
    const std::vector<double> w = stft_window(rs);
    r->window.upload(std::vector<float>(w.begin(), w.end()));
    r->mag_y.resize(r->n_bins_total());
    r->norms.resize(size_t(4 * n_instances));
    r->norm_y2.resize(size_t(n_instances)), r->sums.resize(size_t(3 * n_instances));
    r->work_bytes = std::max(make_plan(&r->r2c, n, r->total_frames, CUFFT_R2C),
                             make_plan(&r->c2r, n, r->total_frames, CUFFT_C2R));
    return r;
  }

  // The band term's tables of one resolution (loss_band_bins, per distinct
  // sample rate) and its cell layout over the batch.
  void make_bands(Resolution& r) const {
    const int bins = r.res.fft_size / 2 + 1;
    std::map<double, int> row_of_rate;
    std::vector<std::vector<std::pair<int, int>>> rows;
    std::vector<int> rate_row, cell_offset{0};
    for (int b = 0; b < B; ++b) {
      auto [it, added] = row_of_rate.try_emplace(rates[size_t(b)], int(rows.size()));
      if (added) rows.push_back(loss_band_bins(r.res.fft_size, rates[size_t(b)]));
      rate_row.push_back(it->second);
      const int frames = stft_frame_count(offsets[size_t(b) + 1] - offsets[size_t(b)], r.res);
      const int cells = frames * int(rows[size_t(it->second)].size());
      cell_offset.push_back(cell_offset.back() + cells);
      r.max_cells = std::max(r.max_cells, cells);
    }
    for (const auto& row : rows) r.max_bands = std::max(r.max_bands, int(row.size()));
    std::vector<int> count, lo(rows.size() * size_t(r.max_bands + 1), 0), of_bin(rows.size() * size_t(bins), -1);
    for (size_t i = 0; i < rows.size(); ++i) {
      count.push_back(int(rows[i].size()));
      for (size_t band = 0; band < rows[i].size(); ++band) {
        const auto [first, end] = rows[i][band];
        lo[i * size_t(r.max_bands + 1) + band] = first;
        lo[i * size_t(r.max_bands + 1) + band + 1] = end;
        for (int k = first; k < end; ++k) of_bin[i * size_t(bins) + size_t(k)] = int(band);
      }
    }
    r.total_cells = cell_offset.back();
    r.rate_row.upload(rate_row), r.band_count.upload(count), r.band_lo.upload(lo);
    r.band_of_bin.upload(of_bin), r.cell_offset.upload(cell_offset);
    r.log_band_y.resize(size_t(std::max(1, r.total_cells))), r.band_floor.resize(size_t(B));
  }

  // The scratch every resolution shares (they run one after another), sized
  // for the largest, and cuFFT's one work area.
  void share_scratch() {
    size_t max_frames = 0, max_bins = 0, max_padded_total = 0, max_work = 1, max_cells = 1;
    for (const auto& r : res) {
      max_cells = std::max(max_cells, size_t(r->total_cells));
      max_frames = std::max(max_frames, size_t(r->total_frames) * r->res.fft_size);
      max_bins = std::max(max_bins, r->n_bins_total());
      max_padded_total = std::max(max_padded_total, r->padded_total);
      max_work = std::max(max_work, r->work_bytes);
    }
    frames.resize(max_frames), spec.resize(max_bins);
    mag_x.resize(max_bins), log_mag_x.resize(max_bins);
    v_padded.resize(max_padded_total);
    if (settings.w_band_log != 0) band_x.resize(max_cells);
    fft_work.resize(max_work);
    for (auto& r : res) {
      CUFFT_CHECK(cufftSetWorkArea(r->r2c, fft_work.get()));
      CUFFT_CHECK(cufftSetWorkArea(r->c2r, fft_work.get()));
    }
  }

  // The target's clamped magnitudes and their per-sound squared norm.
  void target_bins(Resolution& r) {
    spectra(r, pre_y.get());
    r.norm_y2.zero();
    target_bins_kernel<<<per_instance_grid(r.max_bins, B), kThreads>>>(
        r.layout(d_offset.get()), spec.get(), float(settings.eps), r.mag_y.get(), r.norm_y2.get());
    CUDA_CHECK_LAUNCH(target_bins_kernel);
    if (settings.w_band_log == 0) return;
    // The target's cells: E_y, the floor from the loudest, then ln(E_y + f).
    const BandLayout K = r.bands();
    band_energy_kernel<<<per_instance_grid(r.max_cells, B), kThreads>>>(r.layout(d_offset.get()), K, r.mag_y.get(),
                                                                         r.log_band_y.get(), nullptr, nullptr, nullptr);
    CUDA_CHECK_LAUNCH(band_energy_kernel);
    band_floor_kernel<<<B, kThreads>>>(K, r.log_band_y.get(), float(std::pow(10.0, -settings.band_range_db / 10.0)),
                                       r.band_floor.get());
    CUDA_CHECK_LAUNCH(band_floor_kernel);
    band_log_kernel<<<per_instance_grid(r.max_cells, B), kThreads>>>(K, B, r.log_band_y.get(), r.band_floor.get());
    CUDA_CHECK_LAUNCH(band_log_kernel);
  }

#if defined(DRUMSYNTH_HAVE_CUFFTDX)
  // The fused kernel's arguments for one resolution, with runs of
  // frames_per_run frames (max_runs over the batch).
  FusedStftArgs fused_args(const Resolution& r, int frames_per_run) const {
    FusedStftArgs a;
    a.res = r.res;
    a.n_instances = B;
    a.frames_per_run = frames_per_run;
    a.folded = folded_fft;
    for (int b = 0; b < B; ++b)
      a.max_runs = std::max(a.max_runs, stft_run_count(r.padded_len_host[size_t(b)], r.res, frames_per_run));
    a.offset = d_offset.get(), a.frame_offset = r.frame_offset.get(), a.padded_len = r.padded_len.get();
    a.padded_offset = r.padded_offset.get(), a.window = r.window.get(), a.mag_y = r.mag_y.get();
    a.norm_y2 = r.norm_y2.get(), a.eps = float(settings.eps);
    a.w_sc = float(settings.w_sc), a.w_lm = float(settings.w_log_mag), a.w_band = float(settings.w_band_log);
    a.inv_resolutions = 1.0f / float(res.size());
    if (settings.w_band_log != 0)
      a.bands = {r.max_bands, r.rate_row.get(), r.band_count.get(), r.band_lo.get(), r.band_of_bin.get(),
                 r.cell_offset.get(), r.log_band_y.get(), r.band_floor.get()};
    a.v_rest = v_rest.get(), a.v_sc = v_sc.get(), a.partials = run_partials.get(), a.sc_scale = sc_scale.get();
    return a;
  }

  // A resolution's run length: fused_planned_frames for this device and
  // batch, or with DRUMSYNTH_FUSED_PLAN=fixed the fixed plan's (to measure
  // what the plan gains).
  int planned_frames(const Resolution& r) const {
    const char* plan = std::getenv("DRUMSYNTH_FUSED_PLAN");
    if (plan && std::string(plan) == "fixed") return fused_frames_per_run(r.res);
    int device = 0, sms = 0;
    CUDA_CHECK(cudaGetDevice(&device));
    CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
    const auto blocks_per_sm = [&](int frames) { return fused_stft_blocks_per_sm(fused_args(r, frames)); };
    const long long one_wave = (long long)sms * blocks_per_sm(fused_frames_per_run(r.res));
    return fused_planned_frames(r.res, fused_stft_ffts_per_block(r.res.fft_size, folded_fft), r.padded_len_host,
                                r.n_frames_host, one_wave, blocks_per_sm);
  }

  // Switches to the fused kernels when every resolution's FFT size is built
  // and fits the device's shared memory, and frees the cuFFT chain's
  // per-frame scratch, which only the target pass needed. Else says why not.
  std::string use_fused(const float* d_targets) {
    // DRUMSYNTH_FUSED_FFT=folded: the transforms in real_mode::folded (half the
    // FFT work; not yet run on a GPU), else real_mode::normal.
    const char* mode = std::getenv("DRUMSYNTH_FUSED_FFT");
    folded_fft = mode && std::string(mode) == "folded";
    size_t max_runs = 1, max_padded_total = 1;
    std::vector<int> frames;
    for (const auto& r : res) {
      const std::string n = std::to_string(r->res.fft_size);
      if (!fused_stft_supports(r->res.fft_size)) return "no fused kernel for a " + n + "-point FFT";
      frames.push_back(planned_frames(*r));
      const FusedStftArgs a = fused_args(*r, frames.back());
      if (fused_stft_blocks_per_sm(a) < 1)
        return "a " + n + "-point FFT's runs need more shared memory than the device has";
      max_runs = std::max(max_runs, size_t(a.max_runs));
      max_padded_total = std::max(max_padded_total, r->padded_total);
    }
    // The chain's scratch first, so the two never take memory together.
    frames.resize(0), spec.resize(0), mag_x.resize(0), log_mag_x.resize(0), v_padded.resize(0), band_x.resize(0);
    fft_work.resize(0);  // the plans are not run again
    v_rest.resize(max_padded_total), v_sc.resize(max_padded_total);
    run_partials.resize(size_t(B) * max_runs * 3), sc_scale.resize(size_t(B));
    // The target's norms again, in a fixed order (the chain's add with atomics).
    for (auto& r : res) {
      ordered_sum_squares_kernel<<<B, kThreads>>>(r->mag_y.get(), r->frame_offset.get(), r->res.fft_size / 2 + 1,
                                                  r->norm_y2.get());
      CUDA_CHECK_LAUNCH(ordered_sum_squares_kernel);
    }
    ordered_sum_squares_kernel<<<B, kThreads>>>(d_targets, d_offset.get(), 1, ss_y.get());
    CUDA_CHECK_LAUNCH(ordered_sum_squares_kernel);
    plan = std::string("fused (cuFFTDx, real_mode::") + (folded_fft ? "folded" : "normal") + "), frames per run";
    for (size_t i = 0; i < res.size(); ++i) {
      fused_per_resolution.push_back(fused_args(*res[i], frames[i]));  // with the buffers just made
      plan += (i ? ", " : " ") + std::to_string(frames[i]) + " at " + std::to_string(res[i]->res.fft_size);
    }
    fused = true;
    return "";
  }
#endif

  void spectra(Resolution& r, const float* x) {
    frame_kernel<<<flat_blocks(size_t(r.total_frames) * r.res.fft_size), kThreads>>>(
        r.layout(d_offset.get()), x, r.total_frames, frames.get());
    CUDA_CHECK_LAUNCH(frame_kernel);
    CUFFT_CHECK(cufftExecR2C(r.r2c, frames.get(), spec.get()));
  }
  // A plan over every frame of every instance, made once, without a work area
  // of its own; returns the work area it needs.
  static size_t make_plan(cufftHandle* plan, int n, int batch, cufftType type) {
    int dims[1] = {n};
    const int bins = n / 2 + 1;
    size_t work = 0;
    CUFFT_CHECK(cufftCreate(plan));
    CUFFT_CHECK(cufftSetAutoAllocation(*plan, 0));
    if (type == CUFFT_R2C)
      CUFFT_CHECK(cufftMakePlanMany(*plan, 1, dims, nullptr, 1, n, nullptr, 1, bins, type, batch, &work));
    else
      CUFFT_CHECK(cufftMakePlanMany(*plan, 1, dims, nullptr, 1, bins, nullptr, 1, n, type, batch, &work));
    return work;
  }
};

GpuMrstft::GpuMrstft(const LossSettings& settings, const std::vector<int>& offsets,
                     const std::vector<double>& sample_rates,
                     const std::vector<std::vector<double>>& a_weighting_taps, const float* d_targets,
                     bool fused_spectral)
    : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.settings = settings;
  m.rates = sample_rates;
  m.offsets = offsets;
  m.B = int(offsets.size()) - 1;
  for (int b = 0; b < m.B; ++b) m.max_n = std::max(m.max_n, offsets[b + 1] - offsets[b]);
  m.d_offset.upload(offsets);
  const size_t total = size_t(offsets.back());
  m.pre_x.resize(total), m.v_pre.resize(total);
  m.prefilter_target(a_weighting_taps, d_targets);
  m.ss_y.resize(size_t(m.B)), m.ss_x.resize(size_t(m.B));
  m.ss_y.zero();
  sum_squares_kernel<<<per_instance_grid(m.max_n, m.B), kThreads>>>(d_targets, m.d_offset.get(), m.ss_y.get());
  CUDA_CHECK_LAUNCH(sum_squares_kernel);
  DS_CHECK(int(sample_rates.size()) == m.B);
  for (const auto& rs : settings.resolutions) {
    m.res.push_back(Impl::make_resolution(rs, offsets));
    if (settings.w_band_log != 0) m.make_bands(*m.res.back());
  }
  m.share_scratch();
  for (auto& r : m.res) m.target_bins(*r);
  m.pre_y.resize(0);  // the target is in its spectra and norms from here on
  if (!fused_spectral) return;
#if defined(DRUMSYNTH_HAVE_CUFFTDX)
  const std::string why_not = m.use_fused(d_targets);
#else
  const std::string why_not = "this build has no cuFFTDx (scripts/gpu-deps builds it in)";
#endif
  // Once per process: a batch makes a loss per GPU batch.
  static bool said = false;
  if (!why_not.empty() && !said) {
    std::fprintf(stderr, "drumsynth: the v2 kernels' loss runs the cuFFT chain: %s\n", why_not.c_str());
    said = true;
  }
}

bool fused_spectral_built() {
#if defined(DRUMSYNTH_HAVE_CUFFTDX)
  return true;
#else
  return false;
#endif
}

GpuMrstft::~GpuMrstft() {
  for (auto& r : impl_->res) cufftDestroy(r->r2c), cufftDestroy(r->c2r);
}

void GpuMrstft::evaluate(const float* d_x, float* d_loss, float* d_v_x) {
  Impl& m = *impl_;
  const auto& s = m.settings;
  const dim3 grid = per_instance_grid(m.max_n, m.B);
  const float* pre = d_x;
  if (s.a_weighting) {
    a_weighting_filter(d_x, m.d_offset.get(), m.taps.get(), m.max_n, m.B, false, m.pre_x.get());
    pre = m.pre_x.get();
  }
  CUDA_CHECK(cudaMemsetAsync(d_loss, 0, size_t(m.B) * sizeof(float), cudaStreamPerThread));
  if (d_v_x) m.v_pre.zero();
  const float inv_r = 1.0f / float(m.res.size());
  for (size_t i = 0; i < m.res.size(); ++i) {
    Impl::Resolution& r = *m.res[i];
#if defined(DRUMSYNTH_HAVE_CUFFTDX)
    if (m.fused) {
      fused_stft_resolution(m.fused_per_resolution[i], pre, d_loss, d_v_x ? m.v_pre.get() : nullptr);
      continue;
    }
#endif
    const FrameLayout L = r.layout(m.d_offset.get());
    m.spectra(r, pre);
    r.sums.zero();
    bin_loss_kernel<<<per_instance_grid(r.max_bins, m.B), kThreads>>>(L, m.spec.get(), float(s.eps), r.mag_y.get(),
                                                                    m.mag_x.get(), m.log_mag_x.get(), r.sums.get());
    CUDA_CHECK_LAUNCH(bin_loss_kernel);
    const bool bands = s.w_band_log != 0;
    if (bands) {
      band_energy_kernel<<<per_instance_grid(r.max_cells, m.B), kThreads>>>(
          L, r.bands(), m.mag_x.get(), m.band_x.get(), r.log_band_y.get(), r.band_floor.get(), r.sums.get());
      CUDA_CHECK_LAUNCH(band_energy_kernel);
    }
    finalize_kernel<<<(m.B + 127) / 128, 128>>>(m.B, r.frame_offset.get(), L.n_bins,
                                                 bands ? r.cell_offset.get() : nullptr, r.sums.get(),
                                                 r.norm_y2.get(), float(s.w_sc), float(s.w_log_mag),
                                                 float(s.w_band_log), inv_r, d_loss, r.norms.get());
    CUDA_CHECK_LAUNCH(finalize_kernel);
    if (!d_v_x) continue;
    const size_t total_bins = r.n_bins_total();
    bin_grad_kernel<<<flat_blocks(total_bins), kThreads>>>(L, m.spec.get(), float(s.eps), m.mag_x.get(),
                                                          m.log_mag_x.get(), r.mag_y.get(), r.norms.get(),
                                                          float(s.w_sc) * inv_r, float(s.w_log_mag) * inv_r,
                                                          BandGrad{r.bands(), bands ? m.band_x.get() : nullptr,
                                                                   r.log_band_y.get(), r.band_floor.get(),
                                                                   float(s.w_band_log) * inv_r},
                                                          total_bins);
    CUDA_CHECK_LAUNCH(bin_grad_kernel);
    CUFFT_CHECK(cufftExecC2R(r.c2r, m.spec.get(), m.frames.get()));
    overlap_add_kernel<<<per_instance_grid(r.max_padded, m.B), kThreads>>>(L, m.frames.get(), r.padded_offset.get(),
                                                                          m.v_padded.get());
    CUDA_CHECK_LAUNCH(overlap_add_kernel);
    fold_kernel<<<grid, kThreads>>>(L, m.v_padded.get(), r.padded_offset.get(), m.v_pre.get());
    CUDA_CHECK_LAUNCH(fold_kernel);
  }
  if (d_v_x) {
    if (s.a_weighting) {
      a_weighting_filter(m.v_pre.get(), m.d_offset.get(), m.taps.get(), m.max_n, m.B, true, d_v_x);
    } else {
      CUDA_CHECK(cudaMemcpyAsync(d_v_x, m.v_pre.get(), m.v_pre.size() * sizeof(float), cudaMemcpyDeviceToDevice,
                                 cudaStreamPerThread));
    }
  }
  if (s.rms_weight != 0) {
    if (m.fused) {
      ordered_sum_squares_kernel<<<m.B, kThreads>>>(d_x, m.d_offset.get(), 1, m.ss_x.get());
      CUDA_CHECK_LAUNCH(ordered_sum_squares_kernel);
    } else {
      m.ss_x.zero();
      sum_squares_kernel<<<grid, kThreads>>>(d_x, m.d_offset.get(), m.ss_x.get());
      CUDA_CHECK_LAUNCH(sum_squares_kernel);
    }
    rms_term_kernel<<<grid, kThreads>>>(d_x, m.d_offset.get(), m.ss_x.get(), m.ss_y.get(),
                                        float(s.rms_weight), d_loss, d_v_x);
    CUDA_CHECK_LAUNCH(rms_term_kernel);
  }
}

size_t GpuMrstft::device_bytes() const {
  const Impl& m = *impl_;
  size_t bytes = (m.pre_x.size() + m.pre_y.size() + m.v_pre.size() + m.frames.size() + m.mag_x.size() +
                  m.log_mag_x.size() + m.v_padded.size()) * sizeof(float) +
                 m.spec.size() * sizeof(cufftComplex) + m.fft_work.size() + m.band_x.size() * sizeof(float);
  for (const auto& r : m.res) bytes += (r->mag_y.size() + r->log_band_y.size()) * sizeof(float);
  bytes += (m.v_rest.size() + m.v_sc.size() + m.run_partials.size() + m.sc_scale.size()) * sizeof(float);
  return bytes;
}

bool GpuMrstft::fused() const { return impl_->fused; }

const std::string& GpuMrstft::spectral_path() const { return impl_->plan; }

}  // namespace drumsynth::cuda
