// CPU backend: per instance, synthesis (voice.cpp), the MRSTFT loss and its
// gradient (mrstft_loss.cpp), the synth's adjoint, and the logit map's adjoint;
// the optimiser runs on the host (optimize_on_host).
#include <thread>

#include "drumsynth/backend.hpp"
#include "drumsynth/param_table.hpp"
#include "loss/mrstft_loss.hpp"
#include "synth/voice_tape.hpp"

namespace drumsynth {

namespace {

class CpuBackend final : public Backend {
 public:
  CpuBackend(const std::vector<Instance>& instances, const LossSettings& loss, int n_threads)
      : n_threads_(std::max(1, n_threads)) {
    // With several instances, threads take whole instances; with one, they
    // share its loss resolutions.
    const int per_loss_threads = instances.size() == 1 ? n_threads_ : 1;
    per_voice_threads_ = per_loss_threads;  // likewise the voice's noise and tone branches
    for (const auto& in : instances) {
      State s;
      s.spec.n_samples = int(in.target->size());
      s.spec.sample_rate = in.sample_rate;
      s.spec.noise_seed = in.noise_seed;
      s.loss =
          std::make_unique<MrstftLoss<float>>(loss, in.sample_rate, *in.target, per_loss_threads);
      states_.push_back(std::move(s));
    }
  }
  int n_instances() const override { return int(states_.size()); }
  std::string name() const override { return "cpu"; }

  void loss_and_gradient(const float* logits, float* loss, float* v_logits) override {
    run(logits, loss, v_logits);
  }
  void loss_only(const float* logits, float* loss) override { run(logits, loss, nullptr); }
  std::vector<InstanceFit> optimize(std::vector<float> logits, const OptimizerConfig& config,
                                    const FitControl& control) override {
    return optimize_on_host(*this, std::move(logits), config, control);
  }

 private:
  struct State {
    VoiceSpec spec;
    std::unique_ptr<MrstftLoss<float>> loss;
    VoiceTape<float> tape;
    std::vector<float> v_audio;
  };

  void one(int i, const float* logits, float* loss, float* v_logits) {
    State& s = states_[i];
    const std::vector<float> z(logits + size_t(i) * kNumParams,
                               logits + size_t(i + 1) * kNumParams);
    const std::vector<float> p = params_from_logits(z);
    render_voice(p.data(), s.spec, s.tape, per_voice_threads_);
    if (!v_logits) {
      loss[i] = s.loss->loss(s.tape.out);
      return;
    }
    loss[i] = s.loss->loss_and_gradient(s.tape.out, s.v_audio);
    std::vector<float> v_p(kNumParams, 0.0f);
    render_voice_vjp(p.data(), s.spec, s.tape, s.v_audio.data(), v_p.data(), per_voice_threads_);
    const std::vector<float> v_z = params_from_logits_vjp(z, p, v_p);
    std::copy(v_z.begin(), v_z.end(), v_logits + size_t(i) * kNumParams);
  }

  void run(const float* logits, float* loss, float* v_logits) {
    const int n = n_instances();
    const int T = std::min(n_threads_, n);
    if (T <= 1) {
      for (int i = 0; i < n; ++i) one(i, logits, loss, v_logits);
      return;
    }
    std::vector<std::thread> threads;
    for (int t = 0; t < T; ++t)
      threads.emplace_back([&, t] {
        for (int i = t; i < n; i += T) one(i, logits, loss, v_logits);
      });
    for (auto& th : threads) th.join();
  }

  int n_threads_;
  int per_voice_threads_ = 1;
  std::vector<State> states_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const std::vector<Instance>& instances,
                                          const LossSettings& loss, int n_threads) {
  return std::make_unique<CpuBackend>(instances, loss, n_threads);
}

}  // namespace drumsynth
