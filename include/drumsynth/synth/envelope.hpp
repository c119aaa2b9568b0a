// The smooth attack/decay envelope used by every block, and its adjoint.
//   e(t) = rise(t) * fall(t),  rise = 1 - exp(-t / attack_s),  fall = exp(-t / decay_s)
// for t > 0, else 0. It rises from 0 without a jump (the original's envelope
// jumped at the attack time), so attack, decay and the onset all get gradients.
// rise and fall are separate so that partials sharing one attack share its rise.
#pragma once

#include "drumsynth/math/common.hpp"

namespace drumsynth {

template <typename Real>
DS_HD Real envelope_rise(Real t, Real attack_s) {
  const Real e = dm::exp(-t / attack_s);  // evaluated either way: a select, not a branch
  return t > Real(0) ? Real(1) - e : Real(0);
}
// d rise / d attack = -(t / a^2) exp(-t/a);  d rise / d t = exp(-t/a) / a
template <typename Real>
DS_HD void envelope_rise_vjp(Real t, Real attack_s, Real v_rise, Real& v_attack_s, Real& v_t) {
  const Real x = dm::exp(-t / attack_s);
  const Real e = t > Real(0) ? x : Real(0);
  v_attack_s += v_rise * (-(t / (attack_s * attack_s)) * e);
  v_t += v_rise * e / attack_s;
}

template <typename Real>
DS_HD Real envelope_fall(Real t, Real decay_s) {
  return dm::exp(-t / decay_s);
}
// d fall / d decay = fall t / d^2;  d fall / d t = -fall / d
template <typename Real>
DS_HD void envelope_fall_vjp(Real t, Real decay_s, Real fall, Real v_fall, Real& v_decay_s,
                             Real& v_t) {
  v_decay_s += v_fall * fall * t / (decay_s * decay_s);
  v_t -= v_fall * fall / decay_s;
}

template <typename Real>
DS_HD Real attack_decay(Real t, Real attack_s, Real decay_s) {
  return envelope_rise(t, attack_s) * envelope_fall(t, decay_s);
}

// Adjoint of e = rise * fall: adds v_e * de/d(attack_s, decay_s, t).
template <typename Real>
DS_HD void attack_decay_vjp(Real t, Real attack_s, Real decay_s,  // forward inputs
                            Real v_e,                             // output gradient
                            Real& v_attack_s, Real& v_decay_s, Real& v_t) {
  const Real rise = envelope_rise(t, attack_s), fall = envelope_fall(t, decay_s);
  envelope_rise_vjp(t, attack_s, v_e * fall, v_attack_s, v_t);
  envelope_fall_vjp(t, decay_s, fall, v_e * rise, v_decay_s, v_t);
}

}  // namespace drumsynth
