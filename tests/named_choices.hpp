// The loss presets and kernels by the names the command line uses, for
// tests that loop over them and print which one they checked.
#pragma once

#include <string>
#include <vector>

#include "drumsynth/backend.hpp"
#include "drumsynth/loss_settings.hpp"

namespace drumsynth::test {

inline LossSettings named_loss(const std::string& name) {
  return loss_preset(parse_name<LossPreset>(name));
}
inline Kernels named_kernels(const std::string& name) { return parse_name<Kernels>(name); }

// Every named preset (loss_presets), by name.
inline std::vector<std::string> loss_preset_names() {
  std::vector<std::string> names;
  for (const LossPreset p : loss_presets()) names.push_back(name_of(p));
  return names;
}

}  // namespace drumsynth::test
