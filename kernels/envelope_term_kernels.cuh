// The loss's envelope term on the GPU (spectral_loss_math.hpp: over frames of
// the signal itself, mean |ln(E_y + f) - ln(E_x + f)|) and its gradient, for
// every kernel set: it reads the signal, not the spectra. Frames are per
// instance (env_len[b] samples: env_frame_s at its rate), frame j of instance
// b at frame_offset[b] + j. One block an instance sums in a fixed order, so
// a fit repeats bit for bit.
#pragma once

#include "cuda_common.cuh"

namespace drumsynth::cuda {

// The target's side, once: log_e_y [frames] = ln(E_y + f) and floor [B] = f,
// f the loudest frame range_db down (envelope_floor). Grid: one block an instance.
__global__ void envelope_target_kernel(const float* __restrict__ y,                   // [total]
                                       const int* __restrict__ offset,                // [B + 1]
                                       const int* __restrict__ env_len,               // [B]
                                       const int* __restrict__ frame_offset,          // [B + 1]
                                       double range_db, float* __restrict__ log_e_y,  // [frames]
                                       float* __restrict__ floor);                    // [B]

// loss [B] += w mean_j |ln(E_y + f) - ln(E_x + f)|; c [frames] = each frame's
// dEN/dE_x (band_cell_grad, scaled by w). Grid: one block an instance.
__global__ void envelope_term_kernel(const float* __restrict__ x, const int* __restrict__ offset,
                                     const int* __restrict__ env_len,
                                     const int* __restrict__ frame_offset,
                                     const float* __restrict__ log_e_y,
                                     const float* __restrict__ floor, float w,
                                     float* __restrict__ loss, float* __restrict__ c);

// v_x += c_j 2 x_n / len for every sample n of frame j (envelope_sample_grad).
// Grid: per_instance_grid.
__global__ void envelope_grad_kernel(const float* __restrict__ x, const int* __restrict__ offset,
                                     const int* __restrict__ env_len,
                                     const int* __restrict__ frame_offset,
                                     const float* __restrict__ c, float* __restrict__ v_x);

}  // namespace drumsynth::cuda
