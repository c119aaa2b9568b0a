// The voice program: the model as one ordered description, which every
// renderer runs (the CPU voice, host/synth/voice.cpp; the kit player,
// host/play/kit_player.cpp; the CUDA kernels, kernels/synth_kernels.cu). Per
// sample n, t = n / rate - onset_s and S = swept_time(t) (pitch_sweep.hpp):
//   source  = sum of the SourceBlocks' units    (rise: envelope_rise(t, tone_attack_s))
//   res     = resonator(resonator_send(source))  (a comb: a recurrence, resonator.hpp)
//   noise   = noise band: two one-poles on the white noise, under its envelope (noise_band.hpp)
//   mix_bus = sum of the MixBlocks' units       (rise: envelope_rise(t, noise_attack_s))
//   out     = release(t) * tanh(source + noise + res + mix_bus)          (mix.hpp)
// A block summed per sample (block.hpp says what it provides) is one entry in
// SourceBlocks (pitch-swept, excites the resonator) or MixBlocks (straight
// into the mix, may have fixed inputs); the renderers iterate the lists, so a
// new block is its header, its entry here and its parameters' rows
// (params.hpp, host/synth/param_table.cpp). The two recurrences, whose
// parameters shape a filter, have their own loops in each renderer (and
// scans on the GPU, v2).
// Sums keep an order every renderer can repeat: within a block its units in
// order; the per-sample forms below add each block's sum to the bus.
#pragma once

#include "drumsynth/synth/mix.hpp"
#include "drumsynth/synth/noise_bank.hpp"
#include "drumsynth/synth/pitch_sweep.hpp"
#include "drumsynth/synth/tone_partials.hpp"
#include "drumsynth/synth/transient.hpp"

namespace drumsynth {

template <typename... Blocks>
struct BlockList {};

using SourceBlocks = BlockList<TransientBlock, TonePartialsBlock>;
using MixBlocks = BlockList<NoiseBankBlock>;

// Each bus's shared attack (a block with uses_bus_attack multiplies its rise).
constexpr int kSourceAttack = P::tone_attack_s;
constexpr int kMixAttack = P::noise_attack_s;

// f(block, first_unit, first_fixed_input) for each block of a list, in order:
// its units' and fixed inputs' offsets among the bus's.
template <typename F, typename... B>
DS_HD void for_each_block(BlockList<B...>, F&& f) {
  int unit = 0, fixed = 0;
  ((f(B{}, unit, fixed), unit += B::n_units, fixed += B::fixed_inputs), ...);
}

template <typename... B>
constexpr int count_units(BlockList<B...>) {
  return (0 + ... + B::n_units);
}
template <typename... B>
constexpr int count_fixed_inputs(BlockList<B...>) {
  return (0 + ... + B::fixed_inputs);
}
constexpr int kSourceUnits = count_units(SourceBlocks{});
constexpr int kMixUnits = count_units(MixBlocks{});
constexpr int kFixedInputs = count_fixed_inputs(MixBlocks{});  // signals a sound makes once
static_assert(count_fixed_inputs(SourceBlocks{}) == 0, "fixed inputs are the mix bus's");

// Parameter j of a block's unit u.
template <typename B>
DS_HD constexpr int unit_param(int u, int j) {
  return B::first_param + u * B::unit_params + j;
}

// f(index) for every parameter the source bus reads (the clock's and its
// blocks'): the gradients its adjoint makes.
template <typename F>
DS_HD void for_each_source_param(F&& f) {
  f(int(P::onset_s)), f(int(P::sweep_ratio)), f(int(P::sweep_s)), f(kSourceAttack);
  for_each_block(SourceBlocks{}, [&](auto b, int, int) {
    using B = decltype(b);
    DS_UNROLL
    for (int i = 0; i < B::n_units * B::unit_params; ++i) f(B::first_param + i);
  });
}
// ...and every parameter of the mix bus's blocks (its shared attack is the
// noise band's, which the mix's adjoint sums with it).
template <typename F>
DS_HD void for_each_mix_block_param(F&& f) {
  for_each_block(MixBlocks{}, [&](auto b, int, int) {
    using B = decltype(b);
    DS_UNROLL
    for (int i = 0; i < B::n_units * B::unit_params; ++i) f(B::first_param + i);
  });
}

// ---- one block at one sample (the buses below sum their blocks' so) ----

// Block B's units summed at one sample: rise its bus's, S 0 on the mix bus,
// unit u's fixed input at fixed[u * stride] (not read where it has none).
// Unrolled, so that v_p's indices in the _vjp are constants: a GPU thread
// keeps them in registers.
template <typename B, typename Real>
DS_HD Real block_sample(const Real* p, Real rise, Real t, wide_t<Real> S, const Real* fixed,
                        size_t stride) {
  Real y = Real(0);
  DS_UNROLL
  for (int u = 0; u < B::n_units; ++u)
    y += B::sample(B::unit(p, u), B::uses_bus_attack ? rise : Real(1), t, S,
                   B::fixed_inputs ? fixed[size_t(u) * stride] : Real(0));
  return y;
}
template <typename B, typename Real>
DS_HD void block_sample_vjp(const Real* p, Real rise, Real t, wide_t<Real> S, const Real* fixed,
                            size_t stride, Real v_y, Real* v_p, Real& v_rise, Real& v_t,
                            Real& v_S) {
  DS_UNROLL
  for (int u = 0; u < B::n_units; ++u)
    B::sample_vjp(B::unit(p, u), B::uses_bus_attack ? rise : Real(1), t, S,
                  B::fixed_inputs ? fixed[size_t(u) * stride] : Real(0), v_y,
                  v_p + unit_param<B>(u, 0), v_rise, v_t, v_S);
}

// ---- the source bus at one sample (the GPU's form; the CPU voice runs the
// same units over whole buffers) ----

// t: phase_time of the sample. 0 before the onset.
template <typename Real>
DS_HD Real source_sample(const Real* p, wide_t<Real> t_wide) {
  const Real t = Real(t_wide);
  if (t <= Real(0)) return Real(0);
  const wide_t<Real> S = swept_time(t_wide, p[P::sweep_ratio], p[P::sweep_s]);
  const Real rise = envelope_rise(t, p[kSourceAttack]);
  Real y = Real(0);
  for_each_block(SourceBlocks{}, [&](auto b, int, int) {
    y += block_sample<decltype(b)>(p, rise, t, S, static_cast<const Real*>(nullptr), 0);
  });
  return y;
}

// Adjoint at one sample: adds into v_p [kNumParams] (its indices constant
// once unrolled: a GPU thread keeps them in registers). Through the units,
// then the shared rise, the sweep and the onset (t = n / sr - onset, so
// v_onset = -v_t).
template <typename Real>
DS_HD void source_sample_vjp(const Real* p, wide_t<Real> t_wide, Real v_src, Real* v_p) {
  const Real t = Real(t_wide);
  if (t <= Real(0)) return;
  const wide_t<Real> S = swept_time(t_wide, p[P::sweep_ratio], p[P::sweep_s]);
  Real v_t = Real(0), v_S = Real(0), v_rise = Real(0);
  for_each_block(SourceBlocks{}, [&](auto b, int, int) {
    using B = decltype(b);
    // (The rise made where a block needs it: one register fewer across the others.)
    const Real rise = B::uses_bus_attack ? envelope_rise(t, p[kSourceAttack]) : Real(1);
    block_sample_vjp<B>(p, rise, t, S, static_cast<const Real*>(nullptr), 0, v_src, v_p, v_rise,
                        v_t, v_S);
  });
  envelope_rise_vjp(t, p[kSourceAttack], v_rise, v_p[kSourceAttack], v_t);
  swept_time_vjp(t, p[P::sweep_ratio], p[P::sweep_s], v_S, v_p[P::sweep_ratio], v_p[P::sweep_s],
                 v_t);
  v_p[P::onset_s] -= v_t;
}

// ---- the mix bus at one sample ----

// t: time_since_onset; unit i's fixed input at fixed[i * stride]. 0 before the onset.
template <typename Real>
DS_HD Real mix_bus_sample(const Real* p, Real t, const Real* fixed, size_t stride) {
  if (t <= Real(0)) return Real(0);
  const Real rise = envelope_rise(t, p[kMixAttack]);
  Real y = Real(0);
  for_each_block(MixBlocks{}, [&](auto b, int, int f0) {
    y +=
        block_sample<decltype(b)>(p, rise, t, wide_t<Real>(0), fixed + size_t(f0) * stride, stride);
  });
  return y;
}

// Adjoint: the blocks' parameters' gradients into v_p [kNumParams], the
// shared attack's into v_attack_s, and v_t (separate, so that the caller sums
// them with the noise band's, which shares that attack).
template <typename Real>
DS_HD void mix_bus_sample_vjp(const Real* p, Real t, const Real* fixed, size_t stride,  // forward
                              Real v_y,                                                 // out grad
                              Real* v_p, Real& v_attack_s, Real& v_t) {
  if (t <= Real(0)) return;
  const Real rise = envelope_rise(t, p[kMixAttack]);
  Real v_rise = Real(0), v_S = Real(0);
  for_each_block(MixBlocks{}, [&](auto b, int, int f0) {
    block_sample_vjp<decltype(b)>(p, rise, t, wide_t<Real>(0), fixed + size_t(f0) * stride, stride,
                                  v_y, v_p, v_rise, v_t, v_S);
  });
  envelope_rise_vjp(t, p[kMixAttack], v_rise, v_attack_s, v_t);
}

// ---- the mix bus's fixed inputs ----

// Every fixed input of a sound, samples [0, n): input i at out[i * stride].
template <typename Real>
DS_HD void make_fixed_inputs(Real sample_rate, uint64_t seed, int n, Real* out, size_t stride) {
  for_each_block(MixBlocks{}, [&](auto b, int, int f0) {
    decltype(b)::make_fixed_inputs(sample_rate, seed, n, out + size_t(f0) * stride, stride);
  });
}

// The same a sample at a time (the kit player): start(rate), then per sample
// step(white_noise(seed, n), out [kFixedInputs]).
template <typename Real, typename List>
struct FixedStreams;
template <typename Real>
struct FixedStreams<Real, BlockList<>> {
  DS_HD void start(Real) {}
  DS_HD void step(Real, Real*) {}
};
template <typename Real, typename B, typename... Rest>
struct FixedStreams<Real, BlockList<B, Rest...>> {
  typename B::template FixedStream<Real> head;
  FixedStreams<Real, BlockList<Rest...>> rest;
  DS_HD void start(Real sample_rate) { head.start(sample_rate), rest.start(sample_rate); }
  DS_HD void step(Real w, Real* out) { head.step(w, out), rest.step(w, out + B::fixed_inputs); }
};
template <typename Real>
using MixFixedStreams = FixedStreams<Real, MixBlocks>;

}  // namespace drumsynth
