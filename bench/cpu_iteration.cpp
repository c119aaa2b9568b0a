// Times one fit iteration (synthesis, loss, gradient, adjoint) of a 1.0 s,
// 48 kHz sound on the CPU, for both loss presets and 1 and 2 threads, and the
// share of it spent in the loss (FFTs, framing) versus the synth.
// Writes a markdown table to stdout (scripts/bench-cpu saves it to bench/results/cpu.md).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "drumsynth/backend.hpp"
#include "drumsynth/param_table.hpp"
#include "voice_tape.hpp"
#include "drumsynth/fit.hpp"
#include "mrstft_loss.hpp"

using namespace drumsynth;
using Clock = std::chrono::steady_clock;

template <typename F>
double median_seconds(F&& f, int reps) {
  f();  // warm-up
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto a = Clock::now();
    f();
    t.push_back(std::chrono::duration<double>(Clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 9;
  const double sr = 48000.0;
  const int n = 48000;
  // Target: a fixed random preset rendered; estimate: another.
  const auto z_target = random_logits(1), z_est = random_logits(2);
  const auto target = render(params_from_logits(z_target), VoiceSpec{n, sr, 1});
  std::printf("| loss preset | threads | ms / iteration | synth + adjoint ms | loss + gradient ms | loss share |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (const char* preset : {"seed", "auraloss"}) {
    for (int threads : {1, 2}) {
      const std::vector<Instance> inst = {{&target, sr, 7}};
      auto backend = make_cpu_backend(inst, loss_preset(preset), threads);
      std::vector<float> loss(1), grad(kNumParams);
      const double t_iter = median_seconds(
          [&] { backend->loss_and_gradient(z_est.data(), loss.data(), grad.data()); }, reps);
      // The loss alone on a fixed signal, to split the time.
      MrstftLoss<float> l(loss_preset(preset), sr, target, threads);
      const auto x = render(params_from_logits(z_est), VoiceSpec{n, sr, 7});
      std::vector<float> v;
      const double t_loss = median_seconds([&] { l.loss_and_gradient(x, v); }, reps);
      std::printf("| %s | %d | %.1f | %.1f | %.1f | %.0f%% |\n", preset, threads, 1e3 * t_iter,
                  1e3 * (t_iter - t_loss), 1e3 * t_loss, 100 * t_loss / t_iter);
    }
  }
  std::printf("\n%u hardware threads; median of %d runs after one warm-up.\n",
              std::thread::hardware_concurrency(), reps);
  return 0;
}
