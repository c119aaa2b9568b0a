// Where and how the work runs, decided once at the top (the command line, or
// a library entry point whose caller gave no plan) and passed down as one
// value: the device resolved, the GPU's kernels and the developer switches
// read. Nothing below the top reads the environment or picks a device.
#pragma once

#include "drumsynth/backend.hpp"
#include "drumsynth/switches.hpp"

namespace drumsynth {

struct RunPlan {
  Device device = Device::cpu;
  Kernels kernels = Kernels::v1;  // the GPU's
  Switches switches;              // the developer switches, as read with the plan
  // Whether sounds are fitted in backend batches (fit_sounds): on a GPU, or
  // with DRUMSYNTH_BATCHES_ON_CPU=1 the same batching on the CPU backend (tests).
  bool batches() const { return device == Device::cuda || switches.batches_on_cpu; }
};

// The plan for a user's choice of device and kernels: the device resolved
// (resolve_device: throws drumsynth::Error for cuda without a usable GPU) and
// the switches read from the environment (read_switches). The only caller of either.
RunPlan resolve_plan(DeviceChoice device, Kernels kernels);

// The backend of a plan's device (n_threads: the CPU's; the kernels and the
// switches: the GPU's).
std::unique_ptr<Backend> make_backend(const RunPlan& plan, const std::vector<Instance>& instances,
                                      const LossSettings& loss, int n_threads = 1);

}  // namespace drumsynth
