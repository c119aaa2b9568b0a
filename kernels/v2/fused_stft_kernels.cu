// The fused spectral chain (fused_stft_kernels.cuh): the run kernel, the
// per-sound sums and the fold. The plan (which frames and positions a run
// has) and the per-bin math are include/drumsynth/spectral/fused_stft.hpp's, checked
// on the CPU against the reference loss (tests/spectral/test_fused_stft.cpp); what only
// a GPU checks is the cuFFTDx plumbing below (CudaParity with the v2 kernels).
//
// cuFFTDx data layout (real_mode::normal, complex_layout::natural): for both
// transforms, element i of thread x of FFT y is index x + i * stride
// (stride = block_dim.x); the R2C takes n reals and gives bins 0..n/2, the
// C2R takes bins 0..n/2 and gives n reals, unnormalised (sum_k Z_k e^{+}).
#include <cub/block/block_reduce.cuh>
#include <cufftdx.hpp>
#include <type_traits>

#include "cuda_common.cuh"
#include "drumsynth/spectral/fused_stft_block.hpp"
#include "v2/fused_stft_kernels.cuh"

namespace drumsynth::cuda {

namespace {

// The block FFTs of size N: cuFFTDx's suggested elements per thread and FFTs
// per block for the forward transform, the inverse made to match, so one
// block shape serves both and each thread holds the same bins in both.
// Folded: real_mode::folded, the transforms as complex FFTs of N/2 points on
// pairs of reals (half the work and shared memory of real_mode::normal's
// N-point complex FFT of the reals); its layout in fused_stft_block.hpp.
template <int N, bool Folded>
struct FusedFft {
  static constexpr auto kMode = Folded ? cufftdx::real_mode::folded : cufftdx::real_mode::normal;
  // (the real options only beside a real type: folded is refused on a complex one)
  using Common = decltype(cufftdx::Block() + cufftdx::Size<N>() + cufftdx::Precision<float>() +
                          cufftdx::SM<900>());
  using Options = cufftdx::RealFFTOptions<cufftdx::complex_layout::natural, kMode>;
  using Suggested = decltype(Common() + cufftdx::Type<cufftdx::fft_type::r2c>() + Options() +
                             cufftdx::Direction<cufftdx::fft_direction::forward>());
  static constexpr unsigned kEpt = Suggested::elements_per_thread;
  static constexpr unsigned kFfts = Suggested::suggested_ffts_per_block;
  using Fwd =
      decltype(Suggested() + cufftdx::ElementsPerThread<kEpt>() + cufftdx::FFTsPerBlock<kFfts>());
  using Inv = decltype(Common() + cufftdx::Type<cufftdx::fft_type::c2r>() + Options() +
                       cufftdx::Direction<cufftdx::fft_direction::inverse>() +
                       cufftdx::ElementsPerThread<kEpt>() + cufftdx::FFTsPerBlock<kFfts>());
  using Complex = typename Fwd::value_type;
  static constexpr unsigned kStorage =
      Fwd::storage_size > Inv::storage_size ? Fwd::storage_size : Inv::storage_size;
  static constexpr unsigned kFftBytes = Fwd::shared_memory_size > Inv::shared_memory_size
                                            ? Fwd::shared_memory_size
                                            : Inv::shared_memory_size;
  static_assert(Fwd::block_dim.x == Inv::block_dim.x && Fwd::block_dim.y == Inv::block_dim.y &&
                    Fwd::block_dim.z == 1,
                "the forward and inverse FFTs must share the block's shape");
  static_assert(Fwd::stride == Inv::stride && Fwd::output_ept == Inv::input_ept,
                "each thread must hold the same bins after the R2C as before the C2R");
  static_assert(!Fwd::requires_workspace && !Inv::requires_workspace,
                "power-of-two sizes need no workspace");
};

template <int N, bool Folded>
DS_HD FusedSharedLayout shared_layout(const FusedStftArgs& a) {
  using F = FusedFft<N, Folded>;
  return fused_shared_layout(F::kFftBytes, int(F::kFfts), N,
                             a.bands.band_count ? a.bands.max_bands : 0, fused_shared_ola_frames(a),
                             a.res.hop);
}

// The FFTs' data layout for the per-thread phases (fused_stft_block.hpp).
// (ept: the R2C's input elements a thread holds, reals in normal mode, pairs
// of reals folded.)
template <int N, bool Folded>
struct FusedShape {
  using F = FusedFft<N, Folded>;
  static constexpr int stride = int(F::Fwd::stride), ffts = int(F::kFfts);
  static constexpr int ept = int(F::Fwd::input_ept), bin_ept = int(F::Fwd::output_ept);
  static constexpr bool folded = Folded;
  static_assert(int(F::Inv::output_ept) == ept && int(F::Inv::input_ept) == bin_ept,
                "one layout for both FFTs");
  // What fused_stft_block.hpp's phases take for granted of that layout:
  static_assert(F::Fwd::implicit_type_batching == 1 &&
                    sizeof(typename F::Complex) == 2 * sizeof(float),
                "a complex element is two floats, one FFT's");
  static_assert(std::is_same_v<typename F::Fwd::input_type,
                               std::conditional_t<Folded, typename F::Complex, float>> &&
                    std::is_same_v<typename F::Inv::output_type, typename F::Fwd::input_type>,
                "the reals are floats (normal) or pairs of them (folded), read as floats");
  static_assert(stride == int(F::Fwd::block_dim.x) && ffts == int(F::Fwd::block_dim.y),
                "a row of threads per FFT, its frame picked by threadIdx.y");
  static_assert((Folded ? 2 : 1) * ept * stride == N,
                "the threads' real slots cover the frame once");
  static_assert(int(F::Fwd::output_length) == N / 2 + 1 && int(F::Inv::input_length) == N / 2 + 1,
                "natural layout: bins 0..N/2");
  static_assert(bin_ept * stride >= N / 2 + 1 && (bin_ept - 1) * stride < N / 2 + 1,
                "every bin held, by thread x as bin x + i stride, the last element partly");
  static_assert(2 * int(F::kStorage) >= (Folded ? 2 : 1) * ept && int(F::kStorage) >= bin_ept,
                "the thread's array holds the reals as floats and the bins");
};

// One block: run blockIdx.x of sound blockIdx.y. Frames go kFfts at a time
// (threadIdx.y picks the frame); their overlap-add goes in ascending frame
// order, one FFT's threads at a time, so every sum has a fixed order. Between
// the transforms each thread runs fused_stft_block.hpp's phases, which the
// CPU test runs over the same layout.
template <int N, bool Folded>
__launch_bounds__(FusedFft<N, Folded>::Fwd::max_threads_per_block) __global__
    void fused_stft_run_kernel(FusedStftArgs a, const float* __restrict__ x_all, bool gradient) {
  using F = FusedFft<N, Folded>;
  using Shape = FusedShape<N, Folded>;
  using Complex = typename F::Complex;
  using Fwd = typename F::Fwd;
  using Inv = typename F::Inv;
  const int b = blockIdx.y, j = blockIdx.x;
  const FusedRun<float> R = fused_run(a, x_all, b, j);
  if (!R.exists) return;  // the whole block

  extern __shared__ __align__(16) unsigned char shared[];
  const FusedSharedLayout L = shared_layout<N, Folded>(a);
  Complex* fft_shared = reinterpret_cast<Complex*>(shared);
  float* mags = reinterpret_cast<float*>(shared);  // the same memory between the transforms
  float* cells = mags + L.mag_floats;
  float *ola_rest = nullptr, *ola_sc = nullptr;
  fused_ola_targets(a, R, b, reinterpret_cast<float*>(shared + L.union_bytes), ola_rest, ola_sc);
  const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * blockDim.x + tx,
            n_threads = blockDim.x * blockDim.y;
  for (int i = tid; i < R.run.end_q - R.run.begin_q; i += n_threads)
    ola_rest[i] = 0.0f, ola_sc[i] = 0.0f;
  float d2 = 0.0f, dlog = 0.0f, band = 0.0f;
  __syncthreads();

  for (int group = R.run.first_frame; group < R.run.end_frame; group += Shape::ffts) {
    const int f = group + ty;
    const bool active = f < R.run.end_frame, owned = active && f >= R.run.owned_frame;
    Complex data[F::kStorage];
    fused_load_frame<Shape>(a, R, tx, f, active, reinterpret_cast<float*>(data));
    Fwd().execute(data, fft_shared);
    __syncthreads();  // the FFT's shared memory is the magnitudes' from here
    fused_bins<Shape>(a, R, tx, f, owned, data, mags + ty * R.n_bins, d2, dlog);
    __syncthreads();
    for (int c = tid; c < Shape::ffts * R.n_bands; c += n_threads)
      fused_cell(R, group, c, mags, cells, band);
    __syncthreads();  // (and the next group's R2C may take it back)
    if (!gradient) continue;

    Complex sc_part[F::kStorage];
    fused_gradient<Shape>(a, R, tx, f, active, mags + ty * R.n_bins, cells + ty * R.max_bands, data,
                          sc_part);
    __syncthreads();  // the magnitudes read: the FFT's again
    Inv().execute(data, fft_shared);
    __syncthreads();
    Inv().execute(sc_part, fft_shared);
    for (int slot = 0; slot < Shape::ffts; ++slot) {
      if (slot == ty && active)
        fused_overlap_add<Shape>(a, R, tx, f, reinterpret_cast<const float*>(data),
                                 reinterpret_cast<const float*>(sc_part), ola_rest, ola_sc);
      __syncthreads();
    }
  }

  if (gradient && !a.ola_in_memory)
    for (int q = R.run.begin_q + tid; q < R.run.end_q; q += n_threads) {
      a.v_rest[a.padded_offset[b] + q] = ola_rest[q - R.run.begin_q];
      a.v_sc[a.padded_offset[b] + q] = ola_sc[q - R.run.begin_q];
    }
  using Reduce = cub::BlockReduce<float, F::Fwd::block_dim.x, cub::BLOCK_REDUCE_WARP_REDUCTIONS,
                                  F::Fwd::block_dim.y>;
  __shared__ typename Reduce::TempStorage temp;
  float* out = a.partials + (size_t(b) * size_t(a.max_runs) + size_t(j)) * 3;
  const float total_d2 = Reduce(temp).Sum(d2);
  __syncthreads();
  const float total_dlog = Reduce(temp).Sum(dlog);
  __syncthreads();
  const float total_band = Reduce(temp).Sum(band);
  if (tid == 0) out[0] = total_d2, out[1] = total_dlog, out[2] = total_band;
}

// Per sound: its runs' sums in run order (fused_sound_terms), its resolution's
// loss terms / R added to its loss, and the SC part's scale.
__global__ void fused_stft_sums_kernel(FusedStftArgs a, float* __restrict__ loss) {
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= a.n_instances) return;
  loss[b] += fused_sound_terms(a, b, a.sc_scale[b]);
}

__global__ void fused_stft_fold_kernel(FusedStftArgs a, float* __restrict__ v_pre) {
  const int b = blockIdx.y, o = a.offset[b], n = a.offset[b + 1] - o, q0 = a.padded_offset[b];
  for (int s = blockIdx.x * blockDim.x + threadIdx.x; s < n; s += gridDim.x * blockDim.x)
    v_pre[o + s] +=
        fold_two_parts(s, a.res, a.padded_len[b], a.v_rest + q0, a.v_sc + q0, a.sc_scale[b]);
}

template <int N, bool Folded>
void launch_runs(const FusedStftArgs& a, const float* d_x, bool gradient) {
  // (fused_stft_blocks_per_sm, which planned the run, allowed the kernel this much shared memory)
  const size_t bytes = shared_layout<N, Folded>(a).bytes();
  fused_stft_run_kernel<N, Folded>
      <<<dim3(unsigned(a.max_runs), unsigned(a.n_instances)), FusedFft<N, Folded>::Fwd::block_dim,
         bytes>>>(a, d_x, gradient);
  CUDA_CHECK_LAUNCH(fused_stft_run_kernel);
}

// The sizes and modes the kernel is built for, each call with its N and
// Folded as constants.
template <typename Call>
bool with_fft(int n, bool folded, Call&& call) {
  const auto as = [&](auto size) {
    if (folded)
      call(size, std::true_type{});
    else
      call(size, std::false_type{});
    return true;
  };
  switch (n) {
    case 32:
      return as(std::integral_constant<int, 32>{});
    case 64:
      return as(std::integral_constant<int, 64>{});
    case 128:
      return as(std::integral_constant<int, 128>{});
    case 256:
      return as(std::integral_constant<int, 256>{});
    case 512:
      return as(std::integral_constant<int, 512>{});
    case 1024:
      return as(std::integral_constant<int, 1024>{});
    case 2048:
      return as(std::integral_constant<int, 2048>{});
    case 4096:
      return as(std::integral_constant<int, 4096>{});
    case 8192:
      return as(std::integral_constant<int, 8192>{});
    case 16384:
      return as(std::integral_constant<int, 16384>{});
    default:
      return false;
  }
}

}  // namespace

bool fused_stft_supports(int fft_size) {
  return with_fft(fft_size, false, [](auto, auto) {});
}

int fused_stft_ffts_per_block(int fft_size, bool folded) {
  int ffts = 0;
  with_fft(fft_size, folded, [&](auto n, auto f) {
    ffts = int(FusedFft<decltype(n)::value, decltype(f)::value>::kFfts);
  });
  return ffts;
}

int fused_stft_blocks_per_sm(const FusedStftArgs& a) {
  int blocks = 0;
  with_fft(a.res.fft_size, a.folded, [&](auto n, auto f) {
    constexpr int N = decltype(n)::value;
    constexpr bool Folded = decltype(f)::value;
    const size_t bytes = shared_layout<N, Folded>(a).bytes();
    int device = 0, optin = 0;
    CUDA_CHECK(cudaGetDevice(&device));
    CUDA_CHECK(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device));
    cudaFuncAttributes attributes{};
    CUDA_CHECK(cudaFuncGetAttributes(&attributes, fused_stft_run_kernel<N, Folded>));
    if (bytes + attributes.sharedSizeBytes > size_t(optin)) return;  // 0: the block does not fit
    CUDA_CHECK(cudaFuncSetAttribute(fused_stft_run_kernel<N, Folded>,
                                    cudaFuncAttributeMaxDynamicSharedMemorySize,
                                    optin - int(attributes.sharedSizeBytes)));
    const dim3 block = FusedFft<N, Folded>::Fwd::block_dim;
    CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(
        &blocks, fused_stft_run_kernel<N, Folded>, int(block.x * block.y * block.z), bytes));
  });
  return blocks;
}

void fused_stft_resolution(const FusedStftArgs& a, const float* d_x, float* d_loss,
                           float* d_v_pre) {
  const bool gradient = d_v_pre != nullptr;
  DS_CHECK(with_fft(a.res.fft_size, a.folded, [&](auto n, auto f) {
    launch_runs<decltype(n)::value, decltype(f)::value>(a, d_x, gradient);
  }));
  fused_stft_sums_kernel<<<(a.n_instances + 127) / 128, 128>>>(a, d_loss);
  CUDA_CHECK_LAUNCH(fused_stft_sums_kernel);
  if (!gradient) return;
  fused_stft_fold_kernel<<<dim3(64, unsigned(a.n_instances)), kThreads>>>(a, d_v_pre);
  CUDA_CHECK_LAUNCH(fused_stft_fold_kernel);
}

}  // namespace drumsynth::cuda
