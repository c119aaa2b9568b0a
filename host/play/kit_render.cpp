// A kit played offline (kit_render.hpp): each note's voice rendered whole
// (playback.hpp) and mixed in at its time, cut where its choke group or a
// newer voice of its pad ends it.
#include "drumsynth/kit_render.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "drumsynth/math/common.hpp"
#include "drumsynth/playback.hpp"
#include "drumsynth/synth/params.hpp"

namespace drumsynth {

namespace {

std::vector<int> frequency_params() {
  std::vector<int> f = {P::transient_freq_hz, P::resonator_freq_hz, P::noise_low_hz,
                        P::noise_high_hz};
  for (int k = 0; k < kNumPartials; ++k) f.push_back(P::tone_freq_hz(k));
  return f;
}

std::vector<int> decay_params() {
  std::vector<int> d = {P::transient_decay_s, P::resonator_decay_s, P::noise_decay_s};
  for (int k = 0; k < kNumPartials; ++k) d.push_back(P::tone_decay_s(k));
  for (int k = 0; k < kNoiseBands; ++k) d.push_back(P::noise_bank_decay_s(k));
  return d;
}

struct Voice {
  int pad;
  size_t start;               // sample of the note
  size_t cut = SIZE_MAX;      // sample where it starts to fade out, if cut
  std::vector<double> audio;  // its render, gain applied
  // One past its last sample: its render's end, or its fade's.
  size_t end(size_t fade) const {
    return cut == SIZE_MAX ? start + audio.size() : std::min(start + audio.size(), cut + fade);
  }
};

}  // namespace

LoadedKit load_kit_presets(const Kit& kit) {
  LoadedKit k;
  k.kit = kit;
  for (const Pad& pad : kit.pads) {
    k.presets.emplace_back();
    k.silent.emplace_back();
    for (const KitLayer& layer : pad.layers) {
      Preset p;
      bool silent = false;
      try {
        p = load_preset(layer_path(kit, layer));
      } catch (const std::exception& e) {
        k.problems.push_back(std::string(e.what()) + " (pad " + std::to_string(pad.note) +
                             " plays it silent)");
        silent = true;
      }
      k.presets.back().push_back(p);
      k.silent.back().push_back(silent);
    }
  }
  return k;
}

std::vector<double> pad_params(const Pad& pad, const std::vector<double>& params) {
  std::vector<double> p = params;
  const double ratio = std::pow(2.0, pad.tune_semitones / 12.0);
  for (int i : frequency_params()) p[size_t(i)] *= ratio;
  for (int i : decay_params()) p[size_t(i)] *= pad.decay_scale;
  const double tones = 1.0 - std::max(0.0, pad.tone_noise_balance),
               noise = 1.0 + std::min(0.0, pad.tone_noise_balance);
  p[P::transient_gain] *= tones;
  for (int k = 0; k < kNumPartials; ++k) p[size_t(P::tone_gain(k))] *= tones;
  p[P::noise_gain] *= noise;
  for (int k = 0; k < kNoiseBands; ++k) p[size_t(P::noise_bank_gain(k))] *= noise;
  return p;
}

int layer_for_velocity(const Pad& pad, int velocity) {
  int best = 0;
  for (int l = 1; l < int(pad.layers.size()); ++l)
    if (std::abs(pad.layers[size_t(l)].velocity - velocity) <=
        std::abs(pad.layers[size_t(best)].velocity - velocity))
      best = l;
  return best;
}

std::vector<double> render_kit(const LoadedKit& kit, const std::vector<NoteEvent>& notes,
                               double sample_rate, double seconds) {
  std::vector<Voice> voices;
  const size_t fade = size_t(std::lround(kCutFadeS * sample_rate));
  for (const NoteEvent& n : notes) {
    const auto found = std::find_if(kit.kit.pads.begin(), kit.kit.pads.end(),
                                    [&](const Pad& p) { return p.note == n.note; });
    if (found == kit.kit.pads.end()) continue;
    const int pad = int(found - kit.kit.pads.begin());
    const size_t start = size_t(std::lround(std::max(0.0, n.time_s) * sample_rate));
    // Its choke group's other pads stop; so does its own oldest voice beyond kVoicesPerPad.
    int sounding = 0;
    for (Voice& v : voices) {
      if (v.cut <= start || v.end(fade) <= start) continue;
      const Pad& other = kit.kit.pads[size_t(v.pad)];
      if (v.pad != pad && found->choke_group != 0 && other.choke_group == found->choke_group)
        v.cut = start;
      if (v.pad == pad) ++sounding;
    }
    if (sounding >= kVoicesPerPad)
      for (Voice& v : voices)
        if (v.pad == pad && v.cut > start && v.end(fade) > start) {
          v.cut = start;  // the oldest (voices are in note order)
          break;
        }
    const int layer = layer_for_velocity(*found, n.velocity);
    if (kit.silent[size_t(pad)][size_t(layer)]) continue;
    Preset p = kit.presets[size_t(pad)][size_t(layer)];
    p.params = pad_params(*found, p.params);
    Voice v{pad, start, SIZE_MAX, play_preset(p, sample_rate)};
    const double gain = velocity_gain(n.velocity, found->layers[size_t(layer)].velocity) *
                        std::pow(10.0, found->level_db / 20.0);
    for (double& s : v.audio) s *= gain;
    voices.push_back(std::move(v));
  }
  size_t length = seconds > 0 ? size_t(std::lround(seconds * sample_rate)) : 0;
  if (seconds <= 0)
    for (const Voice& v : voices) length = std::max(length, v.end(fade));
  std::vector<double> out(length, 0.0);
  for (const Voice& v : voices)
    for (size_t at = v.start; at < std::min(length, v.end(fade)); ++at) {
      const size_t i = at - v.start;
      const double g =
          at < v.cut ? 1.0 : 0.5 + 0.5 * std::cos(kPi * double(at - v.cut) / double(fade));
      out[at] += g * v.audio[i];
    }
  return out;
}

}  // namespace drumsynth
