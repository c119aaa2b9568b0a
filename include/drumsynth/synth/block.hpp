// What a model block is to the voice program (voice_program.hpp): a struct of
// static members that every renderer (the CPU voice, the kit player, the CUDA
// kernels) calls the same way. A block is a bank of n_units like units (one
// transient, 12 partials, 8 noise bands); unit u owns the parameters
//   first_param + u * unit_params + j,  j < unit_params
// which unit(p, u) reads once (Unit<Real>, its values), and at one sample gives
//   y = sample(unit, rise, t, S, fixed)
// with t the time since the onset (s, <= 0 before it), S the swept time
// (pitch_sweep.hpp; 0 on the mix bus), rise its bus's shared attack
// (envelope_rise of tone_attack_s or noise_attack_s; 1 where the block has
// its own, uses_bus_attack false) and fixed its unit's fixed input (0 where
// it has none). Beside it, sample_vjp adds dL/dy times each partial
// derivative into v_unit [unit_params], v_rise, v_t and v_S.
//   unit_envelope(p, u): the unit's gain, decay and attack, and peak, a bound
//     on its level at envelope 1 (the kit player stops computing a unit whose
//     peak e^{-t/decay} has fallen below hearing; playback.cpp's natural
//     length follows gain and decay).
//   fixed_inputs, make_fixed_inputs, FixedStream (mix blocks only): signals
//     that depend on the rate and the noise seed only, one per unit (the
//     noise bank's bands): made once per sound, or streamed a sample at a time
//     from the white noise w = white_noise(seed, n) (the kit player).
// BlockDefaults gives a block without fixed inputs or a shared attack.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "drumsynth/math/common.hpp"

namespace drumsynth {

template <typename Real>
struct UnitEnvelope {
  Real gain, decay_s, attack_s;
  Real peak;  // its level's bound at envelope 1 (gain, or gain times a drive)
};

struct BlockDefaults {
  static constexpr bool uses_bus_attack = false;
  static constexpr int fixed_inputs = 0;
  template <typename Real>
  DS_HD static void make_fixed_inputs(Real, uint64_t, int, Real*, size_t) {}
  template <typename Real>
  struct FixedStream {
    DS_HD void start(Real) {}
    DS_HD void step(Real, Real*) {}
  };
};

}  // namespace drumsynth
