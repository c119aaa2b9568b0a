// The tone: kNumPartials decaying, pitch-swept sine partials, a drum's body.
//   y(t) = sum_k gain_k * rise(t) * fall_k(t) * sin(2 pi f_k S(t))
// rise: the shared tone_attack_s; fall_k: the partial's decay_s (envelope.hpp);
// S: the swept time (pitch_sweep.hpp).
#pragma once

#include "drumsynth/synth/block.hpp"
#include "drumsynth/synth/envelope.hpp"
#include "drumsynth/synth/params.hpp"

namespace drumsynth {

// One partial at one sample (t > 0); rise = envelope_rise(t, tone_attack_s).
template <typename Real>
DS_HD Real tone_partial_sample(Real freq_hz, Real decay_s, Real gain, Real rise, Real t,
                               wide_t<Real> S) {
  return gain * rise * envelope_fall(t, decay_s) * dm::sin_turns<Real>(wide_t<Real>(freq_hz) * S);
}

// Adjoint of y = gain rise fall sin(theta), theta = 2 pi f S:
//   d/dgain = rise fall sin;  d/drise = gain fall sin;  d/dfall = gain rise sin;
//   d/dtheta = gain rise fall cos, so d/df = 2 pi S d/dtheta and d/dS = 2 pi f d/dtheta.
template <typename Real>
DS_HD void tone_partial_sample_vjp(Real freq_hz, Real decay_s, Real gain, Real rise, Real t,
                                   wide_t<Real> S,  // forward inputs
                                   Real v_y,        // output gradient
                                   Real& v_freq_hz, Real& v_decay_s, Real& v_gain, Real& v_rise,
                                   Real& v_t, Real& v_S) {
  const Real fall = envelope_fall(t, decay_s);
  Real s, c;  // of theta = 2 pi f S
  dm::sin_cos_turns(wide_t<Real>(freq_hz) * S, s, c);
  v_gain += v_y * rise * fall * s;
  v_rise += v_y * gain * fall * s;
  const Real v_theta = v_y * gain * rise * fall * c;
  v_freq_hz += v_theta * Real(kTwoPi) * Real(S);
  v_S += v_theta * Real(kTwoPi) * freq_hz;
  envelope_fall_vjp(t, decay_s, fall, v_y * gain * rise * s, v_decay_s, v_t);
}

// The partials as a block of the voice program (block.hpp): kNumPartials
// units on the source bus, sharing its attack (tone_attack_s).
struct TonePartialsBlock : BlockDefaults {
  static constexpr const char* name = "tone partials";
  static constexpr int first_param = P::tone_first, n_units = kNumPartials, unit_params = 3;
  static constexpr bool uses_bus_attack = true;
  template <typename Real>
  struct Unit {
    Real freq_hz, decay_s, gain;
  };
  template <typename Real>
  DS_HD static Unit<Real> unit(const Real* p, int k) {
    return {p[P::tone_freq_hz(k)], p[P::tone_decay_s(k)], p[P::tone_gain(k)]};
  }
  template <typename Real>
  DS_HD static Real sample(const Unit<Real>& q, Real rise, Real t, wide_t<Real> S, Real) {
    return tone_partial_sample(q.freq_hz, q.decay_s, q.gain, rise, t, S);
  }
  template <typename Real>
  DS_HD static void sample_vjp(const Unit<Real>& q, Real rise, Real t, wide_t<Real> S, Real,
                               Real v_y, Real* v_unit, Real& v_rise, Real& v_t, Real& v_S) {
    tone_partial_sample_vjp(q.freq_hz, q.decay_s, q.gain, rise, t, S, v_y, v_unit[0], v_unit[1],
                            v_unit[2], v_rise, v_t, v_S);
  }
  template <typename Real>
  DS_HD static UnitEnvelope<Real> unit_envelope(const Real* p, int k) {
    return {p[P::tone_gain(k)], p[P::tone_decay_s(k)], p[P::tone_attack_s], p[P::tone_gain(k)]};
  }
};

}  // namespace drumsynth
