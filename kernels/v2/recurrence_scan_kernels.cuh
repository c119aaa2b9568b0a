// The recurrences (noise band filters, resonator) parallel over samples, the
// "v2" kernels: the noise band one block per instance, each thread a chunk,
// a block-wide scan of the chunks' steps (noise_band_scan.hpp); the resonator
// one warp per instance, blocks of at most one delay scanned by the warp
// (resonator_scan.hpp). Their math is the CPU-tested functions of those
// headers; the scans are CUB's. Selected with --kernels v2.
#pragma once

#include "synth_kernels.cuh"

namespace drumsynth::cuda {

// lane_samples: samples a lane walks in a resonator block, 1 to
// kResonatorLaneSamples (1: blocks of at most a warp's 32, one sample a lane,
// as the scans were first written).
void recurrences_scan_forward(const BatchView& batch, const SynthTape& tape, int lane_samples);
void recurrences_scan_adjoint(const BatchView& batch, const SynthTape& tape,
                              const SynthAdjointScratch& s, float* v_params, int lane_samples);

}  // namespace drumsynth::cuda
