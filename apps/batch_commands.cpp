// batch and report: folders of sounds, resumable, over MPI ranks where
// launched so (cli_options.hpp).
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>

#include "cli_options.hpp"
#include "drumsynth/batch.hpp"
#include "drumsynth/batch_job.hpp"
#include "drumsynth/kit_maker.hpp"
#include "drumsynth/report.hpp"
#include "drumsynth/split.hpp"
#include "ranks.hpp"

namespace drumsynth::cli {
namespace {

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

struct BatchCommand : Command {
  FitArgs fit;
  CommonArgs common;
  BatchOptions options;
  std::string in, out;
  CLI::App* add(CLI::App& app) override {
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
  int run() override {
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
  bool quiet() const override { return common.quiet; }
};

struct ReportCommand : Command {
  CommonArgs common;
  std::string out;
  CLI::App* add(CLI::App& app) override {
    auto* c =
        app.add_subcommand("report", "Rewrite a batch folder's report.html from its summary.json");
    c->add_option("folder", out, "A batch's output folder")->required();
    add_common(c, common);
    return c;
  }
  int run() override {
    const std::string page = write_report(out, report_entries_from_summary(out), {out, "", 0});
    if (!common.quiet) spdlog::info("report: {}", page);
    return 0;
  }
  bool quiet() const override { return common.quiet; }
};

}  // namespace

std::vector<std::unique_ptr<Command>> batch_commands() {
  std::vector<std::unique_ptr<Command>> c;
  c.push_back(std::make_unique<BatchCommand>());
  c.push_back(std::make_unique<ReportCommand>());
  return c;
}

}  // namespace drumsynth::cli
