// The fused spectral chain of one resolution (plan and math in
// include/drumsynth/spectral/fused_stft.hpp): one kernel gives each block a run of
// frames of one sound and does frame, window, R2C (cuFFTDx, in shared memory
// and registers), magnitudes, the loss terms' partial sums, the per-bin
// gradient in two parts, two C2Rs and the windowed overlap-add of the
// positions it owns; a per-sound kernel then sums the runs in order (the loss,
// and the spectral convergence part's scale), and a per-sample kernel folds
// the padding back. Nothing per frame or per bin goes to memory but the
// target's magnitudes, read once. Built only with cuFFTDx (the
// DRUMSYNTH_MATHDX_ROOT CMake path, scripts/gpu-deps); selected with the v2
// kernels (kernels/mrstft_loss.cu).
#pragma once

#include "drumsynth/spectral/fused_stft_block.hpp"

namespace drumsynth::cuda {

// The batch's tables and scratch for one resolution, in float
// (include/drumsynth/spectral/fused_stft_block.hpp).
using FusedStftArgs = drumsynth::FusedStftArgs<float>;
using FusedBands = drumsynth::FusedBands<float>;

// Whether this build's fused kernel takes FFTs of this size (powers of two
// from 32 to 16384, when built with cuFFTDx; never otherwise), in both modes
// (FusedStftArgs::folded).
bool fused_stft_supports(int fft_size);

// Frames one block transforms at a time (cuFFTDx's FFTs per block; 0 when not
// supported), in real_mode::normal or, folded, real_mode::folded.
int fused_stft_ffts_per_block(int fft_size, bool folded);
// Blocks of the run kernel an SM of this device holds at once with a.frames_per_run
// (its shared memory), 0 when one block does not fit.
int fused_stft_blocks_per_sm(const FusedStftArgs& a);

// One resolution of the loss: adds its terms / R to d_loss[b] and, when d_v_pre
// is given, its gradient to d_v_pre (the pre-filtered estimate's). d_x: the
// pre-filtered estimate.
void fused_stft_resolution(const FusedStftArgs& a, const float* d_x, float* d_loss, float* d_v_pre);

}  // namespace drumsynth::cuda
