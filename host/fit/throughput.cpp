// Throughput measurement: after one warm-up call, the median time of a
// loss-and-gradient call over the batch; on a GPU also the whole fit loop with
// the optimiser on the device, as the batch command's device loop runs it.
#include "drumsynth/throughput.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "cpu/parallel_for.hpp"
#include "drumsynth/backend.hpp"
#include "drumsynth/fit.hpp"
#include "drumsynth/render.hpp"
#if DRUMSYNTH_HAVE_CUDA
#include "cuda_backend.hpp"
#endif

namespace drumsynth {

ThroughputResult measure_throughput(const ThroughputOptions& o) {
  const int n = int(o.seconds * o.sample_rate);
  std::vector<std::vector<float>> targets(static_cast<size_t>(o.batch));
  std::vector<Instance> instances;
  std::vector<float> logits;
  // Targets rendered on every core (a batch of 1024 one-second sounds would
  // otherwise take longer to set up than to measure).
  parallel_for(o.batch, int(std::thread::hardware_concurrency()), [&](int b) {
    targets[size_t(b)] = render(params_from_logits(random_logits(uint64_t(10000 + b))),
                                VoiceSpec{n, o.sample_rate, 1});
  });
  for (int b = 0; b < o.batch; ++b) {
    instances.push_back({&targets[b], o.sample_rate, uint64_t(b)});
    const auto z = random_logits(uint64_t(20000 + b));
    logits.insert(logits.end(), z.begin(), z.end());
  }
  ThroughputResult r;
  const RunPlan plan = o.plan ? *o.plan : resolve_plan(o.device, o.kernels);
  const Device device = plan.device;
  const size_t before = device == Device::cuda ? cuda_bytes_in_use() : 0;
#if DRUMSYNTH_HAVE_CUDA
  if (device == Device::cuda) cuda::reset_device_buffer_peak();
#endif
  auto backend = make_backend(plan, instances, loss_preset(o.loss_preset), o.n_threads);
  std::vector<float> loss(static_cast<size_t>(o.batch)), grad(logits.size());
  backend->loss_and_gradient(logits.data(), loss.data(), grad.data());  // warm-up
  std::vector<double> t;
  for (int i = 0; i < o.iterations; ++i) {
    const auto a = std::chrono::steady_clock::now();
    backend->loss_and_gradient(logits.data(), loss.data(), grad.data());  // returns synchronised
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  const double median = t[t.size() / 2];
  r.ms_per_iteration = 1e3 * median;
  r.ms_min = 1e3 * t.front(), r.ms_max = 1e3 * t.back();
  r.iterations = int(t.size());
  r.sound_iterations_per_s = o.batch / median;
  r.device = "cpu (" + std::to_string(o.n_threads) + " threads)";
  if (device == Device::cuda) {
    r.device = cuda_device_name();
    r.memory_per_sound_mb = double(cuda_bytes_in_use() - before) / o.batch / 1e6;
#if DRUMSYNTH_HAVE_CUDA
    r.peak_memory_per_sound_mb =
        r.memory_per_sound_mb +
        double(cuda::device_buffer_peak_bytes() - cuda::device_buffer_bytes()) / o.batch / 1e6;
    r.spectral = cuda::spectral_path(*backend);
    // The device loop's whole run over the same number of iterations: its
    // first iteration as launches and its capture included, nothing per
    // iteration between host and device. Not for one iteration (a profile's
    // run: there is no graph to replay, and it would double the profile).
    if (o.iterations < 2) return r;
    FitOptions fit;
    fit.iterations = o.iterations;
    try {  // a failure here keeps the figures above, and says so
      const auto a = std::chrono::steady_clock::now();
      cuda::optimize_on_device(*backend, logits, optimizer_config(fit), {});
      r.fit_loop_ms_per_iteration =
          1e3 * std::chrono::duration<double>(std::chrono::steady_clock::now() - a).count() /
          o.iterations;
      r.fit_loop = cuda::device_loop_path(*backend);
    } catch (const std::exception& e) {
      r.fit_loop = std::string("failed: ") + e.what();
    }
#endif
  }
  return r;
}

}  // namespace drumsynth
