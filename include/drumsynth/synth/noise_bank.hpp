// The noise bank: the noise band's white noise (the same counter-based source)
// split into kNoiseBands fixed bands, each with its own gain and decay and the
// noise's shared attack, so the noise can darken as it decays (in a real drum
// the highs die within a fraction of a second while the lows ring on; one
// noise band with one decay holds them all at full brightness).
//   band_k = lowpass2(highpass2(white, c_{k-1}), c_k)   (no high-pass for the
//            first band, no low-pass for the last; c_j = noise_bank_crossover_hz(j))
//   y(t)   = sum_k gain_k rise(t) fall_k(t) band_k[n]
// lowpass2 and highpass2 are two one-poles in series (one_pole.hpp; a
// high-pass is x - lowpass(x)), 12 dB per octave on both skirts. rise:
// noise_attack_s; fall_k: noise_bank<k>_decay_s (envelope.hpp). The crossovers
// are fixed, so the bands depend on the seed and the rate only, not on any
// parameter: their adjoint is not needed, and a backend may make them once
// per sound (no recurrence in the fit's loop).
#pragma once

#include <stdint.h>

#include "drumsynth/synth/envelope.hpp"
#include "drumsynth/synth/noise_rng.hpp"
#include "drumsynth/synth/one_pole.hpp"
#include "drumsynth/synth/params.hpp"

namespace drumsynth {

// Crossovers between the bands, in Hz: a kick's body, a snare's and a tom's
// body, their upper partials, the wires and sticks, the cymbals' sizzle.
// (A function, not an array: device code reads it without a copy in device memory.)
DS_HD double noise_bank_crossover_hz(int j) {
  return j == 0 ? 150.0 : j == 1 ? 400.0 : j == 2 ? 1000.0 : j == 3 ? 2500.0 : 6000.0;
}

// One sample of every band from the white noise w: a[j] the crossovers'
// one-pole coefficients [kNoiseBands - 1], state[k] band k's four one-poles
// (high-pass, high-pass, low-pass, low-pass).
template <typename Real>
DS_HD void noise_bank_step(Real w, const Real* a, Real (*state)[4], Real* out) {
  DS_UNROLL
  for (int k = 0; k < kNoiseBands; ++k) {
    Real x = w;
    if (k > 0) {
      state[k][0] = one_pole_step(state[k][0], x, a[k - 1]);
      x -= state[k][0];
      state[k][1] = one_pole_step(state[k][1], x, a[k - 1]);
      x -= state[k][1];
    }
    if (k < kNoiseBands - 1) {
      state[k][2] = one_pole_step(state[k][2], x, a[k]);
      state[k][3] = one_pole_step(state[k][3], state[k][2], a[k]);
      x = state[k][3];
    }
    out[k] = x;
  }
}

// The bands for samples [0, n): band k of sample i at bands[k * stride + i]
// (stride >= n). One pass over the noise, the bands' filters side by side.
template <typename Real>
DS_HD void noise_bank_filter(Real sample_rate, uint64_t seed, int n, Real* DS_RESTRICT bands,
                             size_t stride) {
  Real a[kNoiseBands - 1];
  DS_UNROLL
  for (int j = 0; j < kNoiseBands - 1; ++j)
    a[j] = one_pole_coefficient(Real(noise_bank_crossover_hz(j)), sample_rate);
  Real state[kNoiseBands][4] = {};
  for (int i = 0; i < n; ++i) {
    Real out[kNoiseBands];
    noise_bank_step(white_noise<Real>(seed, uint64_t(i)), a, state, out);
    DS_UNROLL
    for (int k = 0; k < kNoiseBands; ++k) bands[size_t(k) * stride + i] = out[k];
  }
}

// One band at one sample; rise = envelope_rise(t, noise_attack_s).
template <typename Real>
DS_HD Real noise_bank_band_sample(Real gain, Real decay_s, Real rise, Real t, Real band) {
  return gain * rise * envelope_fall(t, decay_s) * band;
}

// Adjoint of y = gain rise fall band: d/dgain = rise fall band,
// d/drise = gain fall band, d/dfall = gain rise band (fall's own adjoint gives
// decay and t). band has no parameters.
template <typename Real>
DS_HD void noise_bank_band_sample_vjp(Real gain, Real decay_s, Real rise, Real t,
                                      Real band,  // forward
                                      Real v_y,   // output grad
                                      Real& v_gain, Real& v_decay_s, Real& v_rise, Real& v_t) {
  const Real fall = envelope_fall(t, decay_s);
  v_gain += v_y * rise * fall * band;
  v_rise += v_y * gain * fall * band;
  envelope_fall_vjp(t, decay_s, fall, v_y * gain * rise * band, v_decay_s, v_t);
}

// The whole bank at one sample (the per-sample form the GPU uses): band k's
// value at bands[k * stride].
template <typename Real>
DS_HD Real noise_bank_sample(const Real* p, Real t, const Real* bands, size_t stride) {
  if (t <= Real(0)) return Real(0);
  const Real rise = envelope_rise(t, p[P::noise_attack_s]);
  Real y = Real(0);
  for (int k = 0; k < kNoiseBands; ++k)
    y += noise_bank_band_sample(p[P::noise_bank_gain(k)], p[P::noise_bank_decay_s(k)], rise, t,
                                bands[size_t(k) * stride]);
  return y;
}

// Adds into v_gain, v_decay_s [kNoiseBands] (per band), v_attack_s and v_t
// (separate arrays, so a GPU thread keeps them in registers).
template <typename Real>
DS_HD void noise_bank_sample_vjp(const Real* p, Real t, const Real* bands,
                                 size_t stride,  // forward
                                 Real v_y,       // output grad
                                 Real* v_gain, Real* v_decay_s, Real& v_attack_s, Real& v_t) {
  if (t <= Real(0)) return;
  const Real rise = envelope_rise(t, p[P::noise_attack_s]);
  Real v_rise = Real(0);
  DS_UNROLL
  for (int k = 0; k < kNoiseBands; ++k)
    noise_bank_band_sample_vjp(p[P::noise_bank_gain(k)], p[P::noise_bank_decay_s(k)], rise, t,
                               bands[size_t(k) * stride], v_y, v_gain[k], v_decay_s[k], v_rise,
                               v_t);
  envelope_rise_vjp(t, p[P::noise_attack_s], v_rise, v_attack_s, v_t);
}

}  // namespace drumsynth
