// Playing a preset back (playback.hpp): its natural length, the release fade.
#include "drumsynth/playback.hpp"

#include <algorithm>
#include <cmath>

#include "drumsynth/error.hpp"
#include "drumsynth/math/common.hpp"
#include "drumsynth/synth/voice_program.hpp"

namespace drumsynth {

// A length surely past the natural one: the onset and the attacks, then for
// each unit of a block the time its envelope g e^{-t/d} takes to fall from its
// gain g to kNaturalEndDb below the loudest gain, the resonator's ring added on top
// (it is fed by the source and decays at its own rate after). Rendering this
// long and cutting at the last sample above the threshold gives the length.
double length_bound_s(const double* p) {
  // Each unit of the program's blocks, and the noise band (its own block in
  // the mix); no allocation: the player calls it at each note.
  constexpr int kUnits = kSourceUnits + kMixUnits + 1;
  UnitEnvelope<double> unit[kUnits];
  int n_units = 0;
  const auto add_units = [&](auto b, int, int) {
    for (int u = 0; u < decltype(b)::n_units; ++u)
      unit[n_units++] = decltype(b)::unit_envelope(p, u);
  };
  for_each_block(SourceBlocks{}, add_units);
  for_each_block(MixBlocks{}, add_units);
  unit[n_units++] = {p[P::noise_gain], p[P::noise_decay_s], p[P::noise_attack_s], p[P::noise_gain]};
  double loudest = p[P::resonator_gain], attacks = 0;
  for (const auto& e : unit) loudest = std::max(loudest, e.gain);
  const double floor = loudest * std::pow(10.0, -kNaturalEndDb / 20.0);
  const auto fall_s = [&](double g, double d) { return d * std::log(std::max(1.0, g / floor)); };
  double longest = 0;
  for (const auto& e : unit)
    longest = std::max(longest, fall_s(e.gain, e.decay_s)), attacks = std::max(attacks, e.attack_s);
  return p[P::onset_s] + 5.0 * attacks + longest +
         fall_s(p[P::resonator_gain], p[P::resonator_decay_s]) + 0.01;
}

namespace {

VoiceSpec spec_at(const Preset& p, double sample_rate, double seconds) {
  VoiceSpec spec = preset_voice_spec(p, sample_rate);
  spec.n_samples = std::max(1, int(std::lround(seconds * spec.sample_rate)));
  return spec;
}

// The samples up to the last one above kNaturalEndDb below the peak.
size_t natural_end(const std::vector<double>& x) {
  double peak = 0;
  for (double v : x) peak = std::max(peak, std::abs(v));
  const double floor = peak * std::pow(10.0, -kNaturalEndDb / 20.0);
  size_t end = x.size();
  while (end > 1 && std::abs(x[end - 1]) <= floor) --end;
  return end;
}

}  // namespace

double natural_length_s(const Preset& p, double sample_rate, double max_s) {
  const VoiceSpec spec = spec_at(p, sample_rate, std::min(max_s, length_bound_s(p.params.data())));
  return double(natural_end(render(p.params, spec))) / spec.sample_rate;
}

void release_fade(std::vector<double>& x, double sample_rate) {
  const size_t n = std::min(x.size() / 4, size_t(std::lround(kReleaseFadeS * sample_rate)));
  for (size_t i = 0; i < n; ++i)  // the last sample is 0
    x[x.size() - 1 - i] *= 0.5 - 0.5 * std::cos(kPi * double(i) / double(n));
}

std::vector<double> play_preset(const Preset& p, double sample_rate, double seconds) {
  // One render as long as the bound (or the length asked for, when longer):
  // its natural end, then the part asked for. Each sample depends only on
  // those before it, so a prefix is the shorter render.
  const VoiceSpec spec =
      spec_at(p, sample_rate, std::max(seconds, std::min(60.0, length_bound_s(p.params.data()))));
  std::vector<double> x = render(p.params, spec);
  const size_t natural = natural_end(x);
  if (seconds <= 0) {
    x.resize(natural);
    return x;
  }
  const size_t n = size_t(std::max(1L, std::lround(seconds * spec.sample_rate)));
  x.resize(n);
  if (n < natural) release_fade(x, spec.sample_rate);
  return x;
}

}  // namespace drumsynth
