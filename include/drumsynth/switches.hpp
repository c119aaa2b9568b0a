// Developer switches: environment variables that choose between two
// implementations of the same computation, to measure one against the other
// on a device, or to run one path on another backend in a test. None is a
// user setting (those are FitOptions); docs/architecture.md lists them.
// read_switches() is the only reader of the environment for them. Inline, so
// the CUDA library reads them without linking the host library.
#pragma once

#include <stdlib.h>

#include <string>

namespace drumsynth {

struct Switches {
  // DRUMSYNTH_BATCHES_ON_CPU=1: the GPU path's batching (fit_sounds) on the
  // CPU backend, so tests cover it without a GPU.
  bool batches_on_cpu = false;
  // DRUMSYNTH_PARTIALS=pencil: the analysis reads the partials with the
  // matrix pencil (damped_sinusoids.hpp) instead of the dechirped peaks.
  bool partials_by_pencil = false;
  // DRUMSYNTH_FUSED=0: the v2 kernels' loss on the cuFFT chain, to tell a
  // fault of the fused spectral kernels from one of the scans.
  bool fused_spectral = true;
  // DRUMSYNTH_FUSED_PLAN=fixed: the fused kernels' fixed runs instead of the
  // planned ones (fused_stft_plan.hpp), to measure what the plan gains.
  bool fused_plan_fixed = false;
  // DRUMSYNTH_FUSED_PLAN=occupancy: the plan at the two longest FFTs keeps
  // the fixed plan's blocks an SM, instead of taking longer runs (fewer halo
  // frames) down to one block an SM.
  bool fused_plan_long = true;
  // DRUMSYNTH_FUSED_FFT=normal: the fused kernels' FFTs in cuFFTDx's
  // real_mode::normal instead of real_mode::folded (half the FFT work and
  // shared memory of normal).
  bool fused_fft_folded = true;
  // DRUMSYNTH_FUSED_OLA=memory: at the two longest FFTs, the fused kernel's
  // overlap-add in device memory instead of shared memory, so one run holds a
  // whole sound and no halo frame is transformed twice.
  bool fused_ola_memory = false;
  // DRUMSYNTH_FUSED_FAST_MATH=1: the fused kernel's per-bin logarithms and
  // divisions as the GPU's fast intrinsics (fused_stft.hpp bin_log, bin_div).
  bool fused_fast_math = false;
  // DRUMSYNTH_RESONATOR_LANE_SAMPLES=1..8: samples a lane walks in a v2
  // resonator block; 0 (unset or out of range): the kernel's own.
  int resonator_lane_samples = 0;
  // DRUMSYNTH_DEVICE_OPTIMIZER=1: the CUDA backend's optimiser on the device.
  bool device_optimizer = false;
  // DRUMSYNTH_CUDA_GRAPH=0: the device loop's iterations as launches, not a
  // replayed CUDA graph.
  bool cuda_graph = true;
};

// The switches as the environment sets them now (read again at each call:
// a test sets one between two backends).
inline Switches read_switches() {
  const auto is = [](const char* name, const char* value) {
    const char* v = getenv(name);
    return v && std::string(v) == value;
  };
  Switches s;
  s.batches_on_cpu = is("DRUMSYNTH_BATCHES_ON_CPU", "1");
  s.partials_by_pencil = is("DRUMSYNTH_PARTIALS", "pencil");
  s.fused_spectral = !is("DRUMSYNTH_FUSED", "0");
  s.fused_plan_fixed = is("DRUMSYNTH_FUSED_PLAN", "fixed");
  s.fused_plan_long = !is("DRUMSYNTH_FUSED_PLAN", "occupancy");
  s.fused_fft_folded = !is("DRUMSYNTH_FUSED_FFT", "normal");
  s.fused_ola_memory = is("DRUMSYNTH_FUSED_OLA", "memory");
  s.fused_fast_math = is("DRUMSYNTH_FUSED_FAST_MATH", "1");
  if (const char* lanes = getenv("DRUMSYNTH_RESONATOR_LANE_SAMPLES")) {
    const int k = atoi(lanes);
    s.resonator_lane_samples = k >= 1 && k <= 8 ? k : 0;
  }
  s.device_optimizer = is("DRUMSYNTH_DEVICE_OPTIMIZER", "1");
  s.cuda_graph = !is("DRUMSYNTH_CUDA_GRAPH", "0");
  return s;
}

// The switches that differ from their defaults, "NAME=value ..." (empty for
// none), for the benchmarks' records of what a row ran with.
inline std::string describe_switches(const Switches& s) {
  const Switches d;
  std::string out;
  const auto add = [&](bool differs, const std::string& text) {
    if (differs) out += (out.empty() ? "" : " ") + text;
  };
  add(s.batches_on_cpu != d.batches_on_cpu, "DRUMSYNTH_BATCHES_ON_CPU=1");
  add(s.partials_by_pencil != d.partials_by_pencil, "DRUMSYNTH_PARTIALS=pencil");
  add(s.fused_spectral != d.fused_spectral, "DRUMSYNTH_FUSED=0");
  add(s.fused_plan_fixed != d.fused_plan_fixed, "DRUMSYNTH_FUSED_PLAN=fixed");
  add(s.fused_plan_long != d.fused_plan_long, "DRUMSYNTH_FUSED_PLAN=occupancy");
  add(s.fused_fft_folded != d.fused_fft_folded, "DRUMSYNTH_FUSED_FFT=normal");
  add(s.fused_ola_memory != d.fused_ola_memory, "DRUMSYNTH_FUSED_OLA=memory");
  add(s.fused_fast_math != d.fused_fast_math, "DRUMSYNTH_FUSED_FAST_MATH=1");
  add(s.resonator_lane_samples != d.resonator_lane_samples,
      "DRUMSYNTH_RESONATOR_LANE_SAMPLES=" + std::to_string(s.resonator_lane_samples));
  add(s.device_optimizer != d.device_optimizer, "DRUMSYNTH_DEVICE_OPTIMIZER=1");
  add(s.cuda_graph != d.cuda_graph, "DRUMSYNTH_CUDA_GRAPH=0");
  return out;
}

}  // namespace drumsynth
