// Presets: JSON files people can read, edit and share. Parameters are stored
// in physical units (with their range, map and logit for reference); the
// values are the source of truth when a preset is read back.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

#include "drumsynth/loss_settings.hpp"
#include "drumsynth/render.hpp"

namespace drumsynth {

// 1: first format (model with 12 partials, one noise band, comb resonator).
// 2: adds the noise bank (noise_bank.hpp: kNoiseBands bands, each a gain and
//    a decay). Version 1 presets still load, with a silent bank, and render
//    as before.
// 3: adds the release (release.hpp: its start and time) and splits the noise
//    bank's top band (6 kHz up) at 10 and 15 kHz (noise_bank.hpp). Older
//    presets load with the release past their end and the old top band's gain
//    and decay in all three: version 1 renders exactly as before, version 2
//    but for the top band's new crossovers.
// 4: adds the gate (release.hpp: the recording's own fade-out, its start and
//    time). Older presets load with the gate past their end.
constexpr int kPresetFormatVersion = 4;

struct Preset {
  std::vector<double> params;  // [kNumParams], physical units
  double sample_rate = 48000;  // of the fitted target; render's default
  int n_samples = 0;           // of the fitted target; render's default
  uint64_t noise_seed = 0;
  LossSettings loss;  // what the fit minimised
  double final_loss = 0;
  double initial_loss = 0;
  int iterations = 0;
  int partials_dropped = 0;  // turned off after the fit (FitOptions::prune_max_loss_rise)
  std::string source;        // the fitted file, as given
};

std::string preset_to_json(const Preset& p);
// Throws InputError("<path>: ...") for malformed JSON, an unknown format
// version, a missing parameter or one out of range.
Preset preset_from_json(const std::string& text, const std::string& path);
void save_preset(const std::string& path, const Preset& p);
Preset load_preset(const std::string& path);

// What a preset renders: by default the fitted target's rate and length;
// sample_rate > 0 renders the same duration at that rate, seconds > 0 sets
// the length. Throws Error for a rate outside 8-192 kHz or a length of 0.
VoiceSpec preset_voice_spec(const Preset& p, double sample_rate = 0, double seconds = 0);

}  // namespace drumsynth
