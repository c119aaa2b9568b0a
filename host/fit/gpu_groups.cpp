#include "fit/gpu_groups.hpp"

#include <algorithm>

#include "drumsynth/fit/optimizer_step.hpp"
#include "drumsynth/synth/voice_program.hpp"

namespace drumsynth {

namespace {

// Per-sample float buffers: the backend's 9 (the noise band's two filters,
// source, the resonator's y and h, the mix, and the adjoint's v_out, v_mix,
// v_res_y; synth_kernels.cuh says what is not kept and what shares a buffer)
// and one to spare, the target, the mix bus's fixed inputs, and the loss's
// A-weighted target, estimate and adjoint. (The two targets are freed once the
// loss has the target's spectra; they count here for the setup's peak, beside
// the cuFFT chain's scratch.)
constexpr size_t kFloatsPerSample = 10 + 1 + kFixedInputs + 3;

struct ResolutionSizes {
  size_t frame_values, bins, padded;
};

ResolutionSizes resolution_sizes(int n, const StftResolution& r) {
  const size_t frames = size_t(stft_frame_count(n, r));
  return {frames * size_t(r.fft_size), frames * size_t(r.fft_size / 2 + 1),
          size_t(stft_padded_length(n, r)) + size_t(r.fft_size)};
}

}  // namespace

size_t gpu_instance_bytes(int n_samples, const LossSettings& loss, int iterations) {
  size_t floats = kFloatsPerSample * size_t(n_samples);
  size_t scratch = 0;
  for (const auto& r : loss.resolutions) {
    const ResolutionSizes s = resolution_sizes(n_samples, r);
    // The band term's cells (frames x bands, bands of 4 bins or more): at
    // most a quarter of the bins, once for the target, once in the scratch.
    const size_t cells = loss.w_band_log != 0 ? s.bins / 4 + 1 : 0;
    floats += s.bins + cells;  // the target's magnitudes (and cells), kept per resolution
    // Shared by the resolutions: frames, spectrum (2 floats a bin), two
    // magnitude arrays, the padded adjoint, and cuFFT's work area (taken as
    // one more spectrum).
    scratch = std::max(scratch, s.frame_values + 6 * s.bins + s.padded + cells);
    // The v2 kernels' fused loss frees that scratch after the target's pass
    // and takes instead two overlap-add parts over the padded positions and
    // the runs' partial sums (runs own at least 2048 positions each).
    scratch = std::max(scratch, 2 * s.padded + 3 * (s.padded / 2048 + 2));
  }
  // The envelope term's two floats a frame (frames of env_frame_s, at 8 kHz
  // or more) and its frame length and offset.
  if (loss.w_env_log != 0)
    floats += 2 * (size_t(n_samples) / size_t(std::max(1.0, loss.env_frame_s * 8000.0)) + 2) + 2;
  // The v2 kernels' per-block parameter gradient sums (64 blocks a sound).
  floats += 64 * size_t(kNumParams);
  floats += scratch + 4 * size_t(kNumParams) + size_t(std::max(0, iterations));
  return floats * sizeof(float) + sizeof(OptimizerState) + 64;  // + per-instance offsets and sums
}

size_t gpu_instance_flat_elements(int n_samples, const LossSettings& loss) {
  size_t most = size_t(kFixedInputs) * size_t(n_samples);
  for (const auto& r : loss.resolutions) {
    const ResolutionSizes s = resolution_sizes(n_samples, r);
    most = std::max({most, s.frame_values, s.padded});
  }
  return most;
}

std::vector<GpuGroup> plan_gpu_groups(const std::vector<int>& n_samples, int restarts,
                                      int max_sounds, const LossSettings& loss, int iterations,
                                      const GpuGroupLimits& limits) {
  const size_t per_sound_instances = size_t(std::max(1, restarts));
  const size_t cap = size_t(std::max(1, max_sounds));
  std::vector<GpuGroup> groups;
  size_t first = 0;
  while (first < n_samples.size()) {
    size_t last = first, instances = 0, flat = 0, bytes = 0;
    while (last < n_samples.size() && last - first < cap) {
      const size_t i = per_sound_instances;
      const size_t f = i * gpu_instance_flat_elements(n_samples[last], loss);
      const size_t b = i * gpu_instance_bytes(n_samples[last], loss, iterations);
      if (instances + i > limits.max_instances || flat + f > limits.max_flat_elements ||
          (limits.memory_bytes && bytes + b > limits.memory_bytes))
        break;
      instances += i, flat += f, bytes += b, ++last;
    }
    if (last == first) {  // this sound alone is beyond the limits
      groups.push_back(
          {first, first + 1, false,
           per_sound_instances * gpu_instance_bytes(n_samples[first], loss, iterations)});
      ++first;
      continue;
    }
    groups.push_back({first, last, true, bytes});
    first = last;
  }
  return groups;
}

}  // namespace drumsynth
