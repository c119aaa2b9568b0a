// The loss presets' numbers, in one place.
#include "drumsynth/loss_settings.hpp"

#include "drumsynth/error.hpp"
#include "loss/mrstft_loss.hpp"

namespace drumsynth {

const std::vector<LossPreset>& loss_presets() {
  static const std::vector<LossPreset> presets = {LossPreset::seed, LossPreset::auraloss,
                                                  LossPreset::bands};
  return presets;
}

LossSettings loss_preset(LossPreset preset) {
  LossSettings s;
  s.preset = preset;
  switch (preset) {
    case LossPreset::seed:
      for (int n : {16384, 8192, 4096, 2048, 1024, 512, 128, 32})
        s.resolutions.push_back({n, n / 4, n});
      s.a_weighting = true;
      s.rms_weight = 0.25;
      break;
    case LossPreset::auraloss:
      s.resolutions = {{1024, 120, 600}, {2048, 240, 1200}, {512, 50, 240}};
      break;
    case LossPreset::bands:
      // seed's resolutions and RMS term, without the A-weighting (which hid
      // the low end: 20-30 dB down below 200 Hz), plus the band-energy term.
      s = loss_preset(LossPreset::seed);
      s.preset = preset;
      s.a_weighting = false;
      s.w_band_log = kBandsWeight;
      break;
    case LossPreset::custom:
      throw Error("the custom loss preset names no settings");
  }
  return s;
}
void set_loss_number(LossSettings& s, const std::string& name, double value) {
  std::string names;
  for (const LossNumber& n : kLossNumbers) {
    if (name == n.name) {
      if (!(value >= n.min && value <= n.max))
        throw Error("loss setting " + name + " = " + std::to_string(value) + " is outside [" +
                    std::to_string(n.min) + ", " + std::to_string(n.max) + "]");
      s.*n.value = value;
      return;
    }
    names += std::string(names.empty() ? "" : ", ") + n.name;
  }
  throw Error("no loss setting named '" + name + "' (the settings: " + names + ")");
}

double mrstft_loss(const std::vector<double>& estimate, const std::vector<double>& target,
                   double sample_rate, const LossSettings& settings) {
  return MrstftLoss<double>(settings, sample_rate, target).loss(estimate);
}

}  // namespace drumsynth
