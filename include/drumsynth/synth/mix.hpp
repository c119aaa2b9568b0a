// The mix: the last stage of the voice program (voice_program.hpp), one
// sample of the sound from its buses,
//   out = release(t) * tanh(source + noise + resonator(0.5 * source) + mix_bus)
// with its adjoint; and the clock every block reads (time since the onset).
#pragma once

#include "drumsynth/synth/noise_band.hpp"
#include "drumsynth/synth/release.hpp"
#include "drumsynth/synth/resonator.hpp"

namespace drumsynth {

// Time since the onset of sample n, in seconds, in the wide type: the
// oscillators' phases are built on it (common.hpp says why).
template <typename Real>
DS_HD wide_t<Real> phase_time(const Real* p, int n, Real sample_rate) {
  using W = wide_t<Real>;
  return W(n) / W(sample_rate) - W(p[P::onset_s]);
}

// The same in Real, for envelopes (same sign as phase_time).
template <typename Real>
DS_HD Real time_since_onset(const Real* p, int n, Real sample_rate) {
  return Real(phase_time(p, n, sample_rate));
}

// The resonator is excited by half the source, as in the original.
constexpr double kResonatorSend = 0.5;

template <typename Real>
DS_HD Real resonator_send(Real source) {
  return Real(kResonatorSend) * source;
}

// The mix at one sample, t = time_since_onset:
//   out = release_gain(t) * tanh(source + noise_band_sample(t, band) + resonator_out + mix_bus)
// mix_bus: the mix bus's value at this sample (mix_bus_sample, voice_program.hpp).
template <typename Real>
DS_HD Real mix_sample(const Real* p, Real t, Real source, Real noise_band, Real res_out,
                      Real mix_bus) {
  const Real noise = noise_band_sample(p, t, noise_band);
  return release_gain(p, t) * dm::tanh(source + noise + res_out + mix_bus);
}

// Adjoint of the mix at one sample, out = g y with y = tanh(mix): the release
// gets v_out y; v_mix = v_out g (1 - y^2) reaches the source, the noise, the
// resonator's output and the mix bus alike; the noise sample's adjoint gives
// v_band and adds into the noise envelope's gradients and v_t; and the
// release's and the gate's parameters' gradients (start, time each). Returns v_mix.
template <typename Real>
DS_HD Real mix_sample_vjp(const Real* p, Real t, Real noise_band, Real out,  // forward
                          Real v_out,                                        // output grad
                          Real& v_band, Real& v_attack_s, Real& v_decay_s, Real& v_gain, Real& v_t,
                          Real& v_release_start_s, Real& v_release_s, Real& v_gate_start_s,
                          Real& v_gate_s) {
  const Real g = release_gain(p, t);
  const Real y = g > Real(0) ? out / g : Real(0);  // (g = 0: out = 0, and no gradient)
  release_gain_vjp(p, t, g, v_out * y, v_release_start_s, v_release_s, v_gate_start_s, v_gate_s,
                   v_t);
  const Real v_mix = v_out * g * (Real(1) - y * y);
  v_band = noise_band_sample_vjp(p, t, noise_band, v_mix, v_attack_s, v_decay_s, v_gain, v_t);
  return v_mix;
}

// The source's total gradient: straight into the mix, and through the
// resonator's send (v_res_in is the gradient of the resonator's input).
template <typename Real>
DS_HD Real source_gradient(Real v_mix, Real v_res_in) {
  return v_mix + Real(kResonatorSend) * v_res_in;
}

}  // namespace drumsynth
