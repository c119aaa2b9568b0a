// drumsynth: fit drum sounds with a differentiable synth, render presets,
// compare sounds. Thin: parse the command line, call host/, print.
// It uses the library's public API only (include/drumsynth/).
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "drumsynth/audio_io.hpp"
#include "drumsynth/batch.hpp"
#include "drumsynth/batch_job.hpp"
#include "drumsynth/fit.hpp"
#include "drumsynth/fit_outputs.hpp"
#include "drumsynth/hits.hpp"
#include "drumsynth/kit_maker.hpp"
#include "drumsynth/kit_render.hpp"
#include "drumsynth/playback.hpp"
#include "drumsynth/preset.hpp"
#include "drumsynth/render.hpp"
#include "drumsynth/report.hpp"
#include "drumsynth/split.hpp"
#include "drumsynth/switches.hpp"
#include "drumsynth/throughput.hpp"
#include "ranks.hpp"

using namespace drumsynth;

namespace {

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
std::string device_description(const FitOptions& o) {
  return o.plan->device == Device::cuda ? cuda_device_name()
                                        : "CPU (" + std::to_string(o.n_threads) + " threads)";
}

// fit --split: each hit fitted, a kit and a MIDI file that replay the recording.
int run_split_fit(const Sound& target, const std::vector<Hit>& hits, const std::string& out_dir,
                  FitOptions options, bool quiet) {
  const SplitPaths paths = split_paths(target.path, out_dir);
  options.progress = nullptr;  // several sounds at once
  const SplitFit s = fit_split(target, hits, options, paths);
  for (size_t h = 0; h < s.fits.size(); ++h) {
    if (s.fits[h].error) {
      try {
        std::rethrow_exception(s.fits[h].error);
      } catch (const std::exception& e) {
        spdlog::warn("hit {} at {:.3f} s: not fitted: {}", h + 1, hits[h].onset_s, e.what());
      }
    } else if (!quiet) {
      const FitResult& r = s.fits[h].result;
      spdlog::info("hit {} at {:.3f} s, velocity {}: loss {:.4f} -> {:.4f} in {} iterations", h + 1,
                   hits[h].onset_s, hits[h].velocity, r.initial_loss, r.best_loss,
                   r.loss_history.size());
    }
  }
  if (!quiet) {
    const std::vector<double> y(target.samples.begin(), target.samples.end());
    spdlog::info(
        "wrote {}/, {} ({} pads), {} and {} (the kit playing the MIDI file: loss {:.4f} against "
        "the recording, auraloss preset)",
        paths.folder, paths.kit, s.kit.pads.size(), paths.midi, paths.replay,
        mrstft_loss(s.replay, y, target.sample_rate, loss_preset(LossPreset::auraloss)));
  }
  return 0;
}

int run_fit(const std::string& input, const std::string& out_dir, FitOptions options,
            double max_seconds, bool quiet, bool report, bool split) {
  const Sound target = load_sound(input, {max_seconds});
  const std::vector<Hit> hits = find_hits(target);
  if (hits.size() > 1) {
    std::string at;
    for (const Hit& h : hits) at += (at.empty() ? "" : ", ") + fmt::format("{:.3f}", h.onset_s);
    if (split) {
      if (!quiet) spdlog::info("{}: {} hits (at {} s); fitting each", input, hits.size(), at);
      return run_split_fit(target, hits, out_dir, options, quiet);
    }
    spdlog::warn(
        "{}: {} hits (at {} s), fitted as one sound; --split fits each and writes a kit and a MIDI "
        "file",
        input, hits.size(), at);
  }
  const FitOutputPaths paths = fit_output_paths(input, out_dir);
  if (!quiet) {
    spdlog::info(
        "{}: {:.3f} s, {} Hz, {} channel(s); {} iterations x {} restart(s) from {}, loss preset {}",
        input, target.seconds(), target.sample_rate, target.n_channels, options.iterations,
        options.restarts, options.init == FitInit::random ? "random logits" : "analysis",
        name_of(options.loss.preset));
    options.progress = ProgressLine{};
  }
  const FitResult r = fit(target, options);
  if (r.skipped_steps > 0)
    spdlog::warn("{}: {} of {} iterations skipped: the loss or its gradient was not finite", input,
                 r.skipped_steps, options.iterations);
  write_fit_outputs(target, r, options, paths);
  if (!quiet)
    spdlog::info("loss {:.4f} -> {:.4f} in {} iterations{}, {:.1f} s; wrote {}, {}, {}",
                 r.initial_loss, r.best_loss, r.loss_history.size(),
                 r.partials_dropped ? fmt::format(", {} partials dropped", r.partials_dropped) : "",
                 r.seconds, paths.preset, paths.wav, paths.loss_csv);
  if (report) {
    const std::string name = std::filesystem::path(input).filename().string();
    const std::string page = write_report(out_dir, {{input, name, "ok", "", paths}},
                                          {input, device_description(options), r.seconds});
    if (!quiet) spdlog::info("report: {}", page);
  }
  return 0;
}

int run_render(const std::string& preset_path, const std::string& out, double rate, double seconds,
               bool quiet) {
  const Preset p = load_preset(preset_path);
  const double out_rate = preset_voice_spec(p, rate).sample_rate;
  const auto audio = play_preset(p, rate, seconds);
  save_wav(out, std::vector<float>(audio.begin(), audio.end()), out_rate);
  if (!quiet)
    spdlog::info("wrote {} ({:.3f} s at {} Hz)", out, double(audio.size()) / out_rate, out_rate);
  return 0;
}

// Loss of A (estimate) against B (target); A is cut or zero-padded to B's length.
int run_loss(const std::string& a_path, const std::string& b_path, const LossSettings& loss,
             double max_seconds) {
  const Sound a = load_sound(a_path, {max_seconds});
  const Sound b = load_sound(b_path, {max_seconds});
  if (a.sample_rate != b.sample_rate)
    throw InputError(a_path, "sample rate " + std::to_string(int(a.sample_rate)) +
                                 " Hz differs from " + b_path + "'s " +
                                 std::to_string(int(b.sample_rate)) + " Hz");
  std::vector<double> x(a.samples.begin(), a.samples.end());
  x.resize(b.samples.size(), 0.0);
  const std::vector<double> y(b.samples.begin(), b.samples.end());
  std::printf("%.8g\n", mrstft_loss(x, y, b.sample_rate, loss));
  return 0;
}

std::atomic<bool> g_stop{false};
extern "C" void on_sigint(int) {
  g_stop = true;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

// The job's progress: each finished sound (rank 0: the other ranks' too)
// logged as it finishes (the log is the job's record) and counted on the
// progress line (unless --quiet). run_batch_job serialises the calls.
struct JobProgress {
  std::shared_ptr<spdlog::logger> log;
  bool quiet;
  bool split;  // --split: several hits are fitted hit by hit after the batch
  BatchCounts counts;
  bool tty = ::isatty(2);

  void finished(const BatchItem& it) {
    counts.add(it);
    if (it.status == "failed")
      log->warn("{}: failed: {}", it.relative, it.error);
    else
      log->info("{}: {} loss {:.4f} -> {:.4f}", it.relative, it.status, it.initial_loss,
                it.final_loss);
    if (it.skipped_steps > 0)
      log->warn("{}: {} iterations skipped: the loss or its gradient was not finite", it.relative,
                it.skipped_steps);
    if (it.hits > 1 && !split)
      log->warn("{}: {} hits, fitted as one sound (--split fits each and writes a kit)",
                it.relative, it.hits);
    if (quiet) return;
    const BatchProgress p = counts.progress(&it);
    // Off a terminal: a line per 5% of the sounds, not one per sound.
    const int step = std::max(1, p.total / 20);
    if (!tty && p.done % step != 0 && p.done != p.total) return;
    std::fprintf(stderr,
                 "%ssounds %d/%d done (%d failed)  median best loss %.4f  %.0f s, %.0f s left%s",
                 tty ? "\r" : "", p.done, p.total, p.failed, p.median_best_loss, p.elapsed_s,
                 p.remaining_s, tty ? "   " : "\n");
  }
};

// The batch's end on rank 0: the log's last lines, the terminal's, and the
// exit status (0 all fitted, 3 some failed, 1 none, 130 interrupted).
int report_batch_end(const BatchJob& job, const std::string& in_dir, const std::string& out_dir,
                     spdlog::logger& log, bool quiet, bool split) {
  const BatchSummary& s = job.summary;
  const int total = int(s.items.size()), failed = s.count("failed");
  const int ok = s.count("ok"), skipped = s.count("skipped");
  log.info("{} sounds: {} fitted, {} already done, {} failed, {} interrupted", total, ok, skipped,
           failed, s.count("interrupted"));
  if (!quiet)
    std::printf("%d sounds: %d fitted, %d already done, %d failed; summary in %s/summary.csv\n",
                total, ok, skipped, failed, out_dir.c_str());
  for (const auto& it : s.items)
    if (it.status == "failed") std::fprintf(stderr, "failed: %s\n", it.error.c_str());
  for (const auto& it : s.items)
    if (it.hits > 1 && !split)
      std::fprintf(stderr,
                   "%s: %d hits, fitted as one sound (--split fits each and writes a kit)\n",
                   it.relative.c_str(), it.hits);
  if (!job.unreported.empty()) {
    std::string names;
    for (const auto& m : job.unreported) names += (names.empty() ? "" : ", ") + m;
    log.warn("not reported by the rank that had them: {}", names);
    std::fprintf(stderr, "not fitted (their rank stopped): %s\n", names.c_str());
  }
  if (s.interrupted) {
    log.warn("interrupted: {} of {} sounds done", ok + skipped, total);
    std::fprintf(stderr,
                 "interrupted: %d of %d sounds done; run the same command again to resume\n",
                 ok + skipped, total);
    return 130;
  }
  if (total == 0) throw InputError(in_dir, "no audio files found");
  if (failed == total) return 1;
  return failed ? 3 : 0;
}

// batch --split, after the batch: its recordings of several hits fitted hit by
// hit into the output mirror, each logged and said.
void split_recordings(const std::string& in_dir, const std::string& out_dir, const BatchOptions& o,
                      spdlog::logger& log, bool quiet) {
  for (const RecordingSplit& r :
       split_batch_recordings(in_dir, out_dir, o.fit, o.load, o.force, &g_stop)) {
    const std::string line =
        !r.error.empty() ? fmt::format("{}: {} hits, not split: {}", r.relative, r.hits, r.error)
        : r.done         ? fmt::format("{}: {} hits, each fitted: {}", r.relative, r.hits, r.kit)
                         : fmt::format("{}: {} hits, split before: {}", r.relative, r.hits, r.kit);
    if (r.error.empty())
      log.info("{}", line);
    else
      log.warn("{}", line);
    if (!quiet || !r.error.empty()) std::fprintf(stderr, "%s\n", line.c_str());
  }
}

int run_batch(const std::string& in_dir, const std::string& out_dir, BatchOptions o, bool quiet,
              bool report, bool split) {
  const auto start = std::chrono::steady_clock::now();
  // Ctrl-C (and mpirun's SIGTERM to a job being stopped) from here on stops
  // cleanly (the log file appearing below means it is armed).
  std::signal(SIGINT, on_sigint);
  std::signal(SIGTERM, on_sigint);
  o.stop = &g_stop;
  const auto ranks = start_ranks();
  if (ranks->local_size > 1)
    o.fit.n_threads = std::max(1, o.fit.n_threads / ranks->local_size);  // a share of the cores
  if (ranks->size > 1 && o.fit.plan->device == Device::cuda) use_cuda_device(ranks->local_rank);
  std::filesystem::create_directories(out_dir);
  const std::vector<std::string> files = find_audio_files(in_dir, out_dir);  // the whole job's
  if (ranks->rank != 0)
    return run_batch_job(in_dir, out_dir, files, o, *ranks, {}).summary.interrupted ? 130 : 0;

  auto log =
      spdlog::basic_logger_mt("batch", (std::filesystem::path(out_dir) / kBatchLogName).string());
  log->set_pattern("[%Y-%m-%d %H:%M:%S] %v");
  log->set_level(spdlog::level::info);  // --quiet quiets the terminal, not the record
  log->flush_on(spdlog::level::info);
  log->info("batch {} -> {}: {} iterations, {} restart(s), loss {}, {} CPU job(s){}", in_dir,
            out_dir, o.fit.iterations, o.fit.restarts, name_of(o.fit.loss.preset), o.fit.n_threads,
            ranks->size > 1 ? fmt::format(" in each of {} ranks", ranks->size) : std::string());
  JobProgress progress{log, quiet, split, BatchCounts(int(files.size()))};
  const BatchJob job = run_batch_job(in_dir, out_dir, files, o, *ranks,
                                     [&](const BatchItem& it) { progress.finished(it); });
  for (int r : job.silent_ranks) log->warn("rank {} did not finish", r);
  if (job.summary.stale_temporaries_removed > 0)
    log->warn("removed {} half-written file(s) of an earlier run that was killed",
              job.summary.stale_temporaries_removed);
  if (!quiet && progress.tty) std::fprintf(stderr, "\n");
  write_batch_summary(out_dir, job.summary);
  if (report && !job.summary.items.empty()) {
    std::string device = device_description(o.fit);
    if (ranks->size > 1) device += fmt::format(" x {} ranks", ranks->size);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    log->info("report: {}", write_batch_report(in_dir, out_dir, job.summary, device, wall));
  }
  if (split && !job.summary.interrupted) split_recordings(in_dir, out_dir, o, *log, quiet);
  return report_batch_end(job, in_dir, out_dir, *log, quiet, split);
}

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

// ---- the command line: one registration function per subcommand ----

const int kCores = int(std::max(1u, std::thread::hardware_concurrency()));

struct CommonArgs {
  bool quiet = false;
  double max_seconds = 10.0;
};

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

// The loss: a named preset, and any of its numbers (the loss table,
// kLossNumbers) set on the command line: an option a row, --w-env-log for
// w_env_log and so on.
struct LossArgs {
  LossPreset preset = kDefaultFitLoss;
  std::array<std::optional<double>, kLossNumbers.size()> numbers;
  LossSettings settings() const {
    LossSettings s = loss_preset(preset);
    for (size_t i = 0; i < kLossNumbers.size(); ++i)
      if (numbers[i]) set_loss_number(s, kLossNumbers[i].name, *numbers[i]);
    return s;
  }
};

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

// The options of a fit, shared by fit and batch; finish() applies the named
// ones and resolves the run's plan (device, kernels, switches), once.
struct FitArgs {
  FitOptions options;
  LossArgs loss;
  std::string init = "analysis";
  FitArgs() {
    options.device = DeviceChoice::automatic;
    options.n_threads = kCores;
  }
  FitOptions finish() {
    options.loss = loss.settings();
    options.init = init == "random" ? FitInit::random : FitInit::analysis;
    options.plan = resolve_plan(options.device, options.kernels);
    return options;
  }
};

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

struct FitCommand {
  FitArgs fit;
  CommonArgs common;
  std::string input, out = ".";
  CLI::App* add(CLI::App& app) {
    auto* c = app.add_subcommand(
        "fit", "Fit one sound; writes NAME.preset.json, NAME.wav, NAME.loss.csv/.svg");
    c->add_option("file", input, "Audio file (WAV, FLAC, AIFF, OGG, ...)")->required();
    c->add_option("-o,--output", out, "Output folder")->capture_default_str();
    add_fit_options(c, fit);
    c->add_option("--threads", fit.options.n_threads, "CPU threads (results do not depend on it)")
        ->capture_default_str()
        ->check(CLI::Range(1, 256));
    c->add_flag("--no-report", no_report, "Do not write OUT/report.html");
    c->add_flag(
        "--split", split,
        "A recording of several hits: fit each, and write a kit (a pad per hit) and a MIDI file of "
        "the hits that replay it");
    add_common(c, common);
    return c;
  }
  bool no_report = false, split = false;
  int run() {
    return run_fit(input, out, fit.finish(), common.max_seconds, common.quiet, !no_report, split);
  }
};

struct RenderCommand {
  CommonArgs common;
  std::string preset, out;
  double rate = 0, seconds = 0;
  CLI::App* add(CLI::App& app) {
    auto* c = app.add_subcommand("render", "Render a preset to a WAV file");
    c->add_option("preset", preset, "NAME.preset.json")->required();
    c->add_option("-o,--output", out, "Output WAV file")->required();
    c->add_option("--sample-rate", rate, "Sample rate (default: the preset's)")
        ->check(CLI::Range(8000.0, 192000.0));
    c->add_option("--seconds", seconds,
                  "Length (default: until it has died away, 90 dB under its peak; shorter ends "
                  "with a 10 ms release fade)")
        ->check(CLI::Range(1e-4, 600.0));
    add_common(c, common);
    return c;
  }
  int run() { return run_render(preset, out, rate, seconds, common.quiet); }
};

// kit: presets gathered into a kit file; and, with --sfz, the kit as an SFZ.
struct KitCommand {
  CommonArgs common;
  std::string folder, out, from, sfz;
  int velocities = 5;
  double rate = 48000;
  CLI::App* add(CLI::App& app) {
    auto* c = app.add_subcommand(
        "kit", "Gather fitted presets into a kit file (pads on MIDI notes, velocity layers)");
    c->add_option("folder", folder, "Folder of presets (NAME.preset.json, searched recursively)")
        ->required();
    c->add_option("-o,--output", out, "Kit file to write (NAME.kit.json)")->required();
    c->add_option("--from", from,
                  "The sample kit the presets were fitted from (an .sfz, or a Hydrogen "
                  "drumkit.xml): its notes and "
                  "velocity layers (default: General MIDI notes by name and sound, layers by "
                  "velocity words)");
    c->add_option("--sfz", sfz,
                  "Also write the kit as an SFZ instrument of rendered samples into this folder");
    c->add_option("--velocities", velocities, "SFZ: velocity layers rendered per pad")
        ->capture_default_str()
        ->check(CLI::Range(1, 127));
    c->add_option("--sample-rate", rate, "SFZ: the samples' rate")
        ->capture_default_str()
        ->check(CLI::Range(8000.0, 192000.0));
    add_common(c, common);
    return c;
  }
  int run() {
    const std::vector<std::string> presets = find_presets(folder);
    if (presets.empty()) throw InputError(folder, "no presets (NAME.preset.json) found");
    std::vector<SampleMapping> mapping;
    if (!from.empty()) mapping = read_kit_mapping(from);
    Kit kit = make_kit(presets, from.empty() ? nullptr : &mapping,
                       std::filesystem::path(out).stem().stem().string());
    if (kit.pads.empty()) throw InputError(folder, "no preset matches a sample of " + from);
    save_kit(out, kit);
    if (!common.quiet) {
      spdlog::info("wrote {}: {} pads from {} presets", out, kit.pads.size(), presets.size());
      for (const Pad& p : kit.pads)
        spdlog::info("  {:3d} {}: {} layer(s){}", p.note, p.name, p.layers.size(),
                     p.choke_group ? fmt::format(", choke group {}", p.choke_group) : "");
    }
    if (!sfz.empty()) {
      const LoadedKit loaded = load_kit_presets(load_kit(out));
      const std::string path = export_sfz(loaded, sfz, kit.name, velocities, rate);
      if (!common.quiet)
        spdlog::info("wrote {} ({} samples)", path, kit.pads.size() * size_t(velocities));
    }
    return 0;
  }
};

// play: a kit playing a MIDI file, offline, as the instrument would.
struct PlayCommand {
  CommonArgs common;
  std::string kit, midi, out;
  double rate = 48000, seconds = 0;
  CLI::App* add(CLI::App& app) {
    auto* c = app.add_subcommand("play", "Render a kit playing a MIDI file to a WAV file");
    c->add_option("kit", kit, "NAME.kit.json")->required();
    c->add_option("midi", midi, "Standard MIDI file (its note-ons play the pads on their notes)")
        ->required();
    c->add_option("-o,--output", out, "Output WAV file")->required();
    c->add_option("--sample-rate", rate, "Sample rate")
        ->capture_default_str()
        ->check(CLI::Range(8000.0, 192000.0));
    c->add_option("--seconds", seconds, "Length (default: until the last note has died away)")
        ->check(CLI::Range(1e-4, 3600.0));
    add_common(c, common);
    return c;
  }
  int run() {
    const LoadedKit k = load_kit_presets(load_kit(kit));
    for (const std::string& problem : k.problems) spdlog::warn("{}", problem);
    const std::vector<NoteEvent> notes = load_midi(midi);
    const std::vector<double> audio = render_kit(k, notes, rate, seconds);
    save_wav(out, std::vector<float>(audio.begin(), audio.end()), rate);
    if (!common.quiet)
      spdlog::info("wrote {} ({} notes, {:.3f} s at {} Hz)", out, notes.size(), audio.size() / rate,
                   rate);
    return 0;
  }
};

struct LossCommand {
  CommonArgs common;
  std::string a, b;
  LossArgs loss{LossPreset::seed, {}};
  CLI::App* add(CLI::App& app) {
    auto* c =
        app.add_subcommand("loss", "Print the MRSTFT loss of A (estimate) against B (target)");
    c->add_option("a", a, "Estimate")->required();
    c->add_option("b", b, "Target")->required();
    add_loss_options(c, loss);
    add_common(c, common);
    return c;
  }
  int run() { return run_loss(a, b, loss.settings(), common.max_seconds); }
};

struct BatchCommand {
  FitArgs fit;
  CommonArgs common;
  BatchOptions options;
  std::string in, out;
  CLI::App* add(CLI::App& app) {
    auto* c = app.add_subcommand(
        "batch", "Fit every audio file under a folder; the output mirrors its tree");
    c->add_option("folder", in, "Folder of drum samples (searched recursively)")->required();
    c->add_option("-o,--output", out, "Output folder")->required();
    add_fit_options(c, fit);
    c->add_option("--gpu-batch", fit.options.gpu_batch, "GPU: sounds fitted together")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    c->add_option("--jobs", fit.options.n_threads, "CPU workers (sounds fitted at once)")
        ->capture_default_str()
        ->check(CLI::Range(1, 1024));
    c->add_flag("--force", options.force, "Refit sounds that already have a preset");
    c->add_flag("--split", split,
                "Also fit each hit of a recording of several: OUT/.../NAME.kit.json, NAME.mid "
                "and NAME/hitK.* beside its fit as one sound");
    c->add_flag("--no-report", no_report, "Do not write OUT/report.html");
    c->add_flag("--kit", kit,
                "Also write OUT/NAME.kit.json of the presets (the folder's .sfz or drumkit.xml "
                "gives the notes and "
                "velocity layers, where it has one)");
    add_common(c, common);
    return c;
  }
  bool no_report = false, kit = false, split = false;
  int run() {
    options.fit = fit.finish();
    options.load.max_seconds = common.max_seconds;
    const int status = run_batch(in, out, options, common.quiet, !no_report, split);
    if (kit && (status == 0 || status == 3)) write_batch_kit();
    return status;
  }
  // The kit of what the batch fitted, mapped by the input folder's own sample kit if it has one.
  void write_batch_kit() const {
    namespace fs = std::filesystem;
    std::vector<SampleMapping> mapping;
    std::string from;
    for (const auto& e : fs::directory_iterator(in)) {
      const std::string name = e.path().filename().string(), ext = e.path().extension().string();
      if (e.is_regular_file() && (ext == ".sfz" || name == "drumkit.xml")) from = e.path().string();
    }
    if (!from.empty()) mapping = read_kit_mapping(from);
    std::string name = fs::path(in).filename().string();
    if (name.empty()) name = fs::path(in).parent_path().filename().string();
    const Kit k = make_kit(find_presets(out), from.empty() ? nullptr : &mapping, name);
    const std::string path = (fs::path(out) / (name + ".kit.json")).string();
    save_kit(path, k);
    if (!common.quiet)
      spdlog::info("wrote {}: {} pads{}", path, k.pads.size(),
                   from.empty() ? "" : " (notes and layers from " + from + ")");
  }
};

struct ReportCommand {
  CommonArgs common;
  std::string out;
  CLI::App* add(CLI::App& app) {
    auto* c =
        app.add_subcommand("report", "Rewrite a batch folder's report.html from its summary.json");
    c->add_option("folder", out, "A batch's output folder")->required();
    add_common(c, common);
    return c;
  }
  int run() {
    const std::string page = write_report(out, report_entries_from_summary(out), {out, "", 0});
    if (!common.quiet) spdlog::info("report: {}", page);
    return 0;
  }
};

struct BenchCommand {
  ThroughputOptions options;
  bool json = false;
  CLI::App* add(CLI::App& app) {
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
  int run() { return run_bench(options, json); }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"drumsynth: fit drum sounds with a differentiable synthesizer"};
  app.set_version_flag("--version", std::string("drumsynth ") + DRUMSYNTH_VERSION);
  app.require_subcommand(1);
  spdlog::set_pattern("%v");
  FitCommand fit;
  RenderCommand render;
  LossCommand loss;
  BatchCommand batch;
  BenchCommand bench;
  ReportCommand report;
  PlayCommand play;
  KitCommand kit;
  CLI::App* commands[] = {fit.add(app),   render.add(app), loss.add(app), batch.add(app),
                          bench.add(app), report.add(app), play.add(app), kit.add(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (fit.common.quiet || render.common.quiet || loss.common.quiet || batch.common.quiet ||
      report.common.quiet || play.common.quiet || kit.common.quiet)
    spdlog::set_level(spdlog::level::warn);
  try {
    if (*commands[0]) return fit.run();
    if (*commands[1]) return render.run();
    if (*commands[2]) return loss.run();
    if (*commands[3]) return batch.run();
    if (*commands[4]) return bench.run();
    if (*commands[5]) return report.run();
    if (*commands[6]) return play.run();
    if (*commands[7]) return kit.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "drumsynth: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
