// One synth voice: the four blocks mixed and saturated,
//   source = transient + tones                  (both pitch-swept, from the onset on)
//   out    = tanh(source + noise + resonator(0.5 * source))
// The per-sample source math is here (shared with CUDA); the recurrences run
// over whole buffers in render_voice / render_voice_vjp (host/voice.cpp).
#pragma once

#include <stdint.h>

#include <vector>

#include "drumsynth/noise_band.hpp"
#include "drumsynth/pitch_sweep.hpp"
#include "drumsynth/resonator.hpp"
#include "drumsynth/tone_partials.hpp"
#include "drumsynth/transient.hpp"

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
DS_HD Real voice_source_sample(const Real* p, wide_t<Real> t) {
  const wide_t<Real> S = swept_time(t, p[P::sweep_ratio], p[P::sweep_s]);
  return transient_sample(p, Real(t), S) + tone_partials_sample(p, Real(t), S);
}

// Adjoint of the source at one sample; t = n / sr - onset, so v_onset = -v_t.
template <typename Real>
DS_HD void voice_source_sample_vjp(const Real* p, wide_t<Real> t_wide, Real v_src, Real* v_p) {
  const Real t = Real(t_wide);
  if (t <= Real(0)) return;
  const wide_t<Real> S = swept_time(t_wide, p[P::sweep_ratio], p[P::sweep_s]);
  Real v_t = Real(0), v_S = Real(0);
  transient_sample_vjp(p, t, S, v_src, v_p[P::transient_freq_hz], v_p[P::transient_attack_s],
                       v_p[P::transient_decay_s], v_p[P::transient_drive],
                       v_p[P::transient_gain], v_t, v_S);
  tone_partials_sample_vjp(p, t, S, v_src, v_p, v_t, v_S);
  swept_time_vjp(t, p[P::sweep_ratio], p[P::sweep_s], v_S, v_p[P::sweep_ratio], v_p[P::sweep_s],
                 v_t);
  v_p[P::onset_s] -= v_t;
}

struct VoiceSpec {
  int n_samples = 0;
  double sample_rate = 48000.0;
  uint64_t noise_seed = 0;
};

// Forward values the adjoint needs, each [n_samples]; `out` is the audio.
// t, S and rise (time since onset, swept time, the tones' attack) are zero
// before the first sample after the onset, `first`.
template <typename Real>
struct VoiceTape {
  int first = 0;
  std::vector<Real> t, rise;
  std::vector<wide_t<Real>> S;  // swept time, wide: it feeds the phases
  std::vector<Real> white, noise_low, noise_band_in, noise_band;
  std::vector<Real> source, res_y, res_h, res_out, out;
  void resize(int n);
};

// Renders parameters p [kNumParams] (physical units) into tape.out.
template <typename Real>
void render_voice(const Real* p, const VoiceSpec& spec, VoiceTape<Real>& tape);

// Adds dL/dp into v_p [kNumParams], given v_out = dL/dout [n_samples] and the
// tape of the forward call with the same p.
template <typename Real>
void render_voice_vjp(const Real* p, const VoiceSpec& spec, const VoiceTape<Real>& tape,
                      const Real* v_out, Real* v_p);

// Convenience: render into a fresh vector.
template <typename Real>
std::vector<Real> render(const std::vector<Real>& params, const VoiceSpec& spec);

}  // namespace drumsynth
