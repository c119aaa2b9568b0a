// The `seed` loss's A-weighting pre-filter on the GPU: a "same" FIR per
// instance in shared-memory tiles (include/drumsynth/spectral/fir_tile.hpp),
// and its transpose, the FIR's adjoint.
#pragma once

namespace drumsynth::cuda {

// The A-weighting FIR of every instance (taps [B, kAWeightingTaps]), or its
// transpose: in and out [total samples], instances at offset [B + 1].
void a_weighting_filter(const float* in, const int* offset, const float* taps, int max_n,
                        int n_instances, bool transpose, float* out);

}  // namespace drumsynth::cuda
