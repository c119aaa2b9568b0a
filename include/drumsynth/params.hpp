// The synth's parameter table: every parameter's name, unit, range and map from
// a logit, in one place. Optimisation runs on unbounded logits z; the model sees
//   s = sigmoid(z),  value = min + (max - min) s          (linear map)
//                    value = min * (max / min)^s          (log map)
// Frequencies and times use the log map, so equal logit steps are equal ratios
// (octaves, not hertz) and low frequencies are as easy to reach as high ones.
#pragma once

#include <string>
#include <vector>

#include "drumsynth/common.hpp"

namespace drumsynth {

constexpr int kNumPartials = 12;

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
  count
};
constexpr int tone_freq_hz(int k) { return tone_first + 3 * k; }
constexpr int tone_decay_s(int k) { return tone_first + 3 * k + 1; }
constexpr int tone_gain(int k) { return tone_first + 3 * k + 2; }
}  // namespace P

constexpr int kNumParams = P::count;

enum class ParamMap { linear, log };

struct ParamSpec {
  std::string name;
  std::string unit;  // "s", "Hz", "ratio" or "gain"
  double min;
  double max;
  ParamMap map;
};

// The table, in index order (host only; kernels receive min/max as numbers).
const std::vector<ParamSpec>& param_table();
// Index of a parameter by name, or -1.
int param_index(const std::string& name);

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

// Inverse map, for presets and initialisation. Values at the ends of the range
// are pulled in by a hair so the logit stays finite.
double logit_from_param(double value, const ParamSpec& spec);

// Whole-vector helpers over the table.
template <typename Real>
std::vector<Real> params_from_logits(const std::vector<Real>& logits);
template <typename Real>
std::vector<Real> logits_from_params(const std::vector<Real>& params);
// v_logits[i] = v_params[i] * d value_i / d z_i
template <typename Real>
std::vector<Real> params_from_logits_vjp(const std::vector<Real>& logits,
                                         const std::vector<Real>& params,
                                         const std::vector<Real>& v_params);

}  // namespace drumsynth
