// The RMS term and its gradient (rms_term_kernels.cuh).
#include <cub/block/block_reduce.cuh>

#include "drumsynth/spectral/spectral_loss_math.hpp"
#include "rms_term_kernels.cuh"

namespace drumsynth::cuda {

__global__ void sum_squares_kernel(const float* __restrict__ x, const int* __restrict__ offset,
                                   double* __restrict__ out) {  // [B]
  const int b = blockIdx.y, o = offset[b], n = offset[b + 1] - o;
  float acc = 0;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    acc += x[o + i] * x[o + i];
  acc = block_sum(acc);
  if (threadIdx.x == 0) atomicAdd(&out[b], double(acc));
}

// The same sums in a fixed order, for the fused path (whose fits repeat bit
// for bit): one block per instance over elements [offset[b] scale,
// offset[b + 1] scale) (scale: bins per frame for a spectrum, 1 for a signal).
__global__ void ordered_sum_squares_kernel(const float* __restrict__ x,
                                           const int* __restrict__ offset, int scale,
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
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    v_x[o + i] += c * x[o + i];
}

}  // namespace drumsynth::cuda
