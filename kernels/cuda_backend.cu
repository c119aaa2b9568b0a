// The CUDA backend: a batch of instances fitted at once on one GPU. Per call:
// logits -> parameters, synthesis, MRSTFT loss and its gradient, synthesis
// adjoint, parameters -> logits adjoint; only the logits go up and the losses
// and gradients come down. optimize runs the whole fit, with the optimiser on
// the host (every gradient comes down) or, with DRUMSYNTH_DEVICE_OPTIMIZER=1,
// on the device (nothing comes down but the loss for the progress line; after
// the first iteration each one is a replayed CUDA graph).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>

#include "cuda_backend.hpp"
#include "cuda_common.cuh"
#include "drumsynth/backend.hpp"
#include "drumsynth/switches.hpp"
#include "drumsynth/synth/voice_program.hpp"
#include "mrstft_loss.cuh"
#include "synth_kernels.cuh"
#include "v2/cuda_graph.cuh"
#include "v2/optimizer_kernels.cuh"

namespace drumsynth::cuda {

namespace {

#if defined(DRUMSYNTH_CUDA_SYNC_CHECKS)
constexpr bool kSyncChecks = true;
#else
constexpr bool kSyncChecks = false;
#endif

// How often the device loop looks whether every instance has converged (a
// synchronisation each time: rarely enough that the replayed graph runs on).
constexpr int kStopCheckIterations = 10;

class CudaBackend final : public Backend {
 public:
  CudaBackend(const std::vector<Instance>& instances, const LossSettings& loss,
              const CudaBackendTables& tables)
      : switches_(tables.switches) {
    upload_param_ranges(tables.param_ranges.data());
    if (tables.kernels == Kernels::v2) {
      recurrences_.kind = Recurrences::v2_scan;
      if (switches_.resonator_lane_samples)
        recurrences_.resonator_lane_samples = switches_.resonator_lane_samples;
    }
    B_ = int(instances.size());
    std::vector<int> offset{0};
    std::vector<float> rates, target;
    std::vector<uint64_t> seeds;
    for (const auto& in : instances) {
      offset.push_back(offset.back() + int(in.target->size()));
      rates.push_back(float(in.sample_rate));
      seeds.push_back(in.noise_seed);
      target.insert(target.end(), in.target->begin(), in.target->end());
      max_n_ = std::max(max_n_, int(in.target->size()));
    }
    const size_t total = size_t(offset.back());
    offset_.upload(offset), rate_.upload(rates), seed_.upload(seeds), target_.upload(target);
    for (auto* b : {&low_, &band_, &source_, &res_y_, &res_h_, &out_, &v_out_, &v_mix_, &v_res_y_})
      b->resize(total);
    fixed_.resize(total * size_t(kFixedInputs));
    if (recurrences_.kind == Recurrences::v2_scan)
      block_grads_.resize(size_t(B_) * kSampleBlocks * kNumParams);
    const size_t np = size_t(B_) * kNumParams;
    logits_.resize(np), params_.resize(np), v_params_.resize(np), v_logits_.resize(np);
    loss_.resize(size_t(B_));
    std::vector<double> sample_rates;
    for (const auto& in : instances) sample_rates.push_back(in.sample_rate);
    const bool fused = tables.kernels == Kernels::v2 && switches_.fused_spectral;
    mrstft_ = std::make_unique<GpuMrstft>(loss, offset, sample_rates, tables.a_weighting_taps,
                                          target_.get(), fused, switches_);
    make_fixed_inputs(view(), fixed_.get());
    target_.resize(0);  // the loss keeps what it needs of the target (its spectra and norms)
  }

  int n_instances() const override { return B_; }
  std::string name() const override { return "cuda"; }

  void loss_and_gradient(const float* logits, float* loss, float* v_logits) override {
    run(logits, loss, v_logits);
  }
  void loss_only(const float* logits, float* loss) override { run(logits, loss, nullptr); }
  std::vector<InstanceFit> optimize(std::vector<float> logits, const OptimizerConfig& config,
                                    const FitControl& control) override {
    if (switches_.device_optimizer) return optimize_on_device(std::move(logits), config, control);
    return optimize_on_host(*this, std::move(logits), config, control);
  }

  // The fit with the optimiser on the device: per iteration the gradient
  // chain, then optimizer_step for every instance; the losses stay in a
  // device history, downloaded every progress_every iterations for the
  // progress line and once at the end. The first iteration runs as launches;
  // the rest replay it as a CUDA graph (device_loop_graph) when it captures.
  std::vector<InstanceFit> optimize_on_device(std::vector<float> logits,
                                              const OptimizerConfig& config,
                                              const FitControl& control) {
    DS_CHECK(logits.size() == size_t(B_) * kNumParams);
    const auto start = std::chrono::steady_clock::now();
    logits_.upload(logits);
    DeviceBuffer<OptimizerState> states{size_t(B_)};
    DeviceBuffer<float> history{size_t(std::max(1, config.iterations)) * size_t(B_)};
    DeviceBuffer<int> iteration{1}, running{1};
    iteration.zero();
    loop_path_ = "launches (one iteration)";  // until device_loop_graph says otherwise
    cuda::optimizer_init(config, states.get(), B_);
    const auto one_iteration = [&] {
      gradient_on_device();
      cuda::optimizer_step(config, states.get(), iteration.get(), loss_.get(), v_logits_.get(),
                           logits_.get(), history.get(), B_);
    };
    std::unique_ptr<CapturedLaunches> graph;  // after the buffers it points into: destroyed first
    int done = 0;
    for (; done < config.iterations; ++done) {
      const int it = done;
      if (control.stop && control.stop->load()) throw Interrupted();
      if (finish_requested(control)) break;
      if (graph) {
        graph->launch();
      } else {
        one_iteration();
        if (it == 0 && config.iterations > 1) graph = device_loop_graph(one_iteration);
      }
      if (detail::progress_due(control, it + 1, config.iterations))
        detail::report_progress(control, it + 1, config.iterations, loss_.download(),
                                states.download(), start);
      // The host loop's rule (optimize_on_host): the batch stops once every
      // instance has converged; looked at every kStopCheckIterations, so a
      // batch runs at most that many iterations more than the host's would
      // (converged instances change no more, and their histories end where
      // they stopped: the results are the same).
      if (config.stop_window > 0 && (it + 1) % kStopCheckIterations == 0 &&
          cuda::running_instances(states.get(), B_, running.get()) == 0) {
        done = it + 1;
        break;
      }
    }
    const std::vector<OptimizerState> s = states.download();
    const std::vector<float> h = history.download(), last = logits_.download();
    std::vector<InstanceFit> results(static_cast<size_t>(B_));
    for (int b = 0; b < B_; ++b) {
      InstanceFit& r = results[b];
      for (int it = 0; it < done; ++it) r.loss_history.push_back(h[size_t(it) * B_ + b]);
      r.initial_loss = r.loss_history.empty() ? 0.0 : r.loss_history[0];
      detail::finish_instance_fit(r, s[b], last.data() + size_t(b) * kNumParams);
    }
    return results;
  }

  // The device loop's iteration as a CUDA graph, or null (the launches run
  // as they are) when graphs are off (DRUMSYNTH_CUDA_GRAPH=0), the build
  // synchronises after every kernel, the loss runs the cuFFT chain (its plans
  // are on the legacy stream, which no capture takes), or the capture fails.
  std::unique_ptr<CapturedLaunches> device_loop_graph(const std::function<void()>& one_iteration) {
    std::unique_ptr<CapturedLaunches> graph;
    if (!switches_.cuda_graph) {
      loop_path_ = "launches (DRUMSYNTH_CUDA_GRAPH=0)";
    } else if (kSyncChecks) {
      loop_path_ = "launches (this build synchronises after every kernel)";
    } else if (!mrstft_->fused()) {
      loop_path_ = "launches (the loss runs the cuFFT chain)";
    } else {
      graph = std::make_unique<CapturedLaunches>(one_iteration);
      if (graph->captured()) {
        loop_path_ = "CUDA graph";
        return graph;
      }
      loop_path_ = "launches (the capture failed: " + graph->why_not() + ")";
      graph.reset();
      static bool said = false;  // once per process: a batch runs a loop per GPU batch
      if (!said)
        std::fprintf(stderr, "drumsynth: the device loop runs without a CUDA graph: %s\n",
                     loop_path_.c_str());
      said = true;
    }
    return graph;
  }

  const std::string& device_loop_path() const { return loop_path_; }
  const std::string& spectral_path() const { return mrstft_->spectral_path(); }

  BackendTrace trace(const std::vector<float>& logits, const std::vector<float>& audio_in,
                     const std::vector<float>& v_audio_in) {
    DS_CHECK(logits.size() == logits_.size() && audio_in.size() == out_.size() &&
             v_audio_in.size() == out_.size());
    BackendTrace t;
    logits_.upload(logits);
    params_from_logits(logits_.get(), params_.get(), B_);
    synth_forward(view(), max_n_, tape(), recurrences_);
    t.params = params_.download();
    t.audio = out_.download();
    DeviceBuffer<float> given;
    given.upload(audio_in);
    mrstft_->evaluate(given.get(), loss_.get(), v_out_.get());
    t.loss = loss_.download();
    t.v_audio = v_out_.download();
    v_out_.upload(v_audio_in);
    v_params_.zero();
    synth_adjoint(view(), max_n_, tape(), v_out_.get(), adjoint_scratch(), v_params_.get(),
                  recurrences_);
    t.v_params = v_params_.download();
    return t;
  }

 private:
  BatchView view() const { return {B_, offset_.get(), rate_.get(), seed_.get(), params_.get()}; }
  SynthTape tape() const {
    // res_in in v_res_y's buffer (SynthTape says why)
    return {low_.get(),     band_.get(),  fixed_.get(), source_.get(),
            v_res_y_.get(), res_y_.get(), res_h_.get(), out_.get()};
  }
  SynthAdjointScratch adjoint_scratch() const {
    // v_band in v_out's buffer, which the adjoint reads only there (SynthAdjointScratch)
    return {v_mix_.get(), v_out_.get(), v_res_y_.get(), block_grads_.get()};
  }

  // loss_ and v_logits_ at logits_, all on the device.
  void gradient_on_device() {
    params_from_logits(logits_.get(), params_.get(), B_);
    synth_forward(view(), max_n_, tape(), recurrences_);
    mrstft_->evaluate(out_.get(), loss_.get(), v_out_.get());
    v_params_.zero();
    synth_adjoint(view(), max_n_, tape(), v_out_.get(), adjoint_scratch(), v_params_.get(),
                  recurrences_);
    params_from_logits_vjp(logits_.get(), params_.get(), v_params_.get(), v_logits_.get(), B_);
  }

  void run(const float* logits, float* loss, float* v_logits) {
    const size_t np = size_t(B_) * kNumParams;
    CUDA_CHECK(cudaMemcpy(logits_.get(), logits, np * sizeof(float), cudaMemcpyHostToDevice));
    if (v_logits) {
      gradient_on_device();
      CUDA_CHECK(cudaMemcpy(v_logits, v_logits_.get(), np * sizeof(float), cudaMemcpyDeviceToHost));
    } else {
      params_from_logits(logits_.get(), params_.get(), B_);
      synth_forward(view(), max_n_, tape(), recurrences_);
      mrstft_->evaluate(out_.get(), loss_.get(), nullptr);
    }
    CUDA_CHECK(cudaMemcpy(loss, loss_.get(), size_t(B_) * sizeof(float), cudaMemcpyDeviceToHost));
  }

  int B_ = 0, max_n_ = 0;
  const Switches switches_;  // the plan's (run_plan.hpp): first, the constructor reads it
  RecurrenceKernels recurrences_;
  DeviceBuffer<int> offset_;
  DeviceBuffer<float> rate_, target_;
  DeviceBuffer<uint64_t> seed_;
  DeviceBuffer<float> low_, band_, fixed_, source_, res_y_, res_h_, out_;
  DeviceBuffer<float> v_out_, v_mix_, v_res_y_;
  DeviceBuffer<float> block_grads_;  // v2: per-block parameter gradient sums (SynthAdjointScratch)
  DeviceBuffer<float> logits_, params_, v_params_, v_logits_, loss_;
  std::unique_ptr<GpuMrstft> mrstft_;
  std::string loop_path_ = "not run";  // how the last device loop ran (device_loop_path)
};

}  // namespace

std::vector<InstanceFit> optimize_on_device(Backend& cuda_backend, std::vector<float> logits,
                                            const OptimizerConfig& config,
                                            const FitControl& control) {
  auto* b = dynamic_cast<CudaBackend*>(&cuda_backend);
  if (!b) throw Error("optimize_on_device: not a CUDA backend");
  return b->optimize_on_device(std::move(logits), config, control);
}

std::string device_loop_path(Backend& cuda_backend) {
  auto* b = dynamic_cast<CudaBackend*>(&cuda_backend);
  if (!b) throw Error("device_loop_path: not a CUDA backend");
  return b->device_loop_path();
}

std::string spectral_path(Backend& cuda_backend) {
  auto* b = dynamic_cast<CudaBackend*>(&cuda_backend);
  if (!b) throw Error("spectral_path: not a CUDA backend");
  return b->spectral_path();
}

BackendTrace trace_cuda_backend(Backend& cuda_backend, const std::vector<float>& logits,
                                const std::vector<float>& audio_in,
                                const std::vector<float>& v_audio_in) {
  auto* b = dynamic_cast<CudaBackend*>(&cuda_backend);
  if (!b) throw Error("trace_cuda_backend: not a CUDA backend");
  return b->trace(logits, audio_in, v_audio_in);
}

std::unique_ptr<Backend> make_cuda_backend(const std::vector<Instance>& instances,
                                           const LossSettings& loss,
                                           const CudaBackendTables& tables) {
  std::string why;
  if (!device_available(&why)) throw Error("--device cuda: " + why);
  if (loss.a_weighting && tables.a_weighting_taps.size() != instances.size())
    throw Error("CUDA backend: A-weighting taps for " +
                std::to_string(tables.a_weighting_taps.size()) + " of " +
                std::to_string(instances.size()) + " instances");
  return std::make_unique<CudaBackend>(instances, loss, tables);
}

}  // namespace drumsynth::cuda
