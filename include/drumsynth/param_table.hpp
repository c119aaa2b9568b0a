// The synth's parameter table (host side): every parameter's name, unit, range
// and map, in index order (defined in host/synth/param_table.cpp; the indices
// and the per-parameter maps are synth/params.hpp), and the whole-vector
// logit maps. Every preset carries this table.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "drumsynth/synth/params.hpp"

namespace drumsynth {

enum class ParamMap { linear, log };

// How a kit pad's controls (kit_player.hpp: PadControls) move a parameter:
// pitch, times 2^(tune / 12); time, times decay_scale; tone_level, times the
// tone side of the tone/noise balance; noise_level, its noise side; fixed,
// not at all.
enum class PadRole { fixed, pitch, time, tone_level, noise_level };

struct ParamSpec {
  std::string name;
  std::string unit;  // "s", "Hz", "ratio" or "gain"
  double min;
  double max;
  ParamMap map;
  PadRole pad_role = PadRole::fixed;
  // The preset format version that brought it (preset.hpp); an older preset
  // loads it as `absent`, or, where absent_from >= 0, as that parameter's
  // value: the block it belongs to silent or off, the sound as it was.
  int since_version = 1;
  double absent = 0;
  int absent_from = -1;
};

// The table, in index order.
const std::vector<ParamSpec>& param_table();
// Index of a parameter by name, or -1.
int param_index(const std::string& name);
// The table's ranges and maps as numbers, as device code receives them.
std::array<ParamRange, kNumParams> param_ranges();

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
