// The release (model version 3) and the gate (model version 4): the whole
// sound times
//   g(t) = exp(-max(t - t_r, 0) / tau - max(t - t_g, 0) / tau_g),
// t from the onset; t_r = release_start_s, tau = release_s; t_g =
// gate_start_s, tau_g = gate_s. Both are the fade a recording's editor (or a
// player's hand) puts on a drum's end, which no sum of exponential decays
// follows: without them the fits' tails ended 20-60 dB above the recordings'
// (docs/quality.md). The fits take the release into the decay's shape; the
// gate is the recording's own fade-out over its last tens of ms, as the
// analysis measures it (analysis.hpp: fade_start_s, fade_db_per_s), and is not
// stepped by the fit (its gradient is computed, and dropped by the voice's
// adjoint: the loss barely sees those ms and would push it off). Presets
// older than version 3 (release) or 4 (gate) load with the start at its
// maximum, past any sound's end: that stage is 1.
#pragma once

#include "drumsynth/synth/params.hpp"

namespace drumsynth {

// (Branch-free, exp(-0) = 1 before a start: a sample loop over it vectorises.)
template <typename Real>
DS_HD Real release_gain(const Real* p, Real t) {
  const Real late = dm::fmax(t - p[P::release_start_s], Real(0));
  const Real gated = dm::fmax(t - p[P::gate_start_s], Real(0));
  return dm::exp(-late / p[P::release_s] - gated / p[P::gate_s]);
}

// Adjoint of one stage, late = t - its start, after its start:
//   dg/dstart = g / tau,  dg/dtau = g late / tau^2,  dg/dt = -g / tau.
template <typename Real>
DS_HD void release_stage_vjp(Real late, Real tau, Real g, Real v_g, Real& v_start, Real& v_tau,
                             Real& v_t) {
  if (!(late > Real(0))) return;
  const Real d = v_g * g / tau;
  v_start += d;
  v_tau += d * late / tau;
  v_t -= d;
}

// Adjoint, given g = release_gain and v_g = dL/dg: both stages'.
template <typename Real>
DS_HD void release_gain_vjp(const Real* p, Real t, Real g, Real v_g, Real& v_start_s,
                            Real& v_release_s, Real& v_gate_start_s, Real& v_gate_s, Real& v_t) {
  release_stage_vjp(t - p[P::release_start_s], p[P::release_s], g, v_g, v_start_s, v_release_s,
                    v_t);
  release_stage_vjp(t - p[P::gate_start_s], p[P::gate_s], g, v_g, v_gate_start_s, v_gate_s, v_t);
}

}  // namespace drumsynth
