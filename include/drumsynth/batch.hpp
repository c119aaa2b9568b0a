// Batch fitting of a folder: finds every audio file under a folder, skips the
// sounds already done (resume), loads the rest a chunk at a time and hands
// each chunk to the fitting engine (fit_sounds), writes each sound's outputs as
// it finishes (the output folder mirrors the input tree), goes on past bad
// files, and writes summary.csv / summary.json.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "drumsynth/fit.hpp"
#include "drumsynth/fit_outputs.hpp"
#include "drumsynth/report.hpp"

namespace drumsynth {

struct BatchOptions {
  FitOptions fit;      // everything about the fits (device, threads, GPU batch)
  bool force = false;  // refit sounds whose preset exists
  LoadOptions load;
  // Called after every finished sound (serialised; from a worker thread on the CPU).
  std::function<void(const struct BatchProgress&)> progress;
  const std::atomic<bool>* stop = nullptr;  // set (e.g. by SIGINT) to stop soon
  // Scale-out (mpirun): this process fits only shard `shard_index` of
  // `shard_count` (shard_by_samples); its summary holds only that shard.
  int shard_index = 0, shard_count = 1;
};

struct BatchItem {
  std::string input;     // path as found
  std::string relative;  // path relative to the input folder
  std::string status;    // "ok", "skipped" (already done), "failed", "interrupted"
  double initial_loss = 0, final_loss = 0;
  int iterations = 0;
  int skipped_steps = 0;  // iterations not taken: loss or gradient not finite
  int hits =
      0;  // hits in the recording (hits.hpp), fitted as one sound; 0: not looked at (done before)
  double seconds = 0;
  std::string error;
  std::string preset;  // output preset path
};

struct BatchProgress {
  int done, failed, total;
  double median_best_loss;
  double elapsed_s, remaining_s;
  const BatchItem* last;
};

// The progress figures of a batch (or of a whole MPI job): finished sounds
// counted as they come, the median of their best losses, the time so far and
// the time left at this pace. Not thread-safe: its user serialises calls.
class BatchCounts {
 public:
  explicit BatchCounts(int total);
  void add(const BatchItem& item);
  BatchProgress progress(const BatchItem* last) const;
  int done() const { return done_; }

 private:
  int total_, done_ = 0, failed_ = 0;
  std::vector<double> best_;
  std::chrono::steady_clock::time_point start_;
};

struct BatchSummary {
  std::string input_folder;
  std::vector<BatchItem> items;
  bool interrupted = false;
  int stale_temporaries_removed = 0;  // half-written files of a killed earlier run
  int count(const std::string& status) const;
};

// The log a batch writes into its output folder; a folder holding one is a
// batch's output, never its input.
inline constexpr const char* kBatchLogName = "drumsynth-batch.log";

// Audio files under dir, recursively, sorted (by extension: wav, flac, aif(f),
// ogg, oga, opus, w64, caf, au, snd), but what a batch wrote: the folder
// `output` (this batch's, when it lies inside dir), any other folder holding a
// batch log, and a render NAME.fit.wav beside its NAME.preset.json (a batch
// whose output is its input folder).
std::vector<std::string> find_audio_files(const std::string& dir, const std::string& output = "");

// `file` (found under `folder`) relative to the folder as written, not as
// resolved: fs::relative follows links, and a linked sound would be mirrored
// outside the output folder.
std::string relative_to_folder(const std::string& file, const std::string& folder);

// Where batch writes the outputs of `file`, found under `in_dir`: out_dir
// mirrors in_dir's tree.
FitOutputPaths batch_output_paths(const std::string& file, const std::string& in_dir,
                                  const std::string& out_dir);

BatchSummary fit_folder(const std::string& in_dir, const std::string& out_dir,
                        const BatchOptions& options);

// The shard (0 .. count - 1) of each file, balanced by total samples rather
// than by file count: longest first, each to the shard with the fewest samples
// so far (ties: the lower index). Deterministic, so every process computes the
// same split from the same file list; a file whose header cannot be read
// counts 0 samples (its shard reports it as failed).
std::vector<int> shard_by_samples(const std::vector<std::string>& files, int count);

// OUT/summary.csv and OUT/summary.json, atomically (batch_summary.cpp).
void write_batch_summary(const std::string& out_dir, const BatchSummary& summary);

// The report's entries of a batch folder, from its summary.json.
std::vector<ReportEntry> report_entries_from_summary(const std::string& out_dir);

}  // namespace drumsynth
