// The tone: kNumPartials decaying, pitch-swept sine partials, a drum's body.
//   y(t) = sum_k gain_k * rise(t) * fall_k(t) * sin(2 pi f_k S(t))
// rise: the shared tone_attack_s; fall_k: the partial's decay_s (envelope.hpp);
// S: the swept time (pitch_sweep.hpp).
#pragma once

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

// All partials at one sample (the per-sample form the GPU uses).
template <typename Real>
DS_HD Real tone_partials_sample(const Real* p, Real t, wide_t<Real> S) {
  if (t <= Real(0)) return Real(0);
  const Real rise = envelope_rise(t, p[P::tone_attack_s]);
  Real y = Real(0);
  for (int k = 0; k < kNumPartials; ++k)
    y += tone_partial_sample(p[P::tone_freq_hz(k)], p[P::tone_decay_s(k)], p[P::tone_gain(k)], rise,
                             t, S);
  return y;
}

// Adds into v_p, v_t and v_S.
template <typename Real>
DS_HD void tone_partials_sample_vjp(const Real* p, Real t, wide_t<Real> S,  // forward inputs
                                    Real v_y,                               // output gradient
                                    Real* v_p, Real& v_t, Real& v_S) {
  if (t <= Real(0)) return;
  const Real rise = envelope_rise(t, p[P::tone_attack_s]);
  Real v_rise = Real(0);
  // Unrolled so every v_p index is a constant: a GPU thread then keeps its
  // parameter gradients in registers (with a runtime index they lived in
  // local memory, ~300 bytes a thread, and most of the kernel's traffic).
  DS_UNROLL
  for (int k = 0; k < kNumPartials; ++k)
    tone_partial_sample_vjp(p[P::tone_freq_hz(k)], p[P::tone_decay_s(k)], p[P::tone_gain(k)], rise,
                            t, S, v_y, v_p[P::tone_freq_hz(k)], v_p[P::tone_decay_s(k)],
                            v_p[P::tone_gain(k)], v_rise, v_t, v_S);
  envelope_rise_vjp(t, p[P::tone_attack_s], v_rise, v_p[P::tone_attack_s], v_t);
}

}  // namespace drumsynth
