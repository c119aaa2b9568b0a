// The release (model version 3): the whole sound times
//   g(t) = 1                      for t <= t_r
//   g(t) = exp(-(t - t_r) / tau)  after,
// t from the onset, t_r = release_start_s, tau = release_s. It is the fade or
// gate a recording's editor (or a player's hand) puts on a drum's end, which
// no sum of exponential decays follows: without it the fits' tails ended
// 20-60 dB above the recordings' (docs/quality.md). Presets older than
// version 3 load with t_r at its maximum, past any sound's end: g = 1.
#pragma once

#include "drumsynth/synth/params.hpp"

namespace drumsynth {

// (Branch-free, exp(-0) = 1 before the start: a sample loop over it vectorises.)
template <typename Real>
DS_HD Real release_gain(const Real* p, Real t) {
  const Real late = dm::fmax(t - p[P::release_start_s], Real(0));
  return dm::exp(-late / p[P::release_s]);
}

// Adjoint, given g = release_gain and v_g = dL/dg (after t_r only):
//   dg/dt_r = g / tau,  dg/dtau = g (t - t_r) / tau^2,  dg/dt = -g / tau.
template <typename Real>
DS_HD void release_gain_vjp(const Real* p, Real t, Real g, Real v_g, Real& v_start_s,
                            Real& v_release_s, Real& v_t) {
  const Real late = t - p[P::release_start_s];
  if (!(late > Real(0))) return;
  const Real tau = p[P::release_s], d = v_g * g / tau;
  v_start_s += d;
  v_release_s += d * late / tau;
  v_t -= d;
}

}  // namespace drumsynth
