// The smooth attack/decay envelope used by every block, and its adjoint.
//   e(t) = (1 - exp(-t / attack_s)) * exp(-t / decay_s)   for t > 0, else 0
// It rises from 0 without a jump (the original's envelope jumped at the attack
// time), so attack, decay and the onset all get gradients.
#pragma once

#include "drumsynth/common.hpp"

namespace drumsynth {

template <typename Real>
DS_HD Real attack_decay(Real t, Real attack_s, Real decay_s) {
  if (t <= Real(0)) return Real(0);
  return (Real(1) - dm::exp(-t / attack_s)) * dm::exp(-t / decay_s);
}

// Adjoint: adds v_e * de/d(attack_s, decay_s, t) into the three gradients.
//   de/da = -(t / a^2) exp(-t/a) exp(-t/d)
//   de/dd = (1 - exp(-t/a)) exp(-t/d) t / d^2
//   de/dt = exp(-t/a) exp(-t/d) / a - (1 - exp(-t/a)) exp(-t/d) / d
template <typename Real>
DS_HD void attack_decay_vjp(Real t, Real attack_s, Real decay_s,  // forward inputs
                            Real v_e,                             // output gradient
                            Real& v_attack_s, Real& v_decay_s, Real& v_t) {
  if (t <= Real(0)) return;
  const Real rise = dm::exp(-t / attack_s);
  const Real fall = dm::exp(-t / decay_s);
  const Real e = (Real(1) - rise) * fall;
  v_attack_s += v_e * (-(t / (attack_s * attack_s)) * rise * fall);
  v_decay_s += v_e * (e * t / (decay_s * decay_s));
  v_t += v_e * (rise * fall / attack_s - e / decay_s);
}

}  // namespace drumsynth
