// The noise band: deterministic white noise through a one-pole high-pass
// (noise_low_hz) and a one-pole low-pass (noise_high_hz), shaped by an
// attack/decay envelope applied after the filters (so the filters do not smear it):
//   white[n] = white_noise(seed, n)
//   low[n]   = lowpass(white, a_low)[n]        band_in = white - low   (high-pass)
//   band[n]  = lowpass(band_in, a_high)[n]
//   y(t)     = gain * e(t) * band[n]
#pragma once

#include <stdint.h>

#include "drumsynth/envelope.hpp"
#include "drumsynth/noise_rng.hpp"
#include "drumsynth/one_pole.hpp"
#include "drumsynth/params.hpp"

namespace drumsynth {

// The filtered noise for samples [0, n): fills white, low, band_in, band (each [n]);
// the last three are kept for the adjoint.
// One pass, each sample's noise drawn on the spot: the loop only stores, so
// nothing in it waits on memory.
template <typename Real>
DS_HD void noise_band_filter(const Real* p, Real sample_rate, uint64_t seed, int n,
                             Real* DS_RESTRICT white, Real* DS_RESTRICT low,
                             Real* DS_RESTRICT band_in, Real* DS_RESTRICT band) {
  const Real a_low = one_pole_coefficient(p[P::noise_low_hz], sample_rate);
  const Real a_high = one_pole_coefficient(p[P::noise_high_hz], sample_rate);
  Real lo = Real(0), bd = Real(0);
  for (int i = 0; i < n; ++i) {
    const Real w = white_noise<Real>(seed, uint64_t(i));
    lo = one_pole_step(lo, w, a_low);
    const Real bi = w - lo;
    bd = one_pole_step(bd, bi, a_high);
    white[i] = w, low[i] = lo, band_in[i] = bi, band[i] = bd;
  }
}

// Adjoint of the two filters: v_band -> v_band_in through the low-pass (gives
// v_a_high), v_low = -v_band_in through the high-pass, then the first low-pass
// (gives v_a_low); the white noise has no parameters. scratch: [n].
template <typename Real>
DS_HD void noise_band_filter_vjp(const Real* p, Real sample_rate, int n,        // forward
                                 const Real* DS_RESTRICT white,                 // saved
                                 const Real* DS_RESTRICT low,                   //
                                 const Real* DS_RESTRICT band_in,               //
                                 const Real* DS_RESTRICT band,                  //
                                 const Real* DS_RESTRICT v_band,                // output grad
                                 Real* v_p, Real* DS_RESTRICT scratch) {
  const Real a_low = one_pole_coefficient(p[P::noise_low_hz], sample_rate);
  const Real a_high = one_pole_coefficient(p[P::noise_high_hz], sample_rate);
  const Real v_a_high = one_pole_lowpass_vjp(band_in, band, n, a_high, v_band, scratch);
  for (int i = 0; i < n; ++i) scratch[i] = -scratch[i];  // v_low = -v_band_in
  const Real v_a_low = one_pole_lowpass_vjp(white, low, n, a_low, scratch, (Real*)nullptr);
  v_p[P::noise_high_hz] += one_pole_coefficient_vjp(p[P::noise_high_hz], sample_rate, v_a_high);
  v_p[P::noise_low_hz] += one_pole_coefficient_vjp(p[P::noise_low_hz], sample_rate, v_a_low);
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
