// The command line's shared options (cli_options.cpp) and the subcommands'
// interface: each subcommand registers its options (add) and runs (run),
// parsing and printing only; the work is the library's (include/drumsynth/).
#pragma once

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cstdio>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "drumsynth/fit.hpp"
#include "drumsynth/loss_settings.hpp"
#include "drumsynth/names.hpp"

namespace drumsynth::cli {

struct Command {
  virtual ~Command() = default;
  virtual CLI::App* add(CLI::App& app) = 0;
  virtual int run() = 0;
  virtual bool quiet() const = 0;
};

// The subcommands, by file: sound_commands.cpp (fit, render, loss),
// batch_commands.cpp (batch, report), kit_commands.cpp (kit, play),
// bench_command.cpp (bench).
std::vector<std::unique_ptr<Command>> sound_commands();
std::vector<std::unique_ptr<Command>> batch_commands();
std::vector<std::unique_ptr<Command>> kit_commands();
std::unique_ptr<Command> bench_command();

// An option that takes one of an enum's names (names.hpp) but those in
// `except`: the names are strings here only, CLI11 maps them to the value.
template <typename E>
CLI::Option* add_choice(CLI::App* c, const std::string& flag, E& value, const std::string& help,
                        std::initializer_list<E> except = {}) {
  std::vector<std::string> names;
  for (const auto& [name, v] : Names<E>::table)
    if (std::find(except.begin(), except.end(), v) == except.end()) names.push_back(name);
  return c
      ->add_option_function<std::string>(
          flag, [&value](const std::string& s) { value = parse_name<E>(s); }, help)
      ->check(CLI::IsMember(names))
      ->default_str(name_of(value));
}

// CPU threads by default: every core.
extern const int kCores;

struct CommonArgs {
  bool quiet = false;
  double max_seconds = 10.0;
};
void add_common(CLI::App* c, CommonArgs& a);

CLI::Option* add_loss_preset(CLI::App* c, LossPreset& loss);

// The loss: a named preset, and any of its numbers (the loss table,
// kLossNumbers) set on the command line: an option a row, --w-env-log for
// w_env_log and so on.
struct LossArgs {
  LossPreset preset = kDefaultFitLoss;
  std::array<std::optional<double>, kLossNumbers.size()> numbers;
  LossSettings settings() const;
};
void add_loss_options(CLI::App* c, LossArgs& a);

CLI::Option* add_device(CLI::App* c, DeviceChoice& device);
CLI::Option* add_kernels(CLI::App* c, Kernels& kernels);

// The options of a fit, shared by fit and batch; finish() applies the named
// ones and resolves the run's plan (device, kernels, switches), once.
struct FitArgs {
  FitOptions options;
  LossArgs loss;
  std::string init = "analysis";
  FitArgs();
  FitOptions finish();
};
void add_fit_options(CLI::App* c, FitArgs& a);

// One progress line: rewritten in place on a terminal, a line every 10% otherwise.
struct ProgressLine {
  bool tty = ::isatty(2);
  void operator()(const FitProgress& p) const {
    const bool tenth = p.iteration % std::max(1, p.iterations / 10) == 0;
    if (!tty && !tenth && p.iteration != p.iterations) return;
    std::fprintf(stderr, "%siteration %d/%d  loss %.4f  best %.4f  %.1f s, %.1f s left%s",
                 tty ? "\r" : "", p.iteration, p.iterations, p.loss, p.best_loss, p.elapsed_s,
                 p.remaining_s, tty ? "   " : "\n");
    if (tty && p.iteration == p.iterations) std::fprintf(stderr, "\n");
  }
};

// Where fits run, for the report: the GPU's name, or the CPU threads.
std::string device_description(const FitOptions& o);

}  // namespace drumsynth::cli
