// The noise band: deterministic white noise through a one-pole high-pass
// (noise_low_hz) and a one-pole low-pass (noise_high_hz), shaped by an
// attack/decay envelope applied after the filters (so the filters do not smear it):
//   white[n] = white_noise(seed, n)
//   low[n]   = lowpass(white, a_low)[n]        band_in = white - low   (high-pass)
//   band[n]  = lowpass(band_in, a_high)[n]
//   y(t)     = gain * e(t) * band[n]
#pragma once

#include <stdint.h>

#include "drumsynth/synth/envelope.hpp"
#include "drumsynth/synth/noise_rng.hpp"
#include "drumsynth/synth/one_pole.hpp"
#include "drumsynth/synth/params.hpp"

namespace drumsynth {

// Samples [i0, i1) of the filtered noise, from the filters' state (low, band)
// at i0: fills low and band there (indexed by sample), which the adjoint and
// the mix read. Each sample's noise is drawn on the spot, here and again in the
// adjoint (a hash: cheaper than storing it, and white - low, the high-pass's
// output, follows from it): the loop only stores, so nothing in it waits on
// memory. A whole sound is one run from rest; the GPU's scan runs each chunk
// from its checkpoint.
template <typename Real>
DS_HD void noise_band_run(Real a_low, Real a_high, uint64_t seed, int i0, int i1, Real lo, Real bd,
                          Real* DS_RESTRICT low, Real* DS_RESTRICT band) {
  for (int i = i0; i < i1; ++i) {
    const Real w = white_noise<Real>(seed, uint64_t(i));
    lo = one_pole_step(lo, w, a_low);
    bd = one_pole_step(bd, w - lo, a_high);
    low[i] = lo, band[i] = bd;
  }
}

// The filtered noise for samples [0, n): fills low and band (each [n]).
template <typename Real>
DS_HD void noise_band_filter(const Real* p, Real sample_rate, uint64_t seed, int n,
                             Real* DS_RESTRICT low, Real* DS_RESTRICT band) {
  const Real a_low = one_pole_coefficient(p[P::noise_low_hz], sample_rate);
  const Real a_high = one_pole_coefficient(p[P::noise_high_hz], sample_rate);
  noise_band_run(a_low, a_high, seed, 0, n, Real(0), Real(0), low, band);
}

// Adjoint of the two filters, backwards over samples [i0, i1) from the total
// gradients (lambda_high, lambda_low) of band[i1] and low[i1] (0 at the end):
//   lambda_high[n] = v_band[n] + (1 - a_high) lambda_high[n+1]   (the low-pass at noise_high_hz)
//   v_low[n]       = -a_high lambda_high[n]                      (band_in = white - low)
//   lambda_low[n]  = v_low[n] + (1 - a_low) lambda_low[n+1]      (the low-pass at noise_low_hz)
// and the coefficients' gradients v_a_high += lambda_high[n] (band_in[n] -
// band[n-1]), v_a_low += lambda_low[n] (white[n] - low[n-1]), white drawn
// again and band_in = white - low; the white noise has no parameters. Returns
// the lambdas at i0 (a chunk's carry).
template <typename Real>
struct NoiseBandAdjoint {
  Real lambda_high, lambda_low;  // at the run's first sample
  Real v_a_high, v_a_low;        // sums over the run
};
template <typename Real>
DS_HD NoiseBandAdjoint<Real> noise_band_run_vjp(Real a_low, Real a_high, uint64_t seed,
                                                int i0,                               // forward
                                                int i1,                               //
                                                const Real* DS_RESTRICT low,          // saved
                                                const Real* DS_RESTRICT band,         //
                                                const Real* DS_RESTRICT v_band,       // output grad
                                                Real lambda_high, Real lambda_low) {  // carry
  Real v_a_high = Real(0), v_a_low = Real(0);
  for (int i = i1 - 1; i >= i0; --i) {
    const Real white = white_noise<Real>(seed, uint64_t(i)), band_in = white - low[i];
    lambda_high = v_band[i] + (Real(1) - a_high) * lambda_high;
    v_a_high += lambda_high * (band_in - (i > 0 ? band[i - 1] : Real(0)));
    lambda_low = -(a_high * lambda_high) + (Real(1) - a_low) * lambda_low;
    v_a_low += lambda_low * (white - (i > 0 ? low[i - 1] : Real(0)));
  }
  return {lambda_high, lambda_low, v_a_high, v_a_low};
}

// The coefficients' gradients into the cutoffs'.
template <typename Real>
DS_HD void noise_band_coefficients_vjp(const Real* p, Real sample_rate, Real v_a_low, Real v_a_high,
                                       Real* v_p) {
  v_p[P::noise_high_hz] += one_pole_coefficient_vjp(p[P::noise_high_hz], sample_rate, v_a_high);
  v_p[P::noise_low_hz] += one_pole_coefficient_vjp(p[P::noise_low_hz], sample_rate, v_a_low);
}

// The whole sound's adjoint: one run from the end.
template <typename Real>
DS_HD void noise_band_filter_vjp(const Real* p, Real sample_rate, uint64_t seed, int n,  // forward
                                 const Real* DS_RESTRICT low,                            // saved
                                 const Real* DS_RESTRICT band,                           //
                                 const Real* DS_RESTRICT v_band,  // output grad
                                 Real* v_p) {
  const Real a_low = one_pole_coefficient(p[P::noise_low_hz], sample_rate);
  const Real a_high = one_pole_coefficient(p[P::noise_high_hz], sample_rate);
  const auto r = noise_band_run_vjp(a_low, a_high, seed, 0, n, low, band, v_band, Real(0), Real(0));
  noise_band_coefficients_vjp(p, sample_rate, r.v_a_low, r.v_a_high, v_p);
}

template <typename Real>
DS_HD Real noise_band_sample(const Real* p, Real t, Real band_n) {
  return p[P::noise_gain] * attack_decay(t, p[P::noise_attack_s], p[P::noise_decay_s]) * band_n;
}

// Adjoint of y = gain e(t) band: adds into the envelope's and gain's gradients
// and v_t, returns v_band.
template <typename Real>
DS_HD Real noise_band_sample_vjp(const Real* p, Real t, Real band_n,  // forward inputs
                                 Real v_y,                            // output gradient
                                 Real& v_attack_s, Real& v_decay_s, Real& v_gain, Real& v_t) {
  const Real e = attack_decay(t, p[P::noise_attack_s], p[P::noise_decay_s]);
  v_gain += v_y * e * band_n;
  attack_decay_vjp(t, p[P::noise_attack_s], p[P::noise_decay_s], v_y * p[P::noise_gain] * band_n,
                   v_attack_s, v_decay_s, v_t);
  return v_y * p[P::noise_gain] * e;
}

}  // namespace drumsynth
