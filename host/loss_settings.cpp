// The loss presets' numbers, in one place.
#include "drumsynth/loss_settings.hpp"

#include <cmath>

#include "drumsynth/common.hpp"

namespace drumsynth {

const std::vector<std::string>& loss_preset_names() {
  static const std::vector<std::string> names = {"seed", "auraloss"};
  return names;
}

std::vector<double> stft_window(const StftResolution& r) {
  std::vector<double> w(static_cast<size_t>(r.fft_size), 0.0);
  const int off = (r.fft_size - r.win_length) / 2;
  for (int i = 0; i < r.win_length; ++i) w[off + i] = 0.5 - 0.5 * std::cos(kTwoPi * i / r.win_length);
  return w;
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
  } else {
    throw Error("unknown loss preset '" + name + "' (known: seed, auraloss)");
  }
  return s;
}

}  // namespace drumsynth
