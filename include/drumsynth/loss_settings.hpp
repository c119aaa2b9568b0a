// Settings of the multi-resolution STFT loss, its two named presets, and the
// loss of one sound against another (host side).
#pragma once

#include <string>
#include <vector>

#include "drumsynth/names.hpp"
#include "drumsynth/spectral/stft_framing.hpp"

namespace drumsynth {

// Taps of the `seed` preset's A-weighting FIR (auraloss's FIRFilter "aw"
// design, odd so the filter has a centre tap and no delay).
constexpr int kAWeightingTaps = 101;

// The band-energy term's weight in the "bands" preset.
constexpr double kBandsWeight = 6.0;

// The named loss settings (loss_preset says what each is); custom: settings
// of one's own, as a preset file may carry.
enum class LossPreset { seed, auraloss, bands, custom };
template <>
struct Names<LossPreset> {
  static constexpr const char* what = "loss preset";
  static constexpr std::array<std::pair<const char*, LossPreset>, 4> table{
      {{"seed", LossPreset::seed},
       {"auraloss", LossPreset::auraloss},
       {"bands", LossPreset::bands},
       {"custom", LossPreset::custom}}};
};

// The fitting loss used unless told otherwise, chosen by measurement on the
// tuning part of the development set and checked on the held-back part
// (docs/quality.md). `seed` stays for fidelity to the original.
inline constexpr LossPreset kDefaultFitLoss = LossPreset::bands;

struct LossSettings {
  LossPreset preset = LossPreset::custom;
  std::vector<StftResolution> resolutions;
  double w_sc = 1.0;         // spectral convergence weight
  double w_log_mag = 1.0;    // log-magnitude L1 weight
  bool a_weighting = false;  // auraloss perceptual_weighting pre-filter
  double rms_weight = 0.0;   // weight of (rms(x) - rms(y))^2
  double eps = 1e-8;         // floor of the squared magnitude (auraloss eps)
  // The band-energy term (off at 0): per resolution, the mean over frames and
  // ERB bands of |ln(E_y + f) - ln(E_x + f)|, E a band's energy, f the
  // target's loudest cell band_range_db down (spectral_loss_math.hpp).
  double w_band_log = 0.0;
  double band_range_db = 80.0;
  // The envelope term (off at 0): over frames of env_frame_s of the signal
  // itself, the mean of |ln(E_y + f) - ln(E_x + f)|, E a frame's mean square,
  // f the target's loudest frame env_range_db down: the loudness over time to
  // the end of the sound, its tail included (spectral_loss_math.hpp). On the
  // CPU only, in no preset (`--env-weight`; measured: docs/quality.md).
  double w_env_log = 0.0;
  double env_range_db = 100.0;
  double env_frame_s = 0.01;
};

// The loss terms and their settings as one table: the preset files write and
// read it (preset.cpp), the command line makes an option of each row
// (--w-env-log, --band-range-db, ...) and Python takes them by name
// (loss_settings={"w_env_log": 0.3}), through set_loss_number: a new term's
// weight is a row here, not code in each of them. A row with `written_with`
// is written only while that weight is on (not 0), so presets fitted without
// the term read as before (the default back).
struct LossNumber {
  using Member = double LossSettings::*;  // (an alias: nvcc's host code then needs no parentheses)
  const char* name;
  Member value;
  Member written_with;  // null: always written
  double min, max;      // what the command line and Python accept
  const char* help;
};
inline constexpr std::array<LossNumber, 9> kLossNumbers{{
    {"w_sc", &LossSettings::w_sc, nullptr, 0, 100, "Weight of the spectral convergence term"},
    {"w_log_mag", &LossSettings::w_log_mag, nullptr, 0, 100,
     "Weight of the log-magnitude term (mean |log|Y| - log|X||)"},
    {"rms_weight", &LossSettings::rms_weight, nullptr, 0, 100,
     "Weight of the loudness term (rms(x) - rms(y))^2"},
    {"eps", &LossSettings::eps, nullptr, 0, 1, "Floor of a bin's squared magnitude"},
    {"w_band_log", &LossSettings::w_band_log, &LossSettings::w_band_log, 0, 100,
     "Weight of the band-energy term: ERB bands' log energies per frame"},
    {"band_range_db", &LossSettings::band_range_db, &LossSettings::w_band_log, 10, 200,
     "The band-energy term's floor under the target's loudest cell, in dB"},
    {"w_env_log", &LossSettings::w_env_log, &LossSettings::w_env_log, 0, 100,
     "Weight of the envelope term: the loudness of short frames to the sound's end"},
    {"env_range_db", &LossSettings::env_range_db, &LossSettings::w_env_log, 10, 200,
     "The envelope term's floor under the target's loudest frame, in dB"},
    {"env_frame_s", &LossSettings::env_frame_s, &LossSettings::w_env_log, 0.001, 0.1,
     "The envelope term's frame, in seconds"},
}};

// Sets the table's number `name` (kLossNumbers) in s; throws drumsynth::Error
// naming the valid names, or the range, for a bad one.
void set_loss_number(LossSettings& s, const std::string& name, double value);

// The analysis window of a resolution, [fft_size] (stft_window_value).
inline std::vector<double> stft_window(const StftResolution& r) {
  std::vector<double> w(static_cast<size_t>(r.fft_size));
  for (int i = 0; i < r.fft_size; ++i) w[i] = stft_window_value(r, i);
  return w;
}

// "seed": the original's DrumSoundLoss (FFT 16384 ... 32, hop n/4, window n,
// A-weighting, + 0.25 RMS term). "auraloss": auraloss's MultiResolutionSTFTLoss
// defaults (FFT 1024/2048/512, hop 120/240/50, window 600/1200/240).
// "bands": "seed" without its A-weighting, plus the band-energy term at
// weight kBandsWeight, the default for fitting (kDefaultFitLoss).
// Throws drumsynth::Error for custom, which names no settings.
LossSettings loss_preset(LossPreset preset);
// The presets loss_preset makes (all but custom).
const std::vector<LossPreset>& loss_presets();

// The loss of `estimate` against `target` (same length), computed in double.
double mrstft_loss(const std::vector<double>& estimate, const std::vector<double>& target,
                   double sample_rate, const LossSettings& settings);

}  // namespace drumsynth
