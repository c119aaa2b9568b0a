// The STFT's framing on the GPU (the v1 chain; stft_framing.hpp's math):
// every frame of every instance reflect-padded by n/2, zero-extended and
// windowed, for one batched cuFFT R2C; and its adjoint, the overlap-add of
// the frames' gradients and the fold of the padding back onto the samples.
#pragma once

#include "cuda_common.cuh"

namespace drumsynth::cuda {

struct FrameLayout {
  int n, hop, n_bins;
  const int* offset;          // [B + 1] samples
  const int* frame_offset;    // [B + 1] frames
  const int* frame_instance;  // [frames] -> b
  const int* padded_len;      // [B] max(N_b, n)
  const float* window;        // [n]
};

// The windowed frames [frames, n] of x [total samples].
__global__ void frame_kernel(FrameLayout L, const float* __restrict__ x, int total_frames,
                             float* __restrict__ frames);

// The framing's adjoint in two steps (stft_adjoint.hpp, both tested on the
// CPU against the loss's scatter): the overlap-add of the frames' gradients,
// gathered per padded position; then the fold of the reflect padding, per
// sample, added into v_x.
__global__ void overlap_add_kernel(FrameLayout L,
                                   const float* __restrict__ v_frames,     // [frames, n]
                                   const int* __restrict__ padded_offset,  // [B + 1]
                                   float* __restrict__ v_padded);

__global__ void fold_kernel(FrameLayout L, const float* __restrict__ v_padded,  // [padded total]
                            const int* __restrict__ padded_offset,
                            float* __restrict__ v_x);  // [total]

}  // namespace drumsynth::cuda
