// The synth's parameters as device code sees them: their indices (P::) and the
// maps from a logit. The table of their names, units and ranges is host data:
// declared in param_table.hpp, defined in host/synth/param_table.cpp, handed
// to device code as ParamRange numbers. Optimisation runs on unbounded
// logits z; the model sees
//   s = sigmoid(z),  value = min + (max - min) s          (linear map)
//                    value = min * (max / min)^s          (log map)
// Frequencies and times use the log map, so equal logit steps are equal ratios
// (octaves, not hertz) and low frequencies are as easy to reach as high ones.
#pragma once

#include "drumsynth/math/common.hpp"

namespace drumsynth {

constexpr int kNumPartials = 12;
constexpr int kNoiseBands = 8;  // the noise bank (noise_bank.hpp): 6 in model version 2
// Version 2's last band (6 kHz up) is today's bands kFirstTopNoiseBand.. (noise_bank.hpp).
constexpr int kFirstTopNoiseBand = 5;

// Parameter indices. Tone partial k uses tone_freq_hz(k), tone_decay_s(k), tone_gain(k).
namespace P {
enum : int {
  onset_s,             // silence before the hit
  sweep_ratio,         // pitch envelope: start frequency / end frequency
  sweep_s,             // pitch envelope time constant
  transient_freq_hz,   // transient's end frequency (swept like the tones)
  transient_attack_s,  //
  transient_decay_s,   //
  transient_drive,     // saturation: gain into the transient's tanh
  transient_gain,      // level after the tanh
  tone_attack_s,       // shared by all partials
  tone_first,          // first of 3 * kNumPartials partial parameters
  resonator_freq_hz = tone_first + 3 * kNumPartials,
  resonator_decay_s,     // time for the feedback loop's level to fall by e
  resonator_damping_hz,  // cutoff of the one-pole low-pass inside the loop
  resonator_gain,
  noise_attack_s,
  noise_decay_s,
  noise_low_hz,   // high-pass cutoff: the band's lower edge
  noise_high_hz,  // low-pass cutoff: the band's upper edge
  noise_gain,
  noise_bank_first,  // model version 2: first of 2 * kNoiseBands bank parameters
  release_start_s = noise_bank_first + 2 * kNoiseBands,  // model version 3: the release
  release_s,                                             // (release.hpp)
  gate_start_s,  // model version 4: the recording's own fade-out (release.hpp)
  gate_s,
  count
};
constexpr int tone_freq_hz(int k) { return tone_first + 3 * k; }
constexpr int tone_decay_s(int k) { return tone_first + 3 * k + 1; }
constexpr int tone_gain(int k) { return tone_first + 3 * k + 2; }
constexpr int noise_bank_gain(int k) { return noise_bank_first + 2 * k; }
constexpr int noise_bank_decay_s(int k) { return noise_bank_first + 2 * k + 1; }
}  // namespace P

constexpr int kNumParams = P::count;

// One parameter's range and map as plain numbers, for device code.
struct ParamRange {
  double min;
  double max;
  bool log_map;
};

// value = map(sigmoid(z)); see the file comment.
// Computed in the wide type (double for float) and rounded once: the model is
// sensitive to its parameters' last bits (a phase f S(sweep_s) runs to
// thousands of turns), so the CPU and the GPU must get the same float
// parameters from the same logits, whatever their libm's float exp and log.
template <typename Real>
DS_HD Real param_from_logit(Real z, Real lo, Real hi, bool log_map) {
  using W = wide_t<Real>;
  const W s = sigmoid(W(z));
  return Real(log_map ? W(lo) * dm::exp(s * dm::log(W(hi) / W(lo))) : W(lo) + (W(hi) - W(lo)) * s);
}

// d value / d z, given the value: sigmoid' = s (1 - s), times the map's slope
// (hi - lo) for the linear map, value * log(hi / lo) for the log map.
template <typename Real>
DS_HD Real param_from_logit_vjp(Real z, Real value, Real lo, Real hi, bool log_map) {
  using W = wide_t<Real>;
  const W s = sigmoid(W(z));
  const W ds_dz = s * (W(1) - s);
  return Real(ds_dz * (log_map ? W(value) * dm::log(W(hi) / W(lo)) : W(hi) - W(lo)));
}

}  // namespace drumsynth
