// The `seed` loss preset's perceptual pre-filter: auraloss's A-weighting FIR
// (FIRFilter "aw"), designed at the sound's sample rate, and its adjoint.
#pragma once

#include <vector>

#include "drumsynth/loss_settings.hpp"

namespace drumsynth {

// kAWeightingTaps-tap (n_taps, odd) linear-phase FIR fitted by least squares (scipy's
// firls semantics) to the bilinear-transformed IEC A-weighting curve sampled
// at 512 frequencies, as auraloss does. Deterministic; designed in double.
std::vector<double> a_weighting_fir(double sample_rate, int n_taps = kAWeightingTaps);

// "Same" convolution with zero padding (torch conv1d, padding n_taps/2):
//   y[n] = sum_k taps[k] x[n + k - n_taps/2]
// x, y: [n] (must not alias).
template <typename Real>
void fir_same(const Real* x, int n, const std::vector<Real>& taps, Real* y);

// Adjoint: v_x[m] = sum_k taps[k] v_y[m - k + n_taps/2] (the correlation's transpose).
template <typename Real>
void fir_same_vjp(const Real* v_y, int n, const std::vector<Real>& taps, Real* v_x);

}  // namespace drumsynth
