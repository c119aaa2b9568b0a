// The seam between the fitting driver and the compute: a backend holds a batch
// of instances (each a target sound with its rate, length, noise seed and loss)
// and, for given logits, returns every instance's loss and dL/dlogits. The CPU
// backend (host/) and the CUDA backend (kernels/) implement it; the fitting
// driver only talks to this interface.
#pragma once

#include <stdint.h>

#include <memory>
#include <string>
#include <vector>

#include "drumsynth/loss_settings.hpp"
#include "drumsynth/params.hpp"

namespace drumsynth {

struct Instance {
  const std::vector<float>* target;  // mono samples; must outlive the backend
  double sample_rate;
  uint64_t noise_seed;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual int n_instances() const = 0;
  // logits, v_logits: [n_instances * kNumParams]; loss: [n_instances].
  virtual void loss_and_gradient(const float* logits, float* loss, float* v_logits) = 0;
  virtual void loss_only(const float* logits, float* loss) = 0;
  virtual std::string name() const = 0;
};

// CPU backend; n_threads splits the work of each instance (and instances among threads).
std::unique_ptr<Backend> make_cpu_backend(const std::vector<Instance>& instances,
                                          const LossSettings& loss, int n_threads = 1);

// Whether the CUDA backend can run here; otherwise false with the reason.
bool cuda_usable(std::string* why);

// "cpu", "cuda" (throws drumsynth::Error when no GPU is usable) or "auto" (the
// GPU when one is usable).
std::unique_ptr<Backend> make_backend(const std::string& device,
                                      const std::vector<Instance>& instances,
                                      const LossSettings& loss, int n_threads = 1);

}  // namespace drumsynth
