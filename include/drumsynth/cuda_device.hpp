// What the CUDA side offers the host code, when built with it
// (DRUMSYNTH_HAVE_CUDA): device discovery, and batched per-sample synthesis.
#pragma once

#include <string>
#include <vector>

namespace drumsynth::cuda {

// True when a CUDA device can be used; otherwise false with the reason in *why
// (no driver, no device, ...). Never throws.
bool device_available(std::string* why);
std::string device_name();

// Renders the source (transient + tones) of B instances on the GPU with the
// same per-sample math as the CPU (voice_source_sample), for parity tests.
// params: [B * kNumParams]; n_samples, sample_rate: [B]; returns [B][n_samples[b]].
std::vector<std::vector<float>> render_source(const std::vector<float>& params,
                                              const std::vector<int>& n_samples,
                                              const std::vector<float>& sample_rate);

}  // namespace drumsynth::cuda
