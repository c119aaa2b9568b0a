// Rendering a voice from its parameters (physical units), on the CPU: what
// `drumsynth render` plays back and what a fit's render is.
#pragma once

#include <stdint.h>

#include <vector>

namespace drumsynth {

struct VoiceSpec {
  int n_samples = 0;
  double sample_rate = 48000.0;
  uint64_t noise_seed = 0;
};

// params: [kNumParams] in physical units (param_table.hpp). Instantiated for
// float, double and long double (the gradient tests' finite differences).
template <typename Real>
std::vector<Real> render(const std::vector<Real>& params, const VoiceSpec& spec);

}  // namespace drumsynth
