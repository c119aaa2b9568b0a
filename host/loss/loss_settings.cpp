// The loss presets' numbers, in one place.
#include "drumsynth/loss_settings.hpp"

#include "drumsynth/error.hpp"
#include "loss/mrstft_loss.hpp"

namespace drumsynth {

const std::vector<std::string>& loss_preset_names() {
  static const std::vector<std::string> names = {"seed", "auraloss", "bands"};
  return names;
}

LossSettings loss_preset(const std::string& name) {
  LossSettings s;
  s.preset = name;
  if (name == "seed") {
    for (int n : {16384, 8192, 4096, 2048, 1024, 512, 128, 32}) s.resolutions.push_back({n, n / 4, n});
    s.a_weighting = true;
    s.rms_weight = 0.25;
  } else if (name == "auraloss") {
    s.resolutions = {{1024, 120, 600}, {2048, 240, 1200}, {512, 50, 240}};
  } else if (name == "bands") {
    // seed's resolutions and RMS term, without the A-weighting (which hid
    // the low end: 20-30 dB down below 200 Hz), plus the band-energy term.
    s = loss_preset("seed");
    s.preset = name;
    s.a_weighting = false;
    s.w_band_log = kBandsWeight;
  } else {
    std::string known;
    for (const auto& n : loss_preset_names()) known += (known.empty() ? "" : ", ") + n;
    throw Error("unknown loss preset '" + name + "' (known: " + known + ")");
  }
  return s;
}

double mrstft_loss(const std::vector<double>& estimate, const std::vector<double>& target,
                   double sample_rate, const LossSettings& settings) {
  return MrstftLoss<double>(settings, sample_rate, target).loss(estimate);
}

}  // namespace drumsynth
