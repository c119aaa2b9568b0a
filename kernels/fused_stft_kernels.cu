// The fused spectral chain (fused_stft_kernels.cuh): the run kernel, the
// per-sound sums and the fold. The plan (which frames and positions a run
// has) and the per-bin math are include/drumsynth/fused_stft.hpp's, checked
// on the CPU against the reference loss (tests/test_fused_stft.cpp); what only
// a GPU checks is the cuFFTDx plumbing below (CudaParity with the v2 kernels).
//
// cuFFTDx data layout (real_mode::normal, complex_layout::natural): for both
// transforms, element i of thread x of FFT y is index x + i * stride
// (stride = block_dim.x); the R2C takes n reals and gives bins 0..n/2, the
// C2R takes bins 0..n/2 and gives n reals, unnormalised (sum_k Z_k e^{+}).
#include <cub/block/block_reduce.cuh>
#include <type_traits>
#include <cufftdx.hpp>

#include "cuda_common.cuh"
#include "drumsynth/fused_stft.hpp"
#include "fused_stft_kernels.cuh"

namespace drumsynth::cuda {

namespace {

// The block FFTs of size N: cuFFTDx's suggested elements per thread and FFTs
// per block for the forward transform, the inverse made to match, so one
// block shape serves both and each thread holds the same bins in both.
template <int N>
struct FusedFft {
  using Base = decltype(cufftdx::Block() + cufftdx::Size<N>() + cufftdx::Precision<float>() +
                        cufftdx::RealFFTOptions<cufftdx::complex_layout::natural, cufftdx::real_mode::normal>() +
                        cufftdx::SM<900>());
  using Suggested = decltype(Base() + cufftdx::Type<cufftdx::fft_type::r2c>() +
                             cufftdx::Direction<cufftdx::fft_direction::forward>());
  static constexpr unsigned kEpt = Suggested::elements_per_thread;
  static constexpr unsigned kFfts = Suggested::suggested_ffts_per_block;
  using Fwd = decltype(Suggested() + cufftdx::ElementsPerThread<kEpt>() + cufftdx::FFTsPerBlock<kFfts>());
  using Inv = decltype(Base() + cufftdx::Type<cufftdx::fft_type::c2r>() +
                       cufftdx::Direction<cufftdx::fft_direction::inverse>() + cufftdx::ElementsPerThread<kEpt>() +
                       cufftdx::FFTsPerBlock<kFfts>());
  using Complex = typename Fwd::value_type;
  static constexpr int kBins = N / 2 + 1;
  static constexpr unsigned kStorage = Fwd::storage_size > Inv::storage_size ? Fwd::storage_size : Inv::storage_size;
  static constexpr unsigned kFftBytes =
      Fwd::shared_memory_size > Inv::shared_memory_size ? Fwd::shared_memory_size : Inv::shared_memory_size;
  static_assert(Fwd::block_dim.x == Inv::block_dim.x && Fwd::block_dim.y == Inv::block_dim.y &&
                    Fwd::block_dim.z == 1,
                "the forward and inverse FFTs must share the block's shape");
  static_assert(Fwd::stride == Inv::stride && Fwd::output_ept == Inv::input_ept,
                "each thread must hold the same bins after the R2C as before the C2R");
  static_assert(!Fwd::requires_workspace && !Inv::requires_workspace, "power-of-two sizes need no workspace");
};

// Shared memory of one block: the FFTs' own, then the owned positions' two
// gradient parts, each FFT's magnitudes, each FFT's band cells (floats).
struct SharedLayout {
  size_t fft_bytes, ola_floats, mag_floats, cell_floats;
  DS_HD size_t bytes() const { return fft_bytes + 4 * (ola_floats + mag_floats + cell_floats); }
};

template <int N>
DS_HD SharedLayout shared_layout(const FusedStftArgs& a) {
  using F = FusedFft<N>;
  return {(size_t(F::kFftBytes) + 15) / 16 * 16, 2 * size_t(a.frames_per_run) * size_t(a.res.hop),
          size_t(F::kFfts) * F::kBins, a.bands.band_count ? size_t(F::kFfts) * size_t(a.bands.max_bands) : 0};
}

// One block: run blockIdx.x of sound blockIdx.y. Frames go kFfts at a time
// (threadIdx.y picks the frame); their overlap-add goes in ascending frame
// order, one FFT's threads at a time, so every sum has a fixed order.
template <int N>
__launch_bounds__(FusedFft<N>::Fwd::max_threads_per_block) __global__
    void fused_stft_run_kernel(FusedStftArgs a, const float* __restrict__ x_all, bool gradient) {
  using F = FusedFft<N>;
  using Complex = typename F::Complex;
  using Fwd = typename F::Fwd;
  using Inv = typename F::Inv;
  constexpr int kBins = F::kBins, kFfts = int(F::kFfts), kStride = int(F::Fwd::stride);
  const StftResolution& res = a.res;
  const int b = blockIdx.y, j = blockIdx.x;
  const int n_samples = a.offset[b + 1] - a.offset[b], padded = a.padded_len[b];
  const int n_frames = a.frame_offset[b + 1] - a.frame_offset[b];
  if (j >= stft_run_count(padded, res, a.frames_per_run)) return;  // the whole block
  const StftRun run = stft_run(j, a.frames_per_run, res, n_frames, padded);

  extern __shared__ __align__(16) unsigned char shared[];
  const SharedLayout L = shared_layout<N>(a);
  Complex* fft_shared = reinterpret_cast<Complex*>(shared);
  float* ola_rest = reinterpret_cast<float*>(shared + L.fft_bytes);
  float* ola_sc = ola_rest + L.ola_floats / 2;
  float* mags = ola_rest + L.ola_floats;
  float* cells = mags + L.mag_floats;
  const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * blockDim.x + tx, n_threads = blockDim.x * blockDim.y;
  for (int i = tid; i < int(L.ola_floats); i += n_threads) ola_rest[i] = 0.0f;

  const float* x = x_all + a.offset[b];
  const float* mag_y = a.mag_y + size_t(a.frame_offset[b]) * kBins;
  const float norm_y = sqrtf(float(a.norm_y2[b]));
  const float inv_count = 1.0f / (float(n_frames) * float(kBins));
  const FusedBands& K = a.bands;
  const bool bands = K.band_count != nullptr;
  const int row = bands ? K.rate_row[b] : 0, n_bands = bands ? K.band_count[row] : 0;
  const int* band_lo = bands ? K.band_lo + size_t(row) * size_t(K.max_bands + 1) : nullptr;
  const int* band_of_bin = bands ? K.band_of_bin + size_t(row) * size_t(kBins) : nullptr;
  const float* log_band_y = bands ? K.log_band_y + K.cell_offset[b] : nullptr;
  const float band_floor = bands ? K.floor[b] : 0.0f;
  const float inv_cells = bands ? 1.0f / float(max(1, K.cell_offset[b + 1] - K.cell_offset[b])) : 0.0f;
  const float w_sc = a.w_sc * a.inv_resolutions, w_lm = a.w_lm * a.inv_resolutions;
  const float w_band = a.w_band * a.inv_resolutions;
  float d2 = 0.0f, dlog = 0.0f, band = 0.0f;
  __syncthreads();

  for (int group = run.first_frame; group < run.end_frame; group += kFfts) {
    const int f = group + ty;
    const bool active = f < run.end_frame, owned = active && f >= run.owned_frame;
    Complex data[F::kStorage];
    float* real_in = reinterpret_cast<float*>(data);
    DS_UNROLL
    for (int i = 0; i < int(Fwd::input_ept); ++i) {
      const int idx = tx + i * kStride;
      if (idx < N) real_in[i] = active ? stft_frame_sample(x, n_samples, padded, res, f, idx) * a.window[idx] : 0.0f;
    }
    Fwd().execute(data, fft_shared);

    float* mag = mags + ty * kBins;
    const float* my = mag_y + size_t(active ? f : 0) * kBins;
    DS_UNROLL
    for (int i = 0; i < int(Fwd::output_ept); ++i) {
      const int k = tx + i * kStride;
      if (k >= kBins) continue;
      const float m = clamped_magnitude(data[i].x, data[i].y, a.eps);
      mag[k] = m;
      if (owned) d2 += (my[k] - m) * (my[k] - m), dlog += fabsf(logf(my[k]) - logf(m));
    }
    __syncthreads();
    // E_x of each of this group's cells, in bin order (mrstft_kernels.cu's band_energy_kernel).
    for (int c = tid; c < kFfts * n_bands; c += n_threads) {
      const int fy = c / n_bands, bb = c % n_bands, fc = group + fy;
      const float* m = mags + fy * kBins;
      float e = 0.0f;
      for (int k = band_lo[bb]; k < band_lo[bb + 1]; ++k) e += m[k] * m[k];
      cells[fy * K.max_bands + bb] = e;
      if (fc >= run.owned_frame && fc < run.end_frame)
        band += fabsf(log_band_y[fc * n_bands + bb] - logf(e + band_floor));
    }
    __syncthreads();
    if (!gradient) continue;

    // dL/d|X| in two parts (split_spectral_bin_grad), packed for the C2Rs.
    Complex sc_part[F::kStorage];
    DS_UNROLL
    for (int i = 0; i < int(Inv::input_ept); ++i) {
      const int k = tx + i * kStride;
      float zr = 0.0f, zi = 0.0f, sr = 0.0f, si = 0.0f;
      if (active && k < kBins) {
        const float m = mag[k];
        const auto g = split_spectral_bin_grad(m, logf(m), my[k], logf(my[k]), norm_y, inv_count, w_sc, w_lm);
        float rest = g.rest;
        if (bands && band_of_bin[k] >= 0) {
          const int bb = band_of_bin[k];
          const float e = cells[ty * K.max_bands + bb];
          rest += 2.0f * m *
                  band_cell_grad(e, logf(e + band_floor), log_band_y[f * n_bands + bb], band_floor, inv_cells, w_band);
        }
        c2r_packed_gradient(k, kBins, data[i].x, data[i].y, a.eps, m, rest, zr, zi);
        c2r_packed_gradient(k, kBins, data[i].x, data[i].y, a.eps, m, g.sc, sr, si);
      }
      data[i].x = zr, data[i].y = zi;
      sc_part[i].x = sr, sc_part[i].y = si;
    }
    Inv().execute(data, fft_shared);
    __syncthreads();
    Inv().execute(sc_part, fft_shared);
    const float* rest_out = reinterpret_cast<const float*>(data);
    const float* sc_out = reinterpret_cast<const float*>(sc_part);
    for (int fy = 0; fy < kFfts; ++fy) {
      if (fy == ty && active) {
        DS_UNROLL
        for (int i = 0; i < int(Inv::output_ept); ++i) {
          const int idx = tx + i * kStride, q = f * res.hop + idx;
          if (idx >= N || q < run.begin_q || q >= run.end_q) continue;
          const float w = a.window[idx];
          ola_rest[q - run.begin_q] += rest_out[i] * w;
          ola_sc[q - run.begin_q] += sc_out[i] * w;
        }
      }
      __syncthreads();
    }
  }

  if (gradient)
    for (int q = run.begin_q + tid; q < run.end_q; q += n_threads) {
      a.v_rest[a.padded_offset[b] + q] = ola_rest[q - run.begin_q];
      a.v_sc[a.padded_offset[b] + q] = ola_sc[q - run.begin_q];
    }
  using Reduce = cub::BlockReduce<float, F::Fwd::block_dim.x, cub::BLOCK_REDUCE_WARP_REDUCTIONS, F::Fwd::block_dim.y>;
  __shared__ typename Reduce::TempStorage temp;
  float* out = a.partials + (size_t(b) * size_t(a.max_runs) + size_t(j)) * 3;
  const float total_d2 = Reduce(temp).Sum(d2);
  __syncthreads();
  const float total_dlog = Reduce(temp).Sum(dlog);
  __syncthreads();
  const float total_band = Reduce(temp).Sum(band);
  if (tid == 0) out[0] = total_d2, out[1] = total_dlog, out[2] = total_band;
}

// Per sound: its runs' sums in run order (double), the resolution's loss
// terms / R added to its loss, and the SC part's scale 1 / norm_diff.
__global__ void fused_stft_sums_kernel(FusedStftArgs a, float* __restrict__ loss) {
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= a.n_instances) return;
  const int runs = stft_run_count(a.padded_len[b], a.res, a.frames_per_run);
  double d2 = 0, dlog = 0, band = 0;
  for (int j = 0; j < runs; ++j) {
    const float* p = a.partials + (size_t(b) * size_t(a.max_runs) + size_t(j)) * 3;
    d2 += p[0], dlog += p[1], band += p[2];
  }
  const double count = double(a.frame_offset[b + 1] - a.frame_offset[b]) * double(a.res.fft_size / 2 + 1);
  const double cells =
      a.bands.band_count ? double(max(1, a.bands.cell_offset[b + 1] - a.bands.cell_offset[b])) : 1.0;
  loss[b] += a.inv_resolutions * float(resolution_terms<double>(d2, dlog, band, sqrt(a.norm_y2[b]), count, cells,
                                                                 a.w_sc, a.w_lm, a.w_band));
  a.sc_scale[b] = float(sc_part_scale(d2));
}

__global__ void fused_stft_fold_kernel(FusedStftArgs a, float* __restrict__ v_pre) {
  const int b = blockIdx.y, o = a.offset[b], n = a.offset[b + 1] - o, q0 = a.padded_offset[b];
  for (int s = blockIdx.x * blockDim.x + threadIdx.x; s < n; s += gridDim.x * blockDim.x)
    v_pre[o + s] += fold_two_parts(s, a.res, a.padded_len[b], a.v_rest + q0, a.v_sc + q0, a.sc_scale[b]);
}

template <int N>
void launch_runs(const FusedStftArgs& a, const float* d_x, bool gradient) {
  const size_t bytes = shared_layout<N>(a).bytes();
  CUDA_CHECK(cudaFuncSetAttribute(fused_stft_run_kernel<N>, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes)));
  fused_stft_run_kernel<N><<<dim3(unsigned(a.max_runs), unsigned(a.n_instances)), FusedFft<N>::Fwd::block_dim, bytes>>>(
      a, d_x, gradient);
  CUDA_CHECK_LAUNCH(fused_stft_run_kernel);
}

// The sizes the kernel is built for, each call with its N as a constant.
template <typename Call>
bool with_fft_size(int n, Call&& call) {
  switch (n) {
    case 32: call(std::integral_constant<int, 32>{}); return true;
    case 64: call(std::integral_constant<int, 64>{}); return true;
    case 128: call(std::integral_constant<int, 128>{}); return true;
    case 256: call(std::integral_constant<int, 256>{}); return true;
    case 512: call(std::integral_constant<int, 512>{}); return true;
    case 1024: call(std::integral_constant<int, 1024>{}); return true;
    case 2048: call(std::integral_constant<int, 2048>{}); return true;
    case 4096: call(std::integral_constant<int, 4096>{}); return true;
    case 8192: call(std::integral_constant<int, 8192>{}); return true;
    case 16384: call(std::integral_constant<int, 16384>{}); return true;
    default: return false;
  }
}

}  // namespace

bool fused_stft_supports(int fft_size) {
  return with_fft_size(fft_size, [](auto) {});
}

size_t fused_stft_shared_bytes(const FusedStftArgs& a) {
  size_t bytes = 0;
  with_fft_size(a.res.fft_size, [&](auto n) { bytes = shared_layout<decltype(n)::value>(a).bytes(); });
  return bytes;
}

void fused_stft_resolution(const FusedStftArgs& a, const float* d_x, float* d_loss, float* d_v_pre) {
  const bool gradient = d_v_pre != nullptr;
  DS_CHECK(with_fft_size(a.res.fft_size, [&](auto n) { launch_runs<decltype(n)::value>(a, d_x, gradient); }));
  fused_stft_sums_kernel<<<(a.n_instances + 127) / 128, 128>>>(a, d_loss);
  CUDA_CHECK_LAUNCH(fused_stft_sums_kernel);
  if (!gradient) return;
  fused_stft_fold_kernel<<<dim3(64, unsigned(a.n_instances)), kThreads>>>(a, d_v_pre);
  CUDA_CHECK_LAUNCH(fused_stft_fold_kernel);
}

}  // namespace drumsynth::cuda
