// The one place that decides where the compute runs (--device auto|cpu|cuda)
// and reads the developer switches (resolve_plan), and builds a plan's
// backend, handing the CUDA library the host's tables and the switches.
#include "drumsynth/backend.hpp"

#include "drumsynth/param_table.hpp"
#include "drumsynth/run_plan.hpp"
#include "loss/a_weighting.hpp"
#if DRUMSYNTH_HAVE_CUDA
#include "cuda_backend.hpp"
#endif

namespace drumsynth {

bool cuda_usable(std::string* why) {
#if DRUMSYNTH_HAVE_CUDA
  return cuda::device_available(why);
#else
  if (why) *why = "this drumsynth was built without CUDA";
  return false;
#endif
}

Device resolve_device(DeviceChoice choice) {
  if (choice == DeviceChoice::cpu) return Device::cpu;
  std::string why;
  if (cuda_usable(&why)) return Device::cuda;
  if (choice == DeviceChoice::cuda) throw Error("--device cuda: " + why);
  return Device::cpu;
}

std::string cuda_device_name() {
#if DRUMSYNTH_HAVE_CUDA
  if (cuda_usable(nullptr)) return cuda::device_name();
#endif
  return "";
}

size_t cuda_bytes_in_use() {
#if DRUMSYNTH_HAVE_CUDA
  if (cuda_usable(nullptr)) return cuda::device_bytes_in_use();
#endif
  return 0;
}

size_t cuda_bytes_free() {
#if DRUMSYNTH_HAVE_CUDA
  if (cuda_usable(nullptr)) return cuda::device_bytes_free();
#endif
  return 0;
}

void use_cuda_device(int index) {
#if DRUMSYNTH_HAVE_CUDA
  if (cuda_usable(nullptr)) cuda::set_device(index);
#else
  (void)index;
#endif
}

RunPlan resolve_plan(DeviceChoice device, Kernels kernels) {
  return {resolve_device(device), kernels, read_switches()};
}

std::unique_ptr<Backend> make_backend(const RunPlan& plan, const std::vector<Instance>& instances,
                                      const LossSettings& loss, int n_threads) {
#if DRUMSYNTH_HAVE_CUDA
  if (plan.device == Device::cuda) {
    cuda::CudaBackendTables tables{param_ranges(), {}, plan.kernels, plan.switches};
    if (loss.a_weighting)
      for (const auto& in : instances)
        tables.a_weighting_taps.push_back(a_weighting_fir(in.sample_rate));
    return cuda::make_cuda_backend(instances, loss, tables);
  }
#endif
  if (plan.device == Device::cuda)
    throw Error("--device cuda: this drumsynth was built without CUDA");
  return make_cpu_backend(instances, loss, n_threads);
}

}  // namespace drumsynth
