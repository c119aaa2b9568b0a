// The envelope term and its gradient (envelope_term_kernels.cuh), on the
// same per-frame math as the CPU loss (spectral_loss_math.hpp).
#include <cfloat>
#include <cub/block/block_reduce.cuh>

#include "drumsynth/spectral/spectral_loss_math.hpp"
#include "envelope_term_kernels.cuh"

namespace drumsynth::cuda {

namespace {
struct Larger {
  __device__ double operator()(double a, double b) const { return a > b ? a : b; }
};
}  // namespace

__global__ void envelope_target_kernel(const float* __restrict__ y, const int* __restrict__ offset,
                                       const int* __restrict__ env_len,
                                       const int* __restrict__ frame_offset, double range_db,
                                       float* __restrict__ log_e_y, float* __restrict__ floor) {
  using Reduce = cub::BlockReduce<double, kThreads>;
  __shared__ typename Reduce::TempStorage temp;
  __shared__ float f_shared;
  const int b = blockIdx.x, o = offset[b], n = offset[b + 1] - o, len = env_len[b];
  const int f0 = frame_offset[b], frames = frame_offset[b + 1] - f0;
  double loudest = 0;
  for (int j = threadIdx.x; j < frames; j += blockDim.x) {
    const double e = envelope_frame_mean_square<double>(y + o, n, len, j);
    log_e_y[f0 + j] = float(e);  // E_y for now; its log below, once f is known
    loudest = e > loudest ? e : loudest;
  }
  loudest = Reduce(temp).Reduce(loudest, Larger());
  if (threadIdx.x == 0) f_shared = floor[b] = envelope_floor(loudest, range_db, FLT_MIN);
  __syncthreads();
  const float f = f_shared;
  for (int j = threadIdx.x; j < frames; j += blockDim.x)
    log_e_y[f0 + j] = logf(log_e_y[f0 + j] + f);
}

__global__ void envelope_term_kernel(const float* __restrict__ x, const int* __restrict__ offset,
                                     const int* __restrict__ env_len,
                                     const int* __restrict__ frame_offset,
                                     const float* __restrict__ log_e_y,
                                     const float* __restrict__ floor, float w,
                                     float* __restrict__ loss, float* __restrict__ c) {
  using Reduce = cub::BlockReduce<double, kThreads>;
  __shared__ typename Reduce::TempStorage temp;
  const int b = blockIdx.x, o = offset[b], n = offset[b + 1] - o, len = env_len[b];
  const int f0 = frame_offset[b], frames = frame_offset[b + 1] - f0;
  const float f = floor[b], inv_frames = 1.0f / float(frames);
  double sum = 0;
  for (int j = threadIdx.x; j < frames; j += blockDim.x) {
    const float e = float(envelope_frame_mean_square<double>(x + o, n, len, j));
    const float log_e = logf(e + f);
    sum += fabs(double(log_e_y[f0 + j]) - double(log_e));
    c[f0 + j] = band_cell_grad(e, log_e, log_e_y[f0 + j], f, inv_frames, w);
  }
  sum = Reduce(temp).Sum(sum);
  if (threadIdx.x == 0) loss[b] += float(mean_term(double(w), sum, double(frames)));
}

__global__ void envelope_grad_kernel(const float* __restrict__ x, const int* __restrict__ offset,
                                     const int* __restrict__ env_len,
                                     const int* __restrict__ frame_offset,
                                     const float* __restrict__ c, float* __restrict__ v_x) {
  const int b = blockIdx.y, o = offset[b], n = offset[b + 1] - o, len = env_len[b];
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    const int j = i / len;
    const float inv_len = 1.0f / float(envelope_frame_length(n, len, j));
    v_x[o + i] += envelope_sample_grad(c[frame_offset[b] + j], x[o + i], inv_len);
  }
}

}  // namespace drumsynth::cuda
