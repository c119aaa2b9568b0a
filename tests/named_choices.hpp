// The loss presets and kernels by the names the command line uses, for
// tests that loop over them and print which one they checked; and
// "every-term", every loss term on at once (the A-weighting, RMS, band and
// envelope terms beside the per-bin ones), so that every path is checked on
// every term.
#pragma once

#include <string>
#include <vector>

#include "drumsynth/loss_settings.hpp"
#include "drumsynth/run_plan.hpp"

namespace drumsynth::test {

inline LossSettings named_loss(const std::string& name) {
  if (name == "every-term") {
    LossSettings s = loss_preset(LossPreset::seed);
    s.preset = LossPreset::custom;
    s.w_band_log = kBandsWeight;
    s.w_env_log = 0.5;
    return s;
  }
  return loss_preset(parse_name<LossPreset>(name));
}
inline Kernels named_kernels(const std::string& name) { return parse_name<Kernels>(name); }

// A plan for a device and kernels with the switches as the environment sets
// them now (the parity tests set one between two backends).
inline RunPlan plan_now(Device device, Kernels kernels = Kernels::v1) {
  return {device, kernels, read_switches()};
}

// Every named preset (loss_presets), by name, and "every-term".
inline std::vector<std::string> loss_preset_names() {
  std::vector<std::string> names;
  for (const LossPreset p : loss_presets()) names.push_back(name_of(p));
  names.push_back("every-term");
  return names;
}

}  // namespace drumsynth::test
