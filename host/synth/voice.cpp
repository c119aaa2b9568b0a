// CPU orchestration of one voice: the voice program (voice_program.hpp) over
// whole buffers, with the same per-sample and per-buffer math as the CUDA
// kernels. This is the
// readable reference the GPU is tested against. Loops run over samples
// innermost (one partial at a time) so the compiler vectorises them, libm calls
// included (this file is compiled with -ffast-math for glibc's vector math), in
// functions compiled per vector width (cpu_clones.hpp). The noise's branch can
// run beside the tone's on a second thread (noise_and_tone).
#include <algorithm>
#include <thread>

#include "cpu/cpu_clones.hpp"
#include "cpu/flush_denormals.hpp"
#include "drumsynth/error.hpp"
#include "synth/voice_tape.hpp"

namespace drumsynth {

template <typename Real>
void VoiceTape<Real>::resize(int n) {
  if (size_t(n) == out.size()) return;
  S.assign(size_t(n), wide_t<Real>(0));
  for (auto* v : {&t,     &rise,   &noise_low,  &noise_band, &mix_rise, &mix_bus,  &source, &res_y,
                  &res_h, &out,    &v_mix,      &v_band,     &source_b, &v_res_in, &v_src,  &v_t,
                  &v_S,   &v_rise, &v_mix_rise, &v_t_b,      &v_S_b,    &v_rise_b})
    v->assign(size_t(n), Real(0));
  v_p_b.assign(size_t(kNumParams), Real(0));
  fixed.assign(size_t(kFixedInputs) * size_t(n), Real(0));
  fixed_made_for = {};
}

namespace {
// First sample strictly after the onset.
template <typename Real>
int first_sample_after_onset(const Real* p, int n, Real sr) {
  int i = 0;
  while (i < n && time_since_onset(p, i, sr) <= Real(0)) ++i;
  return i;
}

// Its adjoint: adds into v_p (the unit's parameters), v_rise and v_t [n].
template <typename B, typename Real>
DS_CPU_CLONES void mix_unit_backward(const Real* p, int u, int i0, int n, const Real* t,
                                     const Real* rise, const Real* fixed, const Real* v_mix,
                                     Real* v_p, Real* v_rise, Real* v_t) {
  const auto q = B::unit(p, u);
  Real v_unit[B::unit_params] = {};
  for (int i = i0; i < n; ++i) {
    Real vr = 0, vt = 0, vs = 0;  // locals, so the loop vectorises
    B::sample_vjp(q, B::uses_bus_attack ? rise[i] : Real(1), t[i], wide_t<Real>(0),
                  B::fixed_inputs ? fixed[i] : Real(0), v_mix[i], v_unit, vr, vt, vs);
    if constexpr (B::uses_bus_attack) v_rise[i] += vr;
    v_t[i] += vt;
  }
  for (int j = 0; j < B::unit_params; ++j) v_p[unit_param<B>(u, j)] += v_unit[j];
}

// The mix bus's shared attack's adjoint (adds into v_p and v_t).
template <typename Real>
DS_CPU_CLONES void mix_rise_backward(const Real* p, int i0, int n, const Real* t,
                                     const Real* v_rise, Real* v_p, Real* v_t) {
  Real v_attack = 0;
  for (int i = i0; i < n; ++i) {
    Real vt = 0;
    envelope_rise_vjp(t[i], p[kMixAttack], v_rise[i], v_attack, vt);
    v_t[i] += vt;
  }
  v_p[kMixAttack] += v_attack;
}

// The units of mix block B over samples [i0, n), added into out; fixed: its
// fixed inputs, unit u's at u * n (none read where it has none).
template <typename B, typename Real>
DS_CPU_CLONES void mix_block_forward(const Real* p, int i0, int n, const Real* t, const Real* rise,
                                     const Real* fixed, Real* out) {
  for (int u = 0; u < B::n_units; ++u) {
    const auto q = B::unit(p, u);
    const Real* in = B::fixed_inputs ? fixed + size_t(u) * size_t(n) : nullptr;
    for (int i = i0; i < n; ++i)
      out[i] += B::sample(q, B::uses_bus_attack ? rise[i] : Real(1), t[i], wide_t<Real>(0),
                          B::fixed_inputs ? in[i] : Real(0));
  }
}

// The mix bus's shared attack's rise over [i0, n).
template <typename Real>
DS_CPU_CLONES void mix_rise_forward(const Real* p, int i0, int n, const Real* t, Real* rise) {
  for (int i = i0; i < n; ++i) rise[i] = envelope_rise(t[i], p[kMixAttack]);
}

// The mix bus (voice_program.hpp: MixBlocks) into tape.mix_bus, one unit at a
// time so the loops vectorise; tape.t must be filled from i0 on. The fixed
// inputs are made when the tape has none for this rate, seed and length.
template <typename Real>
void mix_bus_forward(const Real* p, int i0, int n, Real sr, uint64_t seed, VoiceTape<Real>& tape) {
  const typename VoiceTape<Real>::FixedKey key{double(sr), seed, n};
  if (tape.fixed_made_for != key) {
    make_fixed_inputs(sr, seed, n, tape.fixed.data(), size_t(n));
    tape.fixed_made_for = key;
  }
  Real* out = tape.mix_bus.data();
  std::fill(out, out + n, Real(0));
  mix_rise_forward(p, i0, n, tape.t.data(), tape.mix_rise.data());
  for_each_block(MixBlocks{}, [&](auto b, int, int f0) {
    mix_block_forward<decltype(b)>(p, i0, n, tape.t.data(), tape.mix_rise.data(),
                                   tape.fixed.data() + size_t(f0) * size_t(n), out);
  });
}

// Its adjoint: adds into v_p (the units' parameters, the shared attack) and v_t [n].
template <typename Real>
void mix_bus_backward(const Real* p, int i0, int n, VoiceTape<Real>& tape, const Real* v_mix,
                      Real* v_p, Real* v_t) {
  Real* v_rise = tape.v_mix_rise.data();
  std::fill(v_rise, v_rise + n, Real(0));
  for_each_block(MixBlocks{}, [&](auto b, int, int f0) {
    using B = decltype(b);
    for (int u = 0; u < B::n_units; ++u) {
      const Real* in = B::fixed_inputs ? tape.fixed.data() + size_t(f0 + u) * size_t(n) : nullptr;
      mix_unit_backward<B>(p, u, i0, n, tape.t.data(), tape.mix_rise.data(), in, v_mix, v_p, v_rise,
                           v_t);
    }
  });
  mix_rise_backward(p, i0, n, tape.t.data(), v_rise, v_p, v_t);
}

// Source unit u of block B, its adjoint over samples [i0, n): adds into v_p,
// v_rise (the bus's attack), v_t and v_S. (Restrict-qualified arrays: the
// tape's buffers are distinct, and the loop vectorises only when the compiler
// knows it.)
template <typename B, typename Real>
DS_CPU_CLONES void source_unit_backward(const Real* p, int u, int i0, int n,
                                        const Real* DS_RESTRICT rise, const Real* DS_RESTRICT t,
                                        const wide_t<Real>* DS_RESTRICT S,
                                        const Real* DS_RESTRICT v_src, Real* v_p,
                                        Real* DS_RESTRICT v_rise, Real* DS_RESTRICT v_t,
                                        Real* DS_RESTRICT v_S) {
  const auto q = B::unit(p, u);
  Real v_unit[B::unit_params] = {};
  for (int i = i0; i < n; ++i) {
    Real vr = 0, vt = 0, vs = 0;  // locals, so the loop vectorises
    B::sample_vjp(q, B::uses_bus_attack ? rise[i] : Real(1), t[i], S[i], Real(0), v_src[i], v_unit,
                  vr, vt, vs);
    if constexpr (B::uses_bus_attack) v_rise[i] += vr;
    v_t[i] += vt, v_S[i] += vs;
  }
  for (int j = 0; j < B::unit_params; ++j) v_p[unit_param<B>(u, j)] += v_unit[j];
}

// f(block, unit) for the source units [g0, g1) of the program's order.
template <typename F>
void for_each_source_unit(int g0, int g1, F&& f) {
  for_each_block(SourceBlocks{}, [&](auto b, int first, int) {
    for (int u = 0; u < decltype(b)::n_units; ++u)
      if (first + u >= g0 && first + u < g1) f(b, u);
  });
}

// Units [u0, u1) of source block B over samples [i0, n), added into out.
template <typename B, typename Real>
DS_CPU_CLONES void source_units_forward(const Real* p, int u0, int u1, int i0, int n,
                                        const Real* DS_RESTRICT t,
                                        const wide_t<Real>* DS_RESTRICT S,
                                        const Real* DS_RESTRICT rise, Real* DS_RESTRICT out) {
  for (int u = u0; u < u1; ++u) {
    const auto q = B::unit(p, u);
    for (int i = i0; i < n; ++i)
      out[i] += B::sample(q, B::uses_bus_attack ? rise[i] : Real(1), t[i], S[i], Real(0));
  }
}

// out = the source units [g0, g1) of the program's order, zero before i0.
template <typename Real>
void source_forward(const Real* p, int g0, int g1, int i0, int n, const Real* t,
                    const wide_t<Real>* S, const Real* rise, Real* out) {
  std::fill(out, out + n, Real(0));
  for_each_block(SourceBlocks{}, [&](auto b, int first, int) {
    using B = decltype(b);
    const int u0 = g0 > first ? g0 - first : 0;
    const int u1 = g1 - first < B::n_units ? g1 - first : B::n_units;
    if (u0 < u1) source_units_forward<B>(p, u0, u1, i0, n, t, S, rise, out);
  });
}

// The tones' clock: time since onset t, swept time S and the tones' attack rise
// for samples [i0, n), zero before.
template <typename Real>
DS_CPU_CLONES void tone_clock(const Real* p, int i0, int n, Real sr, Real* DS_RESTRICT t,
                              wide_t<Real>* DS_RESTRICT S, Real* DS_RESTRICT rise) {
  std::fill(t, t + i0, Real(0)), std::fill(S, S + i0, wide_t<Real>(0)),
      std::fill(rise, rise + i0, Real(0));
  for (int i = i0; i < n; ++i) t[i] = time_since_onset(p, i, sr);
  for (int i = i0; i < n; ++i)
    S[i] = swept_time(phase_time(p, i, sr), p[P::sweep_ratio], p[P::sweep_s]);
  for (int i = i0; i < n; ++i) rise[i] = envelope_rise(t[i], p[kSourceAttack]);
}

// The source's two parts summed; the resonator's input.
template <typename Real>
DS_CPU_CLONES void source_sum(int n, const Real* DS_RESTRICT part, Real* DS_RESTRICT src,
                              Real* DS_RESTRICT res_in) {
  for (int i = 0; i < n; ++i) src[i] += part[i];
  for (int i = 0; i < n; ++i) res_in[i] = resonator_send(src[i]);
}

template <typename Real>
DS_CPU_CLONES void mix_forward(const Real* p, int n, Real sr, VoiceTape<Real>& tape) {
  const Real *src = tape.source.data(), *band = tape.noise_band.data(), *res_h = tape.res_h.data(),
             *bus = tape.mix_bus.data();
  Real* out = tape.out.data();
  for (int i = 0; i < n; ++i)
    out[i] = mix_sample(p, time_since_onset(p, i, sr), src[i], band[i], resonator_out(p, res_h[i]),
                        bus[i]);
}

// The mix's adjoint: v_mix, v_band, and the noise envelope's gradients into v_p.
template <typename Real>
DS_CPU_CLONES void mix_backward(const Real* p, int n, Real sr, VoiceTape<Real>& tape,
                                const Real* v_out, Real* v_p) {
  const Real *band = tape.noise_band.data(), *out = tape.out.data();
  Real *v_mix = tape.v_mix.data(), *v_band = tape.v_band.data();
  Real va = 0, vd = 0, vg = 0, vt = 0, v_start = 0, v_release = 0, v_gate_start = 0, v_gate = 0;
  for (int i = 0; i < n; ++i)
    v_mix[i] = mix_sample_vjp(p, time_since_onset(p, i, sr), band[i], out[i], v_out[i], v_band[i],
                              va, vd, vg, vt, v_start, v_release, v_gate_start, v_gate);
  v_p[P::noise_attack_s] += va, v_p[P::noise_decay_s] += vd, v_p[P::noise_gain] += vg;
  v_p[P::release_start_s] += v_start, v_p[P::release_s] += v_release;
  // The gate is measured, not fitted (release.hpp): its gradient is dropped, so
  // that no optimiser steps it; the onset's keeps what the gate adds (vt).
  (void)v_gate_start, (void)v_gate;
  v_p[P::onset_s] -= vt;
}

template <typename Real>
DS_CPU_CLONES void source_backward(int n, const Real* DS_RESTRICT v_mix,
                                   const Real* DS_RESTRICT v_res_in, Real* DS_RESTRICT v_src) {
  for (int i = 0; i < n; ++i) v_src[i] = source_gradient(v_mix[i], v_res_in[i]);
}

// The clock's adjoint: v_rise and v_S (with v_t) through the attack, the sweep
// and the onset, into v_p.
template <typename Real>
DS_CPU_CLONES void tone_clock_backward(const Real* p, int i0, int n, const Real* DS_RESTRICT t,
                                       const Real* DS_RESTRICT v_rise, const Real* DS_RESTRICT v_S,
                                       Real* DS_RESTRICT v_t, Real* v_p) {
  Real v_attack = 0, v_ratio = 0, v_sweep = 0, v_time = 0;
  for (int i = i0; i < n; ++i) {
    Real vt = 0;
    envelope_rise_vjp(t[i], p[kSourceAttack], v_rise[i], v_attack, vt);
    v_t[i] += vt;
  }
  for (int i = i0; i < n; ++i) {
    Real vt = v_t[i];
    swept_time_vjp(t[i], p[P::sweep_ratio], p[P::sweep_s], v_S[i], v_ratio, v_sweep, vt);
    v_time += vt;
  }
  v_p[kSourceAttack] += v_attack, v_p[P::sweep_ratio] += v_ratio, v_p[P::sweep_s] += v_sweep;
  v_p[P::onset_s] -= v_time;  // t = n / sr - onset
}

template <typename Real>
DS_CPU_CLONES void add_into(int n, const Real* DS_RESTRICT x, Real* DS_RESTRICT y) {
  for (int i = 0; i < n; ++i) y[i] += x[i];
}

// Runs `noise` (the noise's branch and the last source units) and `tone`
// (the other source units), on two threads when asked. Each writes
// only its own buffers, and their results are combined in a fixed order after
// both, so the voice is the same for any number of threads.
constexpr int kUnitsWithTheNoise = 5;  // source units: balances the two branches' work
constexpr int kFirstNoiseUnit = kSourceUnits - kUnitsWithTheNoise;

template <typename Noise, typename Tone>
void noise_and_tone(bool two_threads, Noise&& noise, Tone&& tone) {
  if (!two_threads) {
    noise();
    tone();
    return;
  }
  std::thread helper([&] {
    const FlushDenormals flush;
    noise();
  });
  tone();
  helper.join();
}
}  // namespace

template <typename Real>
void render_voice(const Real* p, const VoiceSpec& spec, VoiceTape<Real>& tape, int threads) {
  const FlushDenormals flush;
  const int n = spec.n_samples;
  const Real sr = Real(spec.sample_rate);
  tape.resize(n);
  const int i0 = tape.first = first_sample_after_onset(p, n, sr);
  const Real *t = tape.t.data(), *rise = tape.rise.data();
  const wide_t<Real>* S = tape.S.data();
  tone_clock(p, i0, n, sr, tape.t.data(), tape.S.data(), tape.rise.data());
  noise_and_tone(
      threads > 1,
      [&] {
        noise_band_filter(p, sr, spec.noise_seed, n, tape.noise_low.data(), tape.noise_band.data());
        mix_bus_forward(p, i0, n, sr, spec.noise_seed, tape);
        source_forward(p, kFirstNoiseUnit, kSourceUnits, i0, n, t, S, rise, tape.source_b.data());
      },
      [&] { source_forward(p, 0, kFirstNoiseUnit, i0, n, t, S, rise, tape.source.data()); });
  Real* res_in = tape.v_res_in.data();  // the adjoint's buffer, free until then
  source_sum(n, tape.source_b.data(), tape.source.data(), res_in);
  resonator(p, sr, n, res_in, tape.res_y.data(), tape.res_h.data());
  mix_forward(p, n, sr, tape);
}

// Adjoint: the mix's (mix_sample_vjp); then the noise filters' and the
// mix bus's beside the resonator's; then the source's, whose gradient
// gathers the mix's and the resonator input's (source_gradient), its units
// split as in the forward pass. Per-sample gradients of t, S and the tones' rise
// are gathered in arrays (the noise branch's apart, added after), then pushed
// through the onset, sweep and attack.
template <typename Real>
void render_voice_vjp(const Real* p, const VoiceSpec& spec, VoiceTape<Real>& tape,
                      const Real* v_out, Real* v_p, int threads) {
  const FlushDenormals flush;
  const int n = spec.n_samples, i0 = tape.first;
  const Real sr = Real(spec.sample_rate);
  const Real *t = tape.t.data(), *rise = tape.rise.data(), *v_mix = tape.v_mix.data();
  const wide_t<Real>* S = tape.S.data();
  for (auto* v : {&tape.v_t, &tape.v_S, &tape.v_rise, &tape.v_t_b, &tape.v_S_b, &tape.v_rise_b})
    std::fill(v->begin(), v->end(), Real(0));
  std::fill(tape.v_p_b.begin(), tape.v_p_b.end(), Real(0));
  Real* v_p_b = tape.v_p_b.data();  // the noise branch's parameter gradients
  mix_backward(p, n, sr, tape, v_out, v_p);
  noise_and_tone(
      threads > 1,
      [&] {
        noise_band_filter_vjp(p, sr, spec.noise_seed, n, tape.noise_low.data(),
                              tape.noise_band.data(), tape.v_band.data(), v_p_b);
        mix_bus_backward(p, i0, n, tape, v_mix, v_p_b, tape.v_t_b.data());
      },
      [&] {  // v_res_in is the resonator adjoint's v_y, the input's gradient on return
        resonator_vjp(p, sr, n, tape.res_y.data(), tape.res_h.data(), v_mix, v_p,
                      tape.v_res_in.data());
      });
  const Real* v_src = tape.v_src.data();
  source_backward(n, v_mix, tape.v_res_in.data(), tape.v_src.data());
  noise_and_tone(
      threads > 1,
      [&] {
        for_each_source_unit(kFirstNoiseUnit, kSourceUnits, [&](auto b, int u) {
          source_unit_backward<decltype(b)>(p, u, i0, n, rise, t, S, v_src, v_p_b,
                                            tape.v_rise_b.data(), tape.v_t_b.data(),
                                            tape.v_S_b.data());
        });
      },
      [&] {
        for_each_source_unit(0, kFirstNoiseUnit, [&](auto b, int u) {
          source_unit_backward<decltype(b)>(p, u, i0, n, rise, t, S, v_src, v_p, tape.v_rise.data(),
                                            tape.v_t.data(), tape.v_S.data());
        });
      });
  add_into(n, tape.v_t_b.data(), tape.v_t.data());
  add_into(n, tape.v_S_b.data(), tape.v_S.data());
  add_into(n, tape.v_rise_b.data(), tape.v_rise.data());
  add_into(kNumParams, v_p_b, v_p);
  tone_clock_backward(p, i0, n, t, tape.v_rise.data(), tape.v_S.data(), tape.v_t.data(), v_p);
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
template void render_voice(const float*, const VoiceSpec&, VoiceTape<float>&, int);
template void render_voice(const double*, const VoiceSpec&, VoiceTape<double>&, int);
template void render_voice_vjp(const float*, const VoiceSpec&, VoiceTape<float>&, const float*,
                               float*, int);
template void render_voice_vjp(const double*, const VoiceSpec&, VoiceTape<double>&, const double*,
                               double*, int);
template std::vector<float> render(const std::vector<float>&, const VoiceSpec&);
template std::vector<double> render(const std::vector<double>&, const VoiceSpec&);
// long double: the finite-difference side of the gradient tests.
template struct VoiceTape<long double>;
template void render_voice(const long double*, const VoiceSpec&, VoiceTape<long double>&, int);
template std::vector<long double> render(const std::vector<long double>&, const VoiceSpec&);

}  // namespace drumsynth
