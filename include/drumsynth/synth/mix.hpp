// The mix: how the blocks make one sample of the sound,
//   source = transient + tones                  (both pitch-swept, from the onset on)
//   out    = release(t) * tanh(source + noise + resonator(0.5 * source) + noise_bank)
// The per-sample math of the source (source_sample) and of the mix
// (mix_sample), with their adjoints, shared by the CPU's voice (the whole
// sound rendered with its tape, host/synth/voice.cpp) and the CUDA kernels
// (kernels/synth_kernels.cu); the recurrences (noise filters, resonator) run
// over whole buffers there.
#pragma once

#include "drumsynth/synth/noise_band.hpp"
#include "drumsynth/synth/noise_bank.hpp"
#include "drumsynth/synth/pitch_sweep.hpp"
#include "drumsynth/synth/release.hpp"
#include "drumsynth/synth/resonator.hpp"
#include "drumsynth/synth/tone_partials.hpp"
#include "drumsynth/synth/transient.hpp"

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

// t: phase_time of the sample.
template <typename Real>
DS_HD Real source_sample(const Real* p, wide_t<Real> t) {
  const wide_t<Real> S = swept_time(t, p[P::sweep_ratio], p[P::sweep_s]);
  return transient_sample(p, Real(t), S) + tone_partials_sample(p, Real(t), S);
}

// Adjoint of the source at one sample; t = n / sr - onset, so v_onset = -v_t.
template <typename Real>
DS_HD void source_sample_vjp(const Real* p, wide_t<Real> t_wide, Real v_src, Real* v_p) {
  const Real t = Real(t_wide);
  if (t <= Real(0)) return;
  const wide_t<Real> S = swept_time(t_wide, p[P::sweep_ratio], p[P::sweep_s]);
  Real v_t = Real(0), v_S = Real(0);
  transient_sample_vjp(p, t, S, v_src, v_p[P::transient_freq_hz], v_p[P::transient_attack_s],
                       v_p[P::transient_decay_s], v_p[P::transient_drive], v_p[P::transient_gain],
                       v_t, v_S);
  tone_partials_sample_vjp(p, t, S, v_src, v_p, v_t, v_S);
  swept_time_vjp(t, p[P::sweep_ratio], p[P::sweep_s], v_S, v_p[P::sweep_ratio], v_p[P::sweep_s],
                 v_t);
  v_p[P::onset_s] -= v_t;
}

// The resonator is excited by half the source, as in the original.
constexpr double kResonatorSend = 0.5;

template <typename Real>
DS_HD Real resonator_send(Real source) {
  return Real(kResonatorSend) * source;
}

// The mix at one sample, t = time_since_onset:
//   out = release_gain(t) * tanh(source + noise_band_sample(t, band) + resonator_out + bank)
// bank: the noise bank's value at this sample (noise_bank_sample; 0 for a
// version-1 preset, whose bank gains are 0, so it renders as before).
template <typename Real>
DS_HD Real mix_sample(const Real* p, Real t, Real source, Real noise_band, Real res_out,
                      Real bank) {
  const Real noise = noise_band_sample(p, t, noise_band);
  return release_gain(p, t) * dm::tanh(source + noise + res_out + bank);
}

// Adjoint of the mix at one sample, out = g y with y = tanh(mix): the release
// gets v_out y; v_mix = v_out g (1 - y^2) reaches the source, the noise, the
// resonator's output and the bank alike; the noise sample's adjoint gives
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
