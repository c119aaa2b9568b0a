// The loss's RMS term on the GPU, w (rms(x) - rms(y))^2 per instance
// (spectral_loss_math.hpp rms_term), and its gradient.
#pragma once

#include "cuda_common.cuh"

namespace drumsynth::cuda {

// Each instance's sum of x^2 (grid.y = instance), added into out [B] with
// atomics (the v1 chain: the order of additions varies run to run).
__global__ void sum_squares_kernel(const float* __restrict__ x, const int* __restrict__ offset,
                                   double* __restrict__ out);

// The same sums in a fixed order (one block an instance), over elements
// [offset[b] scale, offset[b + 1] scale): scale is bins per frame for a
// spectrum, 1 for a signal.
__global__ void ordered_sum_squares_kernel(const float* __restrict__ x,
                                           const int* __restrict__ offset, int scale,
                                           double* __restrict__ out);

// loss [B] += the term; and, when v_x is given, its gradient c x_n into v_x.
__global__ void rms_term_kernel(const float* __restrict__ x, const int* __restrict__ offset,
                                const double* __restrict__ ss_x, const double* __restrict__ ss_y,
                                float w, float* __restrict__ loss, float* __restrict__ v_x);

}  // namespace drumsynth::cuda
