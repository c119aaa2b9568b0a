// CPU orchestration of one voice: the same per-sample and per-buffer math as the
// CUDA kernels (include/drumsynth/*.hpp), run serially. This is the readable
// reference the GPU is tested against. Loops run over samples innermost (one
// partial at a time) so the compiler vectorises them, libm calls included
// (this file is compiled with -ffast-math for glibc's vector math).
#include "voice_tape.hpp"

#include <algorithm>

#include "cpu_clones.hpp"
#include "drumsynth/error.hpp"

namespace drumsynth {

template <typename Real>
void VoiceTape<Real>::resize(int n) {
  if (size_t(n) == out.size()) return;
  S.assign(size_t(n), wide_t<Real>(0));
  for (auto* v : {&t, &rise, &white, &noise_low, &noise_band_in, &noise_band, &noise_rise,
                  &noise_bank_out, &source, &res_y, &res_h, &res_out, &out, &v_mix, &v_band,
                  &v_res_in, &v_src, &v_t, &v_S, &v_rise, &v_noise_rise})
    v->assign(size_t(n), Real(0));
  noise_bank.assign(size_t(kNoiseBands) * size_t(n), Real(0));
  bank_made_for = {};
}

namespace {
// First sample strictly after the onset.
template <typename Real>
int first_sample_after_onset(const Real* p, int n, Real sr) {
  int i = 0;
  while (i < n && time_since_onset(p, i, sr) <= Real(0)) ++i;
  return i;
}

// The noise bank (noise_bank.hpp) into tape.noise_bank_out, one band at a time
// so the loops vectorise; tape.t must be filled from i0 on. The bands are made
// when the tape has none for this rate, seed and length.
template <typename Real>
DS_CPU_CLONES void noise_bank_forward(const Real* p, int i0, int n, Real sr, uint64_t seed, VoiceTape<Real>& tape) {
  const typename VoiceTape<Real>::BankKey key{double(sr), seed, n};
  if (!(tape.bank_made_for == key)) {
    noise_bank_filter(sr, seed, n, tape.noise_bank.data(), size_t(n));
    tape.bank_made_for = key;
  }
  const Real* t = tape.t.data();
  Real* rise = tape.noise_rise.data();
  Real* out = tape.noise_bank_out.data();
  std::fill(out, out + n, Real(0));
  for (int i = i0; i < n; ++i) rise[i] = envelope_rise(t[i], p[P::noise_attack_s]);
  for (int k = 0; k < kNoiseBands; ++k) {
    const Real g = p[P::noise_bank_gain(k)], d = p[P::noise_bank_decay_s(k)];
    const Real* band = tape.noise_bank.data() + size_t(k) * size_t(n);
    for (int i = i0; i < n; ++i) out[i] += noise_bank_band_sample(g, d, rise[i], t[i], band[i]);
  }
}

// Its adjoint: adds into v_p (gains, decays, the shared attack) and v_t [n].
template <typename Real>
DS_CPU_CLONES void noise_bank_backward(const Real* p, int i0, int n, VoiceTape<Real>& tape,
                                       const Real* v_mix, Real* v_p, Real* v_t) {
  const Real* t = tape.t.data();
  const Real* rise = tape.noise_rise.data();
  Real* v_rise = tape.v_noise_rise.data();
  std::fill(v_rise, v_rise + n, Real(0));
  for (int k = 0; k < kNoiseBands; ++k) {
    const Real g = p[P::noise_bank_gain(k)], d = p[P::noise_bank_decay_s(k)];
    const Real* band = tape.noise_bank.data() + size_t(k) * size_t(n);
    Real vg = 0, vd = 0;
    for (int i = i0; i < n; ++i) {
      Real vr = 0, vt = 0;  // locals, so the loop vectorises
      noise_bank_band_sample_vjp(g, d, rise[i], t[i], band[i], v_mix[i], vg, vd, vr, vt);
      v_rise[i] += vr, v_t[i] += vt;
    }
    v_p[P::noise_bank_gain(k)] += vg, v_p[P::noise_bank_decay_s(k)] += vd;
  }
  Real v_attack = 0;
  for (int i = i0; i < n; ++i) {
    Real vt = 0;
    envelope_rise_vjp(t[i], p[P::noise_attack_s], v_rise[i], v_attack, vt);
    v_t[i] += vt;
  }
  v_p[P::noise_attack_s] += v_attack;
}

// The transient's adjoint over samples [i0, n): adds into v_p, v_t and v_S.
// (Restrict-qualified arrays: the tape's buffers are distinct, and the loop
// vectorises only when the compiler knows it.)
template <typename Real>
DS_CPU_CLONES void transient_backward(const Real* p, int i0, int n, const Real* DS_RESTRICT t,
                                      const wide_t<Real>* DS_RESTRICT S, const Real* DS_RESTRICT v_src,
                                      Real* v_p, Real* DS_RESTRICT v_t, Real* DS_RESTRICT v_S) {
  Real vf = 0, va = 0, vd = 0, vdr = 0, vg = 0;
  for (int i = i0; i < n; ++i) {
    Real vt = 0, vs = 0;  // locals, so the loop vectorises
    transient_sample_vjp(p, t[i], S[i], v_src[i], vf, va, vd, vdr, vg, vt, vs);
    v_t[i] += vt, v_S[i] += vs;
  }
  v_p[P::transient_freq_hz] += vf, v_p[P::transient_attack_s] += va;
  v_p[P::transient_decay_s] += vd, v_p[P::transient_drive] += vdr;
  v_p[P::transient_gain] += vg;
}

// Partial k's adjoint over samples [i0, n): adds into v_p, v_rise, v_t and v_S.
template <typename Real>
DS_CPU_CLONES void tone_partial_backward(const Real* p, int k, int i0, int n, const Real* DS_RESTRICT rise,
                                         const Real* DS_RESTRICT t, const wide_t<Real>* DS_RESTRICT S,
                                         const Real* DS_RESTRICT v_src, Real* v_p, Real* DS_RESTRICT v_rise,
                                         Real* DS_RESTRICT v_t, Real* DS_RESTRICT v_S) {
  const Real f = p[P::tone_freq_hz(k)], d = p[P::tone_decay_s(k)], g = p[P::tone_gain(k)];
  Real vf = 0, vd = 0, vg = 0;
  for (int i = i0; i < n; ++i) {
    Real vr = 0, vt = 0, vs = 0;
    tone_partial_sample_vjp(f, d, g, rise[i], t[i], S[i], v_src[i], vf, vd, vg, vr, vt, vs);
    v_rise[i] += vr, v_t[i] += vt, v_S[i] += vs;
  }
  v_p[P::tone_freq_hz(k)] += vf, v_p[P::tone_decay_s(k)] += vd, v_p[P::tone_gain(k)] += vg;
}
}  // namespace

template <typename Real>
DS_CPU_CLONES void render_voice(const Real* p, const VoiceSpec& spec, VoiceTape<Real>& tape) {
  const int n = spec.n_samples;
  const Real sr = Real(spec.sample_rate);
  tape.resize(n);
  noise_band_filter(p, sr, spec.noise_seed, n, tape.white.data(), tape.noise_low.data(),
                    tape.noise_band_in.data(), tape.noise_band.data());
  const int i0 = tape.first = first_sample_after_onset(p, n, sr);
  Real* t = tape.t.data();
  wide_t<Real>* S = tape.S.data();
  Real* rise = tape.rise.data();
  Real* src = tape.source.data();
  std::fill(t, t + i0, Real(0)), std::fill(S, S + i0, wide_t<Real>(0));
  std::fill(rise, rise + i0, Real(0)), std::fill(src, src + i0, Real(0));
  for (int i = i0; i < n; ++i) t[i] = time_since_onset(p, i, sr);
  for (int i = i0; i < n; ++i) S[i] = swept_time(phase_time(p, i, sr), p[P::sweep_ratio], p[P::sweep_s]);
  for (int i = i0; i < n; ++i) rise[i] = envelope_rise(t[i], p[P::tone_attack_s]);
  for (int i = i0; i < n; ++i) src[i] = transient_sample(p, t[i], S[i]);
  for (int k = 0; k < kNumPartials; ++k) {
    const Real f = p[P::tone_freq_hz(k)], d = p[P::tone_decay_s(k)], g = p[P::tone_gain(k)];
    for (int i = i0; i < n; ++i) src[i] += tone_partial_sample(f, d, g, rise[i], t[i], S[i]);
  }
  Real* res_in = tape.v_res_in.data();  // the adjoint's buffer, free until then
  for (int i = 0; i < n; ++i) res_in[i] = resonator_send(src[i]);
  resonator(p, sr, n, res_in, tape.res_y.data(), tape.res_h.data(), tape.res_out.data());
  noise_bank_forward(p, i0, n, sr, spec.noise_seed, tape);
  for (int i = 0; i < n; ++i)
    tape.out[i] = voice_out_sample(p, time_since_onset(p, i, sr), src[i], tape.noise_band[i],
                                   tape.res_out[i], tape.noise_bank_out[i]);
}

// Adjoint: the mix's (voice_out_sample_vjp), the noise filters', the
// resonator's, the noise bank's, then the source's, whose gradient gathers the mix's and the
// resonator input's (source_gradient). Per-sample gradients of t, S and the tones'
// rise are gathered in arrays, then pushed through the onset, sweep and attack.
template <typename Real>
DS_CPU_CLONES void render_voice_vjp(const Real* p, const VoiceSpec& spec, VoiceTape<Real>& tape,
                                    const Real* v_out, Real* v_p) {
  const int n = spec.n_samples, i0 = tape.first;
  const Real sr = Real(spec.sample_rate);
  Real *v_mix = tape.v_mix.data(), *v_band = tape.v_band.data(), *v_res_in = tape.v_res_in.data();
  Real *v_t = tape.v_t.data(), *v_S = tape.v_S.data(), *v_rise = tape.v_rise.data();
  std::fill(v_t, v_t + n, Real(0)), std::fill(v_S, v_S + n, Real(0));
  std::fill(v_rise, v_rise + n, Real(0));
  {
    Real va = 0, vd = 0, vg = 0, vt = 0;
    for (int i = 0; i < n; ++i)
      v_mix[i] = voice_out_sample_vjp(p, time_since_onset(p, i, sr), tape.noise_band[i],
                                      tape.out[i], v_out[i], v_band[i], va, vd, vg, vt);
    v_p[P::noise_attack_s] += va, v_p[P::noise_decay_s] += vd, v_p[P::noise_gain] += vg;
    v_p[P::onset_s] -= vt;
  }
  noise_band_filter_vjp(p, sr, n, tape.white.data(), tape.noise_low.data(),
                        tape.noise_band_in.data(), tape.noise_band.data(), v_band, v_p);
  Real* v_src = tape.v_src.data();  // first the resonator adjoint's scratch
  resonator_vjp(p, sr, n, tape.res_y.data(), tape.res_h.data(), v_mix, v_p, v_src, v_res_in);
  noise_bank_backward(p, i0, n, tape, v_mix, v_p, v_t);
  for (int i = 0; i < n; ++i) v_src[i] = source_gradient(v_mix[i], v_res_in[i]);
  const Real* t = tape.t.data();
  const wide_t<Real>* S = tape.S.data();
  const Real* rise = tape.rise.data();
  transient_backward(p, i0, n, t, S, v_src, v_p, v_t, v_S);
  for (int k = 0; k < kNumPartials; ++k) tone_partial_backward(p, k, i0, n, rise, t, S, v_src, v_p, v_rise, v_t, v_S);
  Real v_attack = 0, v_ratio = 0, v_sweep = 0, v_time = 0;
  for (int i = i0; i < n; ++i) {
    Real vt = 0;
    envelope_rise_vjp(t[i], p[P::tone_attack_s], v_rise[i], v_attack, vt);
    v_t[i] += vt;
  }
  for (int i = i0; i < n; ++i) {
    Real vt = v_t[i];
    swept_time_vjp(t[i], p[P::sweep_ratio], p[P::sweep_s], v_S[i], v_ratio, v_sweep, vt);
    v_time += vt;
  }
  v_p[P::tone_attack_s] += v_attack, v_p[P::sweep_ratio] += v_ratio, v_p[P::sweep_s] += v_sweep;
  v_p[P::onset_s] -= v_time;  // t = n / sr - onset
}

template <typename Real>
std::vector<Real> render(const std::vector<Real>& params, const VoiceSpec& spec) {
  DS_CHECK(params.size() == size_t(kNumParams));
  VoiceTape<Real> tape;
  render_voice(params.data(), spec, tape);
  return tape.out;
}

template struct VoiceTape<float>;
template struct VoiceTape<double>;
template void render_voice(const float*, const VoiceSpec&, VoiceTape<float>&);
template void render_voice(const double*, const VoiceSpec&, VoiceTape<double>&);
template void render_voice_vjp(const float*, const VoiceSpec&, VoiceTape<float>&, const float*,
                               float*);
template void render_voice_vjp(const double*, const VoiceSpec&, VoiceTape<double>&, const double*,
                               double*);
template std::vector<float> render(const std::vector<float>&, const VoiceSpec&);
template std::vector<double> render(const std::vector<double>&, const VoiceSpec&);
// long double: the finite-difference side of the gradient tests.
template struct VoiceTape<long double>;
template void render_voice(const long double*, const VoiceSpec&, VoiceTape<long double>&);
template std::vector<long double> render(const std::vector<long double>&, const VoiceSpec&);

}  // namespace drumsynth
