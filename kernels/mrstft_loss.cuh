// The MRSTFT loss of a batch on the GPU: per resolution, framing (reflect
// padding, window) into one batched cuFFT R2C over every frame of every
// instance, the per-bin loss terms with per-instance sums (spectral convergence
// is per sound), the per-bin gradient, a batched C2R as the FFT's adjoint, and
// overlap-add with the reflect padding folded back. The A-weighting FIR, and
// the RMS and envelope terms, with their adjoints, run before and after; the band-energy term
// (ERB bands of the magnitudes) beside the per-bin terms. Target spectra are
// computed once. With fused_spectral (the v2 kernels) and a build with
// cuFFTDx, each resolution's chain from framing to overlap-add is one fused
// kernel instead (fused_stft_kernels.cuh); the target pass stays as above.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "drumsynth/loss_settings.hpp"
#include "drumsynth/switches.hpp"

namespace drumsynth::cuda {

class GpuMrstft {
 public:
  // offsets: [B + 1] sample offsets (host); sample_rates: [B] Hz (the band
  // term's bands depend on them); a_weighting_taps:
  // [B][kAWeightingTaps] when settings.a_weighting (else unused); d_targets:
  // device [total]; fused_spectral: use the fused kernels where this build
  // has them for every resolution's FFT size (else the cuFFT chain), with
  // the plan and FFT mode the switches give.
  GpuMrstft(const LossSettings& settings, const std::vector<int>& offsets,
            const std::vector<double>& sample_rates,
            const std::vector<std::vector<double>>& a_weighting_taps, const float* d_targets,
            bool fused_spectral = false, const Switches& switches = {});
  ~GpuMrstft();
  // d_x: device [total] estimate; d_loss: device [B] (written); d_v_x: device
  // [total] dL/dx (written), or null for the loss alone.
  void evaluate(const float* d_x, float* d_loss, float* d_v_x);
  size_t device_bytes() const;
  // Which spectral path evaluate runs: "cuFFT chain", or "fused (cuFFTDx),
  // frames per run ..." with each resolution's run length.
  const std::string& spectral_path() const;
  bool fused() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Whether this build has the fused spectral kernels (cuFFTDx).
bool fused_spectral_built();

}  // namespace drumsynth::cuda
