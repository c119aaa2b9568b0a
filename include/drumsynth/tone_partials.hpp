// The tone: kNumPartials decaying, pitch-swept sine partials, a drum's body.
//   y(t) = sum_k gain_k * e_k(t) * sin(2 pi f_k S(t))
// e_k: attack/decay envelope with the shared tone_attack_s and the partial's decay_s.
#pragma once

#include "drumsynth/envelope.hpp"
#include "drumsynth/params.hpp"

namespace drumsynth {

template <typename Real>
DS_HD Real tone_partials_sample(const Real* p, Real t, Real S) {
  if (t <= Real(0)) return Real(0);
  Real y = Real(0);
  for (int k = 0; k < kNumPartials; ++k) {
    const Real e = attack_decay(t, p[P::tone_attack_s], p[P::tone_decay_s(k)]);
    y += p[P::tone_gain(k)] * e * dm::sin(Real(kTwoPi) * p[P::tone_freq_hz(k)] * S);
  }
  return y;
}

// Adjoint, per partial: d/dgain = e sin(theta); d/de = gain sin(theta);
// d/dtheta = gain e cos(theta), theta = 2 pi f S. Adds into v_p, v_t and v_S.
template <typename Real>
DS_HD void tone_partials_sample_vjp(const Real* p, Real t, Real S,  // forward inputs
                                    Real v_y,                       // output gradient
                                    Real* v_p, Real& v_t, Real& v_S) {
  if (t <= Real(0)) return;
  for (int k = 0; k < kNumPartials; ++k) {
    const Real f = p[P::tone_freq_hz(k)], gain = p[P::tone_gain(k)];
    const Real e = attack_decay(t, p[P::tone_attack_s], p[P::tone_decay_s(k)]);
    const Real theta = Real(kTwoPi) * f * S;
    const Real s = dm::sin(theta), c = dm::cos(theta);
    v_p[P::tone_gain(k)] += v_y * e * s;
    const Real v_theta = v_y * gain * e * c;
    v_p[P::tone_freq_hz(k)] += v_theta * Real(kTwoPi) * S;
    v_S += v_theta * Real(kTwoPi) * f;
    attack_decay_vjp(t, p[P::tone_attack_s], p[P::tone_decay_s(k)], v_y * gain * s,
                     v_p[P::tone_attack_s], v_p[P::tone_decay_s(k)], v_t);
  }
}

}  // namespace drumsynth
