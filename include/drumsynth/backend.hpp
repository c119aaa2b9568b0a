// The seam between the fitting engine and the compute: a backend holds a batch
// of instances (each a target sound with its rate, length, noise seed and
// loss) and, for given logits, returns every instance's loss and dL/dlogits;
// given starting logits and optimiser settings, it runs the whole fit of the
// batch. The CPU backend (host/) and the CUDA backend (kernels/) implement it;
// the fitting engine (fit.hpp) only talks to this interface.
#pragma once

#include <stdint.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "drumsynth/loss_settings.hpp"
#include "drumsynth/names.hpp"
#include "drumsynth/optimizer.hpp"

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
  virtual std::string name() const = 0;
  // logits, v_logits: [n_instances * kNumParams]; loss: [n_instances].
  virtual void loss_and_gradient(const float* logits, float* loss, float* v_logits) = 0;
  virtual void loss_only(const float* logits, float* loss) = 0;
  // Fits every instance from logits [n_instances * kNumParams] for
  // config.iterations steps of optimizer_step; best logits, best and initial
  // loss and the loss history per instance.
  virtual std::vector<InstanceFit> optimize(std::vector<float> logits,
                                            const OptimizerConfig& config,
                                            const FitControl& control) = 0;
};

// Where the compute runs, as a user asks (automatic: the GPU when one is
// usable) and as resolve_device decides (run_plan.hpp's resolve_plan calls it
// once at the top): it throws drumsynth::Error for cuda without a usable GPU.
enum class DeviceChoice { automatic, cpu, cuda };
enum class Device { cpu, cuda };
Device resolve_device(DeviceChoice choice);
template <>
struct Names<DeviceChoice> {
  static constexpr const char* what = "device";
  static constexpr std::array<std::pair<const char*, DeviceChoice>, 3> table{
      {{"auto", DeviceChoice::automatic},
       {"cpu", DeviceChoice::cpu},
       {"cuda", DeviceChoice::cuda}}};
};

// The GPU's kernels: v1, one thread per sound for the recurrences and the
// cuFFT chain for the loss; v2, the recurrences as scans over samples and,
// in builds with cuFFTDx, the fused spectral kernels.
enum class Kernels { v1, v2 };
template <>
struct Names<Kernels> {
  static constexpr const char* what = "kernels";
  static constexpr std::array<std::pair<const char*, Kernels>, 2> table{
      {{"v1", Kernels::v1}, {"v2", Kernels::v2}}};
};

// Whether the CUDA backend can run here; otherwise false with the reason.
bool cuda_usable(std::string* why);

// The GPU's name, and the bytes of its memory in use (for memory-per-sound
// figures); empty and 0 without one.
std::string cuda_device_name();
size_t cuda_bytes_in_use();
// Bytes of GPU memory free now; 0 without one.
size_t cuda_bytes_free();

// Makes GPU `index` modulo the visible GPUs this process's device (one GPU per
// rank of a scale-out batch); nothing without a GPU.
void use_cuda_device(int index);

// CPU backend; n_threads split the work of each instance (and instances among threads).
std::unique_ptr<Backend> make_cpu_backend(const std::vector<Instance>& instances,
                                          const LossSettings& loss, int n_threads = 1);

namespace detail {

inline double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Whether the progress callback is due after `done` iterations.
inline bool progress_due(const FitControl& control, int done, int iterations) {
  return control.progress && (done % control.progress_every == 0 || done == iterations);
}

// The progress line's figures: the median loss now and the median best.
inline void report_progress(const FitControl& control, int done, int iterations,
                            const std::vector<float>& loss,
                            const std::vector<OptimizerState>& states,
                            std::chrono::steady_clock::time_point start) {
  std::vector<double> best;
  for (const auto& s : states) best.push_back(s.best_loss);
  const double elapsed = seconds_since(start);
  control.progress({done, iterations, median(std::vector<double>(loss.begin(), loss.end())),
                    median(best), elapsed, elapsed / done * (iterations - done)});
}

// An instance's result from its final optimiser state; with no finite loss at
// all (or no iterations), its last logits (`last`, [kNumParams]). A converged
// instance's history ends where it stopped (the batch may have run on).
inline void finish_instance_fit(InstanceFit& r, const OptimizerState& s, const float* last) {
  r.best_loss = s.best_loss, r.best_iteration = s.best_iteration, r.skipped_steps = s.skipped_steps;
  if (s.stopped_after > 0 && r.loss_history.size() > size_t(s.stopped_after))
    r.loss_history.resize(size_t(s.stopped_after));
  if (is_finite_loss(s.best_loss))
    r.best_logits.assign(s.best_logits, s.best_logits + kNumParams);
  else
    r.best_logits.assign(last, last + kNumParams);
}

}  // namespace detail

// The optimiser loop on the host, for backends that keep it there: per
// iteration one loss_and_gradient call for the batch, then optimizer_step for
// each instance. Inline, so the CUDA library uses it without linking back to
// the host library.
inline std::vector<InstanceFit> optimize_on_host(Backend& backend, std::vector<float> logits,
                                                 const OptimizerConfig& config,
                                                 const FitControl& control) {
  const size_t B = size_t(backend.n_instances());
  DS_CHECK(logits.size() == B * kNumParams);
  const auto start = std::chrono::steady_clock::now();
  std::vector<OptimizerState> state(B);
  for (auto& s : state) optimizer_init(config, s);
  std::vector<InstanceFit> results(B);
  std::vector<float> loss(B), grad(logits.size());
  for (int it = 0; it < config.iterations; ++it) {
    if (control.stop && control.stop->load()) throw Interrupted();
    if (finish_requested(control)) break;
    backend.loss_and_gradient(logits.data(), loss.data(), grad.data());
    for (size_t b = 0; b < B; ++b) {
      if (it == 0) results[b].initial_loss = loss[b];
      results[b].loss_history.push_back(loss[b]);
      optimizer_step(config, state[b], it, loss[b], grad.data() + b * kNumParams,
                     logits.data() + b * kNumParams);
    }
    if (detail::progress_due(control, it + 1, config.iterations))
      detail::report_progress(control, it + 1, config.iterations, loss, state, start);
    if (std::all_of(state.begin(), state.end(),
                    [](const OptimizerState& s) { return s.stopped_after > 0; }))
      break;
  }
  for (size_t b = 0; b < B; ++b)
    detail::finish_instance_fit(results[b], state[b], logits.data() + b * kNumParams);
  return results;
}

}  // namespace drumsynth
