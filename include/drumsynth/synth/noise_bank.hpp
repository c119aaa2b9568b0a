// The noise bank: the noise band's white noise (the same counter-based source)
// split into kNoiseBands fixed bands, each with its own gain and decay and the
// noise's shared attack, so the noise can darken as it decays (in a real drum
// the highs die within a fraction of a second while the lows ring on; one
// noise band with one decay holds them all at full brightness).
//   band_k = lowpass2(highpass2(white, c_{k-1}), c_k)   (no high-pass for the
//            first band, no low-pass for the last; c_j = noise_bank_crossover_hz(j))
//   y(t)   = sum_k gain_k rise(t) fall_k(t) band_k[n]
// lowpass2 and highpass2 are two one-poles in series (one_pole.hpp; a
// high-pass is x - lowpass(x)), 12 dB per octave on both skirts; bilinear
// ones from 6 kHz up. rise:
// noise_attack_s; fall_k: noise_bank<k>_decay_s (envelope.hpp). The crossovers
// are fixed, so the bands depend on the seed and the rate only, not on any
// parameter: their adjoint is not needed, and a backend may make them once
// per sound (no recurrence in the fit's loop).
#pragma once

#include <stdint.h>

#include "drumsynth/synth/block.hpp"
#include "drumsynth/synth/envelope.hpp"
#include "drumsynth/synth/noise_rng.hpp"
#include "drumsynth/synth/one_pole.hpp"
#include "drumsynth/synth/params.hpp"

namespace drumsynth {

// Crossovers between the bands, in Hz: a kick's body, a snare's and a tom's
// body, their upper partials, the wires and sticks, the cymbals' sizzle and
// air (10 and 15 kHz: model version 3, where the filters from 6 kHz up
// became bilinear).
// (A function, not an array: device code reads it without a copy in device memory.)
DS_HD double noise_bank_crossover_hz(int j) {
  return j == 0   ? 150.0
         : j == 1 ? 400.0
         : j == 2 ? 1000.0
         : j == 3 ? 2500.0
         : j == 4 ? 6000.0
         : j == 5 ? 10000.0
                  : 15000.0;
}

// The crossovers' filters at a rate: the impulse-invariant one-poles below
// 6 kHz (model version 2's), bilinear ones from 6 kHz up, which still
// separate the bands near Nyquist (one_pole.hpp).
template <typename Real>
struct NoiseBankFilters {
  Real a[kNoiseBands - 1];
  BilinearPole<Real> top[kNoiseBands - 1];
};
DS_HD bool noise_bank_bilinear(int j) { return j >= kFirstTopNoiseBand - 1; }
template <typename Real>
DS_HD NoiseBankFilters<Real> noise_bank_filters(Real sample_rate) {
  NoiseBankFilters<Real> f;
  DS_UNROLL
  for (int j = 0; j < kNoiseBands - 1; ++j) {
    f.a[j] = one_pole_coefficient(Real(noise_bank_crossover_hz(j)), sample_rate);
    f.top[j] = bilinear_one_pole(Real(noise_bank_crossover_hz(j)), sample_rate);
  }
  return f;
}

// Band k's two-pole high-pass (at crossover k - 1) or low-pass (at k) with
// the crossover's filter; s: its two one-poles' states (four for bilinear).
template <typename Real>
DS_HD Real noise_bank_highpass2(Real x, const NoiseBankFilters<Real>& f, int j, Real* s) {
  if (!noise_bank_bilinear(j)) {
    s[0] = one_pole_step(s[0], x, f.a[j]);
    x -= s[0];
    s[1] = one_pole_step(s[1], x, f.a[j]);
    return x - s[1];
  }
  x -= bilinear_lowpass_step(s, x, f.top[j]);
  return x - bilinear_lowpass_step(s + 2, x, f.top[j]);
}
template <typename Real>
DS_HD Real noise_bank_lowpass2(Real x, const NoiseBankFilters<Real>& f, int j, Real* s) {
  if (!noise_bank_bilinear(j)) {
    s[0] = one_pole_step(s[0], x, f.a[j]);
    return s[1] = one_pole_step(s[1], s[0], f.a[j]);
  }
  return bilinear_lowpass_step(s + 2, bilinear_lowpass_step(s, x, f.top[j]), f.top[j]);
}

// One sample of every band from the white noise w; state[k]: band k's
// filters (high-pass in 0..3, low-pass in 4..7).
template <typename Real>
DS_HD void noise_bank_step(Real w, const NoiseBankFilters<Real>& f, Real (*state)[8], Real* out) {
  DS_UNROLL
  for (int k = 0; k < kNoiseBands; ++k) {
    Real x = w;
    if (k > 0) x = noise_bank_highpass2(x, f, k - 1, state[k]);
    if (k < kNoiseBands - 1) x = noise_bank_lowpass2(x, f, k, state[k] + 4);
    out[k] = x;
  }
}

// The bands for samples [0, n): band k of sample i at bands[k * stride + i]
// (stride >= n). One pass over the noise, the bands' filters side by side.
template <typename Real>
DS_HD void noise_bank_filter(Real sample_rate, uint64_t seed, int n, Real* DS_RESTRICT bands,
                             size_t stride) {
  const NoiseBankFilters<Real> f = noise_bank_filters(sample_rate);
  Real state[kNoiseBands][8] = {};
  for (int i = 0; i < n; ++i) {
    Real out[kNoiseBands];
    noise_bank_step(white_noise<Real>(seed, uint64_t(i)), f, state, out);
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

// The bank as a block of the voice program (block.hpp): kNoiseBands units on
// the mix bus, sharing its attack (noise_attack_s); their fixed inputs are
// the bands.
struct NoiseBankBlock : BlockDefaults {
  static constexpr const char* name = "noise bank";
  static constexpr int first_param = P::noise_bank_first, n_units = kNoiseBands, unit_params = 2;
  static constexpr bool uses_bus_attack = true;
  static constexpr int fixed_inputs = kNoiseBands;
  template <typename Real>
  struct Unit {
    Real gain, decay_s;
  };
  template <typename Real>
  DS_HD static Unit<Real> unit(const Real* p, int k) {
    return {p[P::noise_bank_gain(k)], p[P::noise_bank_decay_s(k)]};
  }
  template <typename Real>
  DS_HD static Real sample(const Unit<Real>& q, Real rise, Real t, wide_t<Real>, Real band) {
    return noise_bank_band_sample(q.gain, q.decay_s, rise, t, band);
  }
  template <typename Real>
  DS_HD static void sample_vjp(const Unit<Real>& q, Real rise, Real t, wide_t<Real>, Real band,
                               Real v_y, Real* v_unit, Real& v_rise, Real& v_t, Real&) {
    noise_bank_band_sample_vjp(q.gain, q.decay_s, rise, t, band, v_y, v_unit[0], v_unit[1], v_rise,
                               v_t);
  }
  template <typename Real>
  DS_HD static UnitEnvelope<Real> unit_envelope(const Real* p, int k) {
    return {p[P::noise_bank_gain(k)], p[P::noise_bank_decay_s(k)], p[P::noise_attack_s],
            p[P::noise_bank_gain(k)]};
  }
  template <typename Real>
  DS_HD static void make_fixed_inputs(Real sample_rate, uint64_t seed, int n, Real* bands,
                                      size_t stride) {
    noise_bank_filter(sample_rate, seed, n, bands, stride);
  }
  template <typename Real>
  struct FixedStream {
    NoiseBankFilters<Real> filters;
    Real state[kNoiseBands][8];
    DS_HD void start(Real sample_rate) {
      filters = noise_bank_filters(sample_rate);
      for (int k = 0; k < kNoiseBands; ++k)
        for (int j = 0; j < 8; ++j) state[k][j] = Real(0);
    }
    DS_HD void step(Real w, Real* bands) { noise_bank_step(w, filters, state, bands); }
  };
};

}  // namespace drumsynth
