// Picks the backend for --device auto|cpu|cuda.
#include "drumsynth/backend.hpp"
#include "drumsynth/common.hpp"
#if DRUMSYNTH_HAVE_CUDA
#include "drumsynth/cuda_device.hpp"
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

std::unique_ptr<Backend> make_backend(const std::string& device,
                                      const std::vector<Instance>& instances,
                                      const LossSettings& loss, int n_threads) {
  if (device != "cpu" && device != "cuda" && device != "auto")
    throw Error("unknown device '" + device + "' (auto, cpu or cuda)");
  std::string why;
  const bool gpu = device != "cpu" && cuda_usable(&why);
  if (device == "cuda" && !gpu) throw Error("--device cuda: " + why);
#if DRUMSYNTH_HAVE_CUDA
  if (gpu) return cuda::make_cuda_backend(instances, loss);
#endif
  return make_cpu_backend(instances, loss, n_threads);
}

}  // namespace drumsynth
