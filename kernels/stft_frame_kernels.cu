// Framing and its adjoint (stft_frame_kernels.cuh).
#include "drumsynth/spectral/stft_adjoint.hpp"
#include "stft_frame_kernels.cuh"

namespace drumsynth::cuda {

// 32-bit index math (a 64-bit division per element cost more than the copy):
// the batch plan keeps every flat array, frames x n included, below 2^31
// elements (gpu_groups.hpp).
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

__global__ void overlap_add_kernel(FrameLayout L,
                                   const float* __restrict__ v_frames,     // [frames, n]
                                   const int* __restrict__ padded_offset,  // [B + 1]
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
    v_x[L.offset[b] + s] +=
        fold_reflect_padding(s, r, L.padded_len[b], v_padded + padded_offset[b]);
}

}  // namespace drumsynth::cuda
