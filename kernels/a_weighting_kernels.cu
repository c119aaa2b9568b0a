// The A-weighting FIR and its transpose (a_weighting_kernels.cuh).
#include <algorithm>

#include "a_weighting_kernels.cuh"
#include "cuda_common.cuh"
#include "drumsynth/loss_settings.hpp"
#include "drumsynth/spectral/fir_tile.hpp"

namespace drumsynth::cuda {

namespace {

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
  for (int j = t; j < kTaps; j += kFirTileThreads)
    cs[j] = fir_coefficient(taps + size_t(b) * kTaps, kTaps, transpose, j);
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

}  // namespace

// The A-weighting FIR of every instance (taps [B, kAWeightingTaps]), or its
// transpose: in and out [total samples], instances at offset [B + 1].
void a_weighting_filter(const float* in, const int* offset, const float* taps, int max_n,
                        int n_instances, bool transpose, float* out) {
  const dim3 grid(
      unsigned(std::max(1, std::min(65535, (max_n + kFirTileOutputs - 1) / kFirTileOutputs))),
      unsigned(n_instances));
  fir_tile_kernel<kAWeightingTaps><<<grid, kFirTileThreads>>>(in, offset, taps, transpose, out);
  CUDA_CHECK_LAUNCH(fir_tile_kernel);
}

}  // namespace drumsynth::cuda
