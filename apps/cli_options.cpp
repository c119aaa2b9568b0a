// The command line's shared options (cli_options.hpp).
#include "cli_options.hpp"

#include <fmt/format.h>

#include <thread>

#include "drumsynth/run_plan.hpp"

namespace drumsynth::cli {

const int kCores = int(std::max(1u, std::thread::hardware_concurrency()));

void add_common(CLI::App* c, CommonArgs& a) {
  c->add_flag("-q,--quiet", a.quiet, "No progress or informational output");
  c->add_option("--max-seconds", a.max_seconds, "Refuse sounds longer than this")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

CLI::Option* add_loss_preset(CLI::App* c, LossPreset& loss) {
  return add_choice(c, "--loss-preset", loss,
                    "Loss: bands (seed plus band energies), seed (the original's) or auraloss",
                    {LossPreset::custom});
}

LossSettings LossArgs::settings() const {
  LossSettings s = loss_preset(preset);
  for (size_t i = 0; i < kLossNumbers.size(); ++i)
    if (numbers[i]) set_loss_number(s, kLossNumbers[i].name, *numbers[i]);
  return s;
}

void add_loss_options(CLI::App* c, LossArgs& a) {
  add_loss_preset(c, a.preset);
  for (size_t i = 0; i < kLossNumbers.size(); ++i) {
    const LossNumber& n = kLossNumbers[i];
    std::string flag = std::string("--") + n.name;
    std::replace(flag.begin(), flag.end(), '_', '-');
    if (std::string(n.name) == "w_env_log") flag += ",--env-weight";  // its first name
    c->add_option(flag, a.numbers[i], fmt::format("{} (default: the loss preset's)", n.help))
        ->check(CLI::Range(n.min, n.max))
        ->group("Loss terms");
  }
}

CLI::Option* add_device(CLI::App* c, DeviceChoice& device) {
  return add_choice(c, "--device", device, "cpu, cuda or auto (the GPU when one is usable)");
}

CLI::Option* add_kernels(CLI::App* c, Kernels& kernels) {
  return add_choice(
      c, "--kernels", kernels,
      "GPU kernels: v1 (one thread per sound, the cuFFT chain) or v2 (scans over samples, and the "
      "fused spectral kernels in builds with cuFFTDx)");
}

FitArgs::FitArgs() {
  options.device = DeviceChoice::automatic;
  options.n_threads = kCores;
}

FitOptions FitArgs::finish() {
  options.loss = loss.settings();
  options.init = init == "random" ? FitInit::random : FitInit::analysis;
  options.plan = resolve_plan(options.device, options.kernels);
  return options;
}

void add_fit_options(CLI::App* c, FitArgs& a) {
  FitOptions& o = a.options;
  c->add_option("--iterations", o.iterations, "Optimiser iterations")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  add_loss_options(c, a.loss);
  c->add_option("--init", a.init,
                "Starting point: analysis (of the target) or random (the original's)")
      ->capture_default_str()
      ->check(CLI::IsMember({"analysis", "random"}));
  c->add_option("--restarts", o.restarts, "Starting points fitted side by side, the best kept")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  c->add_option("--seed", o.seed, "Seed of the starting points and the noise (restart r: seed + r)")
      ->capture_default_str();
  c->add_option("--learning-rate", o.learning_rate, "Adam's learning rate on the logits")
      ->capture_default_str()
      ->check(CLI::Range(1e-6, 10.0));
  c->add_option(
       "--pitch-lr-scale", o.pitch_lr_scale,
       fmt::format(
           "Learning rate of the frequencies (tones, transient, resonator) and the pitch glide, "
           "relative to the others; 0: {} from the analysis start, 1 from random logits",
           kAnalysisPitchLrScale))
      ->capture_default_str()
      ->check(CLI::Range(0.0, 10.0));
  c->add_option_function<int>(
       "--pitch-hold", [&o](int n) { o.pitch_hold_iterations = n; },
       fmt::format(
           "First iterations in which the frequencies and the glide stay where the start put them "
           "(default: {} from the analysis start, 0 from random logits)",
           kAnalysisPitchHoldIterations))
      ->check(CLI::NonNegativeNumber);
  c->add_option(
       "--stop-window", o.stop_window,
       "Stop a restart once its rate has been cut --stop-rate-cuts times and its best loss has not "
       "fallen by --stop-gain (relative) in this many iterations (0: run every iteration)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  c->add_option("--stop-rate-cuts", o.stop_rate_cuts, "See --stop-window")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  c->add_option("--stop-gain", o.stop_gain, "See --stop-window")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  c->add_option("--search-generations", o.search_generations,
                "Generations of a CMA-ES search over the audible partials' frequencies and decays "
                "before the gradient fit (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  c->add_option("--search-population", o.search_population,
                "Candidates per search generation (0: CMA-ES's default, 4 + 3 ln n)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  c->add_option("--prune", o.prune_max_loss_rise,
                "After the fit, turn off the partials that together cost at most this relative "
                "rise of the loss (0.01: 1%; negative: keep every partial)")
      ->capture_default_str()
      ->check(CLI::Range(-1.0, 1.0));
  add_device(c, o.device);
  add_kernels(c, o.kernels);
}

// Where fits run, for the report: the GPU's name, or the CPU threads.
std::string device_description(const FitOptions& o) {
  return o.plan->device == Device::cuda ? cuda_device_name()
                                        : "CPU (" + std::to_string(o.n_threads) + " threads)";
}

}  // namespace drumsynth::cli
