// Times one CPU fit iteration (synthesis, loss, gradient, adjoint) of a 1.0 s,
// 48 kHz sound, for both loss presets on 1 and 2 threads: the median over many
// runs with its spread (10th to 90th percentile), and where the time goes
// (synth, synth adjoint, loss and gradient, and the FFTs inside the loss with
// their windowing and overlap-add).
// With --pytorch FILE (JSON lines {"loss_preset", "threads", "ms_per_iteration"},
// from bench/pytorch/cpu_iteration.py, run just before), adds the ratio to that.
// Markdown to stdout; scripts/bench-cpu writes it to bench/results/cpu.md.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "drumsynth/backend.hpp"
#include "drumsynth/fit.hpp"
#include "drumsynth/param_table.hpp"
#include "drumsynth/spectral/stft_framing.hpp"
#include "loss/mrstft_loss.hpp"
#include "loss/stft_frames.hpp"
#include "report/quantile.hpp"
#include "synth/voice_tape.hpp"

using namespace drumsynth;
using Clock = std::chrono::steady_clock;

namespace {

struct Timing {
  double median, p10, p90;
};

// Runs f once to warm up, then `reps` times; the machine is shared, so the
// spread is reported beside the median.
template <typename F>
Timing time_ms(F&& f, int reps) {
  f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto a = Clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
  }
  return {quantile(t, 0.5), quantile(t, 0.1), quantile(t, 0.9)};
}

// The loss's FFTs alone, with their windowing and overlap-add (StftFrames):
// every frame of every resolution forward and back, on one thread.
double fft_ms(const LossSettings& settings, int n_samples, int reps) {
  std::vector<StftFrames<float>> stfts;
  std::vector<std::vector<float>> signals, gradients;
  std::vector<std::vector<std::complex<float>>> spectra;
  std::vector<int> counts;
  for (const auto& r : settings.resolutions) {
    const int count = stft_frame_count(n_samples, r);
    stfts.emplace_back(r.fft_size, r.hop,
                       std::vector<float>(static_cast<size_t>(r.fft_size), 0.5f));
    counts.push_back(count);
    signals.emplace_back(static_cast<size_t>(stft_padded_length(n_samples, r) + r.fft_size), 0.25f);
    gradients.emplace_back(signals.back().size(), 0.0f);
    spectra.emplace_back(static_cast<size_t>(count) * (r.fft_size / 2 + 1));
  }
  return time_ms(
             [&] {
               for (size_t i = 0; i < stfts.size(); ++i) {
                 stfts[i].forward(signals[i].data(), counts[i], spectra[i].data());
                 stfts[i].adjoint_add(spectra[i].data(), counts[i], gradients[i].data());
               }
             },
             reps)
      .median;
}

std::map<std::string, double> read_pytorch(const char* path) {
  std::map<std::string, double> ms;  // "preset/threads" -> ms per iteration
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    ms[j.at("loss_preset").get<std::string>() + "/" + std::to_string(j.at("threads").get<int>())] =
        j.at("ms_per_iteration").get<double>();
  }
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 41;
  const char* pytorch_path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--pytorch") && i + 1 < argc)
      pytorch_path = argv[++i];
    else
      reps = std::max(3, std::atoi(argv[i]));
  }
  const auto pytorch = pytorch_path ? read_pytorch(pytorch_path) : std::map<std::string, double>{};
  const double sr = 48000.0;
  const int n = 48000;
  // Target: a fixed random preset rendered; estimate: another.
  const auto z_target = random_logits(1), z_est = random_logits(2);
  const auto target = render(params_from_logits(z_target), VoiceSpec{n, sr, 1});
  const std::vector<float> p_est = params_from_logits(z_est);
  const VoiceSpec spec{n, sr, 7};
  // The figures for the PyTorch original on this machine kind.
  const std::map<int, double> original_ms = {{1, 650.0}, {2, 370.0}};

  std::printf(
      "| loss preset | threads | ms / iteration (median) | spread (p10-p90) | synth | synth "
      "adjoint "
      "| loss + gradient | FFTs | FFT share | x original (650 / 370 ms) |%s\n",
      pytorch.empty() ? "" : " PyTorch ms | x PyTorch |");
  std::printf("|---|---|---|---|---|---|---|---|---|---|%s\n", pytorch.empty() ? "" : "---|---|");
  for (const LossPreset named : {LossPreset::seed, LossPreset::auraloss}) {
    const std::string name = name_of(named);
    const char* preset = name.c_str();
    const LossSettings settings = loss_preset(named);
    const double t_fft = fft_ms(settings, n, reps);
    // The parts, on one thread each (the synth always runs on one).
    VoiceTape<float> tape;
    std::vector<float> v_p(kNumParams), v_x;
    const double t_synth = time_ms([&] { render_voice(p_est.data(), spec, tape); }, reps).median;
    MrstftLoss<float> loss_1(settings, sr, target, 1);
    const double t_loss = time_ms([&] { loss_1.loss_and_gradient(tape.out, v_x); }, reps).median;
    const double t_adjoint =
        time_ms(
            [&] {
              std::fill(v_p.begin(), v_p.end(), 0.0f);
              render_voice_vjp(p_est.data(), spec, tape, v_x.data(), v_p.data());
            },
            reps)
            .median;
    for (int threads : {1, 2}) {
      const std::vector<Instance> inst = {{&target, sr, 7}};
      auto backend = make_cpu_backend(inst, settings, threads);
      std::vector<float> loss(1), grad(kNumParams);
      const Timing it = time_ms(
          [&] { backend->loss_and_gradient(z_est.data(), loss.data(), grad.data()); }, reps);
      // The FFTs' share of the cores' time: on two threads they split across
      // the resolutions, so of threads x wall.
      const double fft_share = t_fft / (threads * it.median);
      std::printf("| %s | %d | %.1f | %.1f-%.1f | %.1f | %.1f | %.1f | %.1f | %.0f%% | %.0fx |",
                  preset, threads, it.median, it.p10, it.p90, t_synth, t_adjoint, t_loss, t_fft,
                  100 * fft_share, original_ms.at(threads) / it.median);
      const auto peer = pytorch.find(std::string(preset) + "/" + std::to_string(threads));
      if (!pytorch.empty()) {
        if (peer != pytorch.end())
          std::printf(" %.0f | %.1fx |", peer->second, peer->second / it.median);
        else
          std::printf(" - | - |");
      }
      std::printf("\n");
    }
  }
  std::printf(
      "\nms / iteration: the CPU backend's whole iteration. synth, synth adjoint, loss + gradient "
      "and FFTs (with their windowing and overlap-add): medians of each part alone on one "
      "thread; with two threads the loss's resolutions and the voice's noise and tone branches "
      "split across them. FFT share: the FFTs' time over threads x the iteration's. "
      "x original: against the issue's figures for the PyTorch original on this machine "
      "kind (650 ms on one thread, 370 ms on two), not measured here. %u hardware threads; "
      "%d runs of each after one warm-up.\n",
      std::thread::hardware_concurrency(), reps);
  return 0;
}
