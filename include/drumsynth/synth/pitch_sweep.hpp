// The pitch envelope shared by transient and tones. Each oscillator's frequency
// falls exponentially from ratio * f to its end frequency f:
//   f(t) = f * (1 + (ratio - 1) exp(-t / sweep_s))
// and its phase is 2 pi f S(t), with the "swept time" S integrated in closed form:
//   S(t) = t + (ratio - 1) sweep_s (1 - exp(-t / sweep_s))
// One S per sample serves every oscillator.
#pragma once

#include "drumsynth/math/common.hpp"

namespace drumsynth {

// In the wide type (common.hpp): S feeds every oscillator's phase f S.
template <typename Real>
DS_HD wide_t<Real> swept_time(wide_t<Real> t, Real ratio, Real sweep_s) {
  using W = wide_t<Real>;
  const W e = dm::exp(-t / W(sweep_s));  // evaluated either way: a select, not a branch
  return t > W(0) ? t + W(ratio - Real(1)) * W(sweep_s) * (W(1) - e) : W(0);
}

// Adjoint: dS/dratio = sweep_s (1 - e), dS/dsweep_s = (ratio - 1)(1 - e - (t/sweep_s) e),
// dS/dt = 1 + (ratio - 1) e, with e = exp(-t / sweep_s).
template <typename Real>
DS_HD void swept_time_vjp(Real t, Real ratio, Real sweep_s,  // forward inputs
                          Real v_S,                          // output gradient
                          Real& v_ratio, Real& v_sweep_s, Real& v_t) {
  if (!(t > Real(0))) v_S = Real(0);  // S is 0 before the onset
  const Real e = dm::exp(-t / sweep_s);
  v_ratio += v_S * sweep_s * (Real(1) - e);
  v_sweep_s += v_S * (ratio - Real(1)) * (Real(1) - e - (t / sweep_s) * e);
  v_t += v_S * (Real(1) + (ratio - Real(1)) * e);
}

}  // namespace drumsynth
