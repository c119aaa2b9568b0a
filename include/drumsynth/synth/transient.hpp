// The transient: a short, saturated, pitch-swept sine burst, the click or thump
// at a drum's start.
//   y(t) = gain * tanh(drive * e(t) * sin(2 pi f S(t)))
// with e the attack/decay envelope and S the swept time (pitch_sweep.hpp).
#pragma once

#include "drumsynth/synth/block.hpp"
#include "drumsynth/synth/envelope.hpp"
#include "drumsynth/synth/params.hpp"

namespace drumsynth {

// p: all kNumParams parameters; t: time since onset in s; S: swept time.
template <typename Real>
DS_HD Real transient_sample(const Real* p, Real t, wide_t<Real> S) {
  const Real e = attack_decay(t, p[P::transient_attack_s], p[P::transient_decay_s]);
  const wide_t<Real> cycles = wide_t<Real>(p[P::transient_freq_hz]) * S;  // theta = 2 pi cycles
  return p[P::transient_gain] * dm::tanh(p[P::transient_drive] * e * dm::sin_turns<Real>(cycles));
}

// Adjoint, by the chain rule through u = drive e sin(theta), y = gain tanh(u):
//   v_u = v_y gain (1 - tanh(u)^2); v_theta = v_u drive e cos(theta); theta = 2 pi f S.
// Adds into the transient's parameter gradients, v_t and v_S.
template <typename Real>
DS_HD void transient_sample_vjp(const Real* p, Real t, wide_t<Real> S,  // forward inputs
                                Real v_y,                               // output gradient
                                Real& v_freq_hz, Real& v_attack_s, Real& v_decay_s, Real& v_drive,
                                Real& v_gain, Real& v_t, Real& v_S) {
  const Real e = attack_decay(t, p[P::transient_attack_s], p[P::transient_decay_s]);
  Real s, c;
  dm::sin_cos_turns(wide_t<Real>(p[P::transient_freq_hz]) * S, s, c);
  const Real drive = p[P::transient_drive], gain = p[P::transient_gain];
  const Real th = dm::tanh(drive * e * s);
  v_gain += v_y * th;
  const Real v_u = v_y * gain * (Real(1) - th * th);
  v_drive += v_u * e * s;
  const Real v_theta = v_u * drive * e * c;
  v_freq_hz += v_theta * Real(kTwoPi) * Real(S);
  v_S += v_theta * Real(kTwoPi) * p[P::transient_freq_hz];
  attack_decay_vjp(t, p[P::transient_attack_s], p[P::transient_decay_s], v_u * drive * s,
                   v_attack_s, v_decay_s, v_t);
}

// The transient as a block of the voice program (block.hpp): one unit on
// the source bus, with its own attack; its unit reads its parameters from p.
struct TransientBlock : BlockDefaults {
  static constexpr const char* name = "transient";
  static constexpr int first_param = P::transient_freq_hz, n_units = 1, unit_params = 5;
  template <typename Real>
  struct Unit {
    const Real* p;
  };
  template <typename Real>
  DS_HD static Unit<Real> unit(const Real* p, int) {
    return {p};
  }
  template <typename Real>
  DS_HD static Real sample(const Unit<Real>& q, Real, Real t, wide_t<Real> S, Real) {
    return transient_sample(q.p, t, S);
  }
  template <typename Real>
  DS_HD static void sample_vjp(const Unit<Real>& q, Real, Real t, wide_t<Real> S, Real, Real v_y,
                               Real* v_unit, Real&, Real& v_t, Real& v_S) {
    transient_sample_vjp(q.p, t, S, v_y, v_unit[0], v_unit[1], v_unit[2], v_unit[3], v_unit[4], v_t,
                         v_S);
  }
  template <typename Real>
  DS_HD static UnitEnvelope<Real> unit_envelope(const Real* p, int) {
    return {p[P::transient_gain], p[P::transient_decay_s], p[P::transient_attack_s],
            p[P::transient_gain] * p[P::transient_drive]};
  }
};

}  // namespace drumsynth
