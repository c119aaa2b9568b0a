// The parameter table's data (param_table.hpp: one row per index of
// synth/params.hpp) and the vector-wide logit maps.
#include "drumsynth/param_table.hpp"

#include <algorithm>
#include <cmath>

#include "drumsynth/error.hpp"

namespace drumsynth {

namespace {
std::vector<ParamSpec> make_table() {
  std::vector<ParamSpec> t(kNumParams);
  using M = ParamMap;
  using R = PadRole;
  // Ranges: what drums need, from a few Hz below the lowest kick to the top
  // of hearing; times from a sub-millisecond click to a 3 s ringing tom.
  t[P::onset_s] = {"onset_s", "s", 0.0, 0.05, M::linear};
  t[P::sweep_ratio] = {"sweep_ratio", "ratio", 1.0, 8.0, M::log};
  t[P::sweep_s] = {"sweep_s", "s", 0.002, 0.5, M::log};
  t[P::transient_freq_hz] = {"transient_freq_hz", "Hz", 20.0, 4000.0, M::log, R::pitch};
  t[P::transient_attack_s] = {"transient_attack_s", "s", 1e-4, 0.02, M::log};
  t[P::transient_decay_s] = {"transient_decay_s", "s", 5e-4, 0.2, M::log, R::time};
  t[P::transient_drive] = {"transient_drive", "gain", 0.1, 12.0, M::log};
  t[P::transient_gain] = {"transient_gain", "gain", 1e-4, 1.0, M::log, R::tone_level};
  t[P::tone_attack_s] = {"tone_attack_s", "s", 1e-4, 0.05, M::log};
  for (int k = 0; k < kNumPartials; ++k) {
    const std::string n = "tone" + std::to_string(k + 1);
    t[P::tone_freq_hz(k)] = {n + "_freq_hz", "Hz", 20.0, 12000.0, M::log, R::pitch};
    t[P::tone_decay_s(k)] = {n + "_decay_s", "s", 0.005, 3.0, M::log, R::time};
    t[P::tone_gain(k)] = {n + "_gain", "gain", 1e-4, 1.0, M::log, R::tone_level};
  }
  t[P::resonator_freq_hz] = {"resonator_freq_hz", "Hz", 30.0, 1000.0, M::log, R::pitch};
  t[P::resonator_decay_s] = {"resonator_decay_s", "s", 0.005, 2.0, M::log, R::time};
  t[P::resonator_damping_hz] = {"resonator_damping_hz", "Hz", 100.0, 20000.0, M::log};
  t[P::resonator_gain] = {"resonator_gain", "gain", 1e-4, 1.0, M::log};
  t[P::noise_attack_s] = {"noise_attack_s", "s", 1e-4, 0.05, M::log};
  t[P::noise_decay_s] = {"noise_decay_s", "s", 0.003, 2.0, M::log, R::time};
  t[P::noise_low_hz] = {"noise_low_hz", "Hz", 20.0, 16000.0, M::log, R::pitch};
  t[P::noise_high_hz] = {"noise_high_hz", "Hz", 100.0, 22000.0, M::log, R::pitch};
  t[P::noise_gain] = {"noise_gain", "gain", 1e-4, 1.0, M::log, R::noise_level};
  // Version 2: the noise bank, silent in older presets (gain 0, outside the
  // range a fit uses). Version 3 split its top band (6 kHz up) at 10 and 15
  // kHz: a version-2 preset's top band's gain and decay go to all three.
  for (int k = 0; k < kNoiseBands; ++k) {
    const std::string n = "noise_bank" + std::to_string(k + 1);
    const int since = k > kFirstTopNoiseBand ? 3 : 2, top = kFirstTopNoiseBand;
    const int gain_from = since == 3 ? P::noise_bank_gain(top) : -1;
    const int decay_from = since == 3 ? P::noise_bank_decay_s(top) : -1;
    t[P::noise_bank_gain(k)] = {n + "_gain",    "gain", 1e-4, 1.0,      M::log,
                                R::noise_level, since,  0.0,  gain_from};
    t[P::noise_bank_decay_s(k)] = {n + "_decay_s", "s",   0.003, 2.0,       M::log,
                                   R::time,        since, 0.1,   decay_from};
  }
  // Version 3: the release; its maxima (older presets' values) put it past
  // the end of any sound.
  t[P::release_start_s] = {"release_start_s", "s", 0.01, 20.0, M::log, R::fixed, 3, 20.0};
  t[P::release_s] = {"release_s", "s", 0.002, 20.0, M::log, R::fixed, 3, 20.0};
  // Version 4: the gate, as the release (maxima: off). The recording's
  // fade-out moves with the decays it ends (a longer sound is faded later).
  t[P::gate_start_s] = {"gate_start_s", "s", 0.01, 20.0, M::log, R::time, 4, 20.0};
  t[P::gate_s] = {"gate_s", "s", 0.001, 20.0, M::log, R::time, 4, 20.0};
  return t;
}
}  // namespace

const std::vector<ParamSpec>& param_table() {
  static const std::vector<ParamSpec> table = make_table();
  return table;
}

int param_index(const std::string& name) {
  const auto& t = param_table();
  for (int i = 0; i < kNumParams; ++i)
    if (t[i].name == name) return i;
  return -1;
}

std::array<ParamRange, kNumParams> param_ranges() {
  std::array<ParamRange, kNumParams> r{};
  for (int i = 0; i < kNumParams; ++i)
    r[i] = {param_table()[i].min, param_table()[i].max, param_table()[i].map == ParamMap::log};
  return r;
}

double logit_from_param(double value, const ParamSpec& spec) {
  double s = spec.map == ParamMap::log ? std::log(value / spec.min) / std::log(spec.max / spec.min)
                                       : (value - spec.min) / (spec.max - spec.min);
  // 1e-9 keeps the logit within about +-20.7: finite, and still the end of the range
  // to 9 digits.
  s = std::clamp(s, 1e-9, 1.0 - 1e-9);
  return std::log(s / (1.0 - s));
}

template <typename Real>
std::vector<Real> params_from_logits(const std::vector<Real>& logits) {
  DS_CHECK(logits.size() == size_t(kNumParams));
  const auto& t = param_table();
  std::vector<Real> p(kNumParams);
  for (int i = 0; i < kNumParams; ++i)
    p[i] = param_from_logit<Real>(logits[i], Real(t[i].min), Real(t[i].max),
                                  t[i].map == ParamMap::log);
  return p;
}

template <typename Real>
std::vector<Real> logits_from_params(const std::vector<Real>& params) {
  DS_CHECK(params.size() == size_t(kNumParams));
  const auto& t = param_table();
  std::vector<Real> z(kNumParams);
  for (int i = 0; i < kNumParams; ++i) z[i] = Real(logit_from_param(double(params[i]), t[i]));
  return z;
}

template <typename Real>
std::vector<Real> params_from_logits_vjp(const std::vector<Real>& logits,
                                         const std::vector<Real>& params,
                                         const std::vector<Real>& v_params) {
  const auto& t = param_table();
  std::vector<Real> v(kNumParams);
  for (int i = 0; i < kNumParams; ++i)
    v[i] = v_params[i] * param_from_logit_vjp<Real>(logits[i], params[i], Real(t[i].min),
                                                    Real(t[i].max), t[i].map == ParamMap::log);
  return v;
}

template std::vector<float> params_from_logits(const std::vector<float>&);
template std::vector<double> params_from_logits(const std::vector<double>&);
template std::vector<float> logits_from_params(const std::vector<float>&);
template std::vector<double> logits_from_params(const std::vector<double>&);
template std::vector<float> params_from_logits_vjp(const std::vector<float>&,
                                                   const std::vector<float>&,
                                                   const std::vector<float>&);
template std::vector<double> params_from_logits_vjp(const std::vector<double>&,
                                                    const std::vector<double>&,
                                                    const std::vector<double>&);

}  // namespace drumsynth
