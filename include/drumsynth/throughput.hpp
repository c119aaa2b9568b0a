// `drumsynth bench`: fit-iteration throughput of a backend on a batch of
// synthetic sounds (rendered from seeded random presets).
#pragma once

#include <optional>
#include <string>

#include "drumsynth/loss_settings.hpp"
#include "drumsynth/run_plan.hpp"

namespace drumsynth {

struct ThroughputOptions {
  int batch = 1;
  double seconds = 1.0;
  double sample_rate = 48000;
  int iterations = 20;
  LossPreset loss_preset = LossPreset::seed;
  DeviceChoice device = DeviceChoice::automatic;
  Kernels kernels = Kernels::v1;  // GPU kernels (make_backend)
  int n_threads = 1;
  std::optional<RunPlan> plan;  // when the caller resolved it; else from device and kernels
};

struct ThroughputResult {
  std::string device;             // "cpu (N threads)" or the GPU's name
  double ms_per_iteration = 0;    // median over iterations, the whole batch
  double ms_min = 0, ms_max = 0;  // the spread of the timed iterations
  int iterations = 0;
  double sound_iterations_per_s = 0;
  double memory_per_sound_mb = 0;  // GPU only, 0 on the CPU: in use while fitting
  // GPU only: the most in use at once, the backend's set-up included (its
  // buffers' peak over what they hold while fitting, added to the above).
  double peak_memory_per_sound_mb = 0;
  // GPU only: the fit loop with the optimiser on the device, per iteration
  // (the mean over `iterations`), and how it ran ("CUDA graph" or "launches (why)").
  double fit_loop_ms_per_iteration = 0;
  std::string fit_loop;
  std::string spectral;  // GPU only: the loss's spectral path and plan (cuda::spectral_path)
};

ThroughputResult measure_throughput(const ThroughputOptions& o);

}  // namespace drumsynth
