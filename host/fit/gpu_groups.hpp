// How a list of sounds is split into CUDA backend batches. A batch is bounded
// three ways: the grid's instance dimension (gridDim.y, 65,535), the kernels'
// 32-bit offsets (every flat array of the batch, samples, noise bank, frames,
// below 2^31 elements), and the device memory free when it starts. The
// kernels keep 32-bit index math (cheaper on the GPU than 64-bit, and the
// GPU issue asks for it); the batches are cut so it never wraps. Host-only
// arithmetic, so CPU tests check it without a GPU.
#pragma once

#include <stddef.h>

#include <vector>

#include "drumsynth/loss_settings.hpp"

namespace drumsynth {

struct GpuGroupLimits {
  size_t max_instances = 65535;           // CUDA's gridDim.y limit
  size_t max_flat_elements = 2147483647;  // 32-bit offsets
  size_t memory_bytes = 0;                // device memory a batch may take; 0: unbounded
};

// Device memory of one instance of n samples in a CUDA backend batch: the
// backend's per-sample buffers (kernels/cuda_backend.cu), the loss's filtered
// copies, spectra and scratch (kernels/mrstft_loss.cu, sized as if this
// instance's resolution were the batch's largest: an upper bound), the
// optimiser's state and a loss history of `iterations`.
size_t gpu_instance_bytes(int n_samples, const LossSettings& loss, int iterations);

// One instance's share of the batch's largest flat array.
size_t gpu_instance_flat_elements(int n_samples, const LossSettings& loss);

// Consecutive groups of sounds [first, last), each with `restarts` instances
// per sound and at most max_sounds sounds, within the limits. A sound too
// large for the limits on its own is a group of one with fits = false.
struct GpuGroup {
  size_t first, last;
  bool fits;
  size_t bytes;  // estimated device memory of the group
};
std::vector<GpuGroup> plan_gpu_groups(const std::vector<int>& n_samples, int restarts,
                                      int max_sounds, const LossSettings& loss, int iterations,
                                      const GpuGroupLimits& limits);

}  // namespace drumsynth
