// bench: fit iterations per second on synthetic sounds (cli_options.hpp).
#include <fmt/format.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli_options.hpp"
#include "drumsynth/run_plan.hpp"
#include "drumsynth/switches.hpp"
#include "drumsynth/throughput.hpp"

namespace drumsynth::cli {
namespace {

int run_bench(ThroughputOptions o, bool json) {
  o.plan = resolve_plan(o.device, o.kernels);
  const ThroughputResult r = measure_throughput(o);
  if (json)
    std::printf(
        "{\"device\": \"%s\", \"kernels\": \"%s\", \"batch\": %d, \"seconds\": %g, "
        "\"sample_rate\": %g, "
        "\"loss_preset\": \"%s\", \"ms_per_iteration\": %.4f, \"ms_min\": %.4f, \"ms_max\": %.4f, "
        "\"iterations\": %d, \"sound_iterations_per_s\": %.2f, \"memory_per_sound_mb\": %.3f, "
        "\"peak_memory_per_sound_mb\": %.3f, \"fit_loop_ms_per_iteration\": %.4f, \"fit_loop\": "
        "%s, \"spectral\": %s, \"switches\": "
        "%s}\n",
        r.device.c_str(), name_of(o.kernels).c_str(), o.batch, o.seconds, o.sample_rate,
        name_of(o.loss_preset).c_str(), r.ms_per_iteration, r.ms_min, r.ms_max, r.iterations,
        r.sound_iterations_per_s, r.memory_per_sound_mb, r.peak_memory_per_sound_mb,
        r.fit_loop_ms_per_iteration, nlohmann::json(r.fit_loop).dump().c_str(),
        nlohmann::json(r.spectral).dump().c_str(),
        nlohmann::json(describe_switches(o.plan->switches)).dump().c_str());
  else
    std::printf(
        "%s: batch %d x %.2f s at %.0f Hz, loss %s: %.3f ms per iteration (median of %d, "
        "%.3f-%.3f), "
        "%.1f sound-iterations/s%s\n",
        r.device.c_str(), o.batch, o.seconds, o.sample_rate, name_of(o.loss_preset).c_str(),
        r.ms_per_iteration, r.iterations, r.ms_min, r.ms_max, r.sound_iterations_per_s,
        r.memory_per_sound_mb > 0
            ? fmt::format(", {:.2f} MB GPU memory per sound ({:.2f} at the set-up's peak)",
                          r.memory_per_sound_mb, r.peak_memory_per_sound_mb)
                  .c_str()
            : "");
  if (!json && !r.spectral.empty()) std::printf("  loss: %s\n", r.spectral.c_str());
  if (!json && !r.fit_loop.empty())
    std::printf("  fit loop on the device (%s): %.3f ms per iteration, %.1f sound-iterations/s\n",
                r.fit_loop.c_str(), r.fit_loop_ms_per_iteration,
                o.batch / (r.fit_loop_ms_per_iteration / 1e3));
  return 0;
}

struct BenchCommand : Command {
  ThroughputOptions options;
  bool json = false;
  CLI::App* add(CLI::App& app) override {
    options.n_threads = kCores;
    auto* c = app.add_subcommand("bench", "Fit iterations per second on synthetic sounds");
    c->add_option("--batch", options.batch, "Sounds fitted at once")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    c->add_option("--seconds", options.seconds, "Length of each sound")
        ->capture_default_str()
        ->check(CLI::Range(0.01, 10.0));
    c->add_option("--iterations", options.iterations, "Timed iterations")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    add_loss_preset(c, options.loss_preset);
    add_device(c, options.device);
    add_kernels(c, options.kernels);
    c->add_option("--threads", options.n_threads, "CPU threads")
        ->capture_default_str()
        ->check(CLI::Range(1, 256));
    c->add_flag("--json", json, "One JSON object instead of text");
    return c;
  }
  int run() override { return run_bench(options, json); }
  bool quiet() const override { return false; }
};

}  // namespace

std::unique_ptr<Command> bench_command() { return std::make_unique<BenchCommand>(); }

}  // namespace drumsynth::cli
