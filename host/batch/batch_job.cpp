// One batch over many ranks (batch_job.hpp): rank 0 receives the others'
// sounds on a thread while it fits its own, then merges them into the job's
// summary in the order the files were found.
#include "drumsynth/batch_job.hpp"

#include <map>
#include <mutex>
#include <thread>

#include "drumsynth/report.hpp"

namespace drumsynth {

namespace {

// Rank 0's summary of the whole job: its own items, the other ranks', and
// for every file nobody reported (a rank that died) an "interrupted" item
// saying so. In the order the files were found.
BatchSummary merge_job(const std::string& in_dir, const std::string& out_dir,
                       const std::vector<std::string>& files, BatchSummary own,
                       std::vector<BatchItem> others, std::vector<std::string>* unreported) {
  for (auto& it : others) own.items.push_back(std::move(it));
  std::map<std::string, const BatchItem*> by_input;
  for (const auto& it : own.items) by_input[it.input] = &it;
  BatchSummary job;
  job.input_folder = in_dir;
  job.stale_temporaries_removed = own.stale_temporaries_removed;
  for (const auto& f : files) {
    if (const auto found = by_input.find(f); found != by_input.end()) {
      job.items.push_back(*found->second);
      continue;
    }
    BatchItem it;
    it.input = f, it.relative = relative_to_folder(f, in_dir), it.status = "interrupted";
    it.error = "not reported: the rank fitting it stopped (run the same command again)";
    it.preset = batch_output_paths(f, in_dir, out_dir).preset;
    unreported->push_back(it.relative);
    job.items.push_back(it);
  }
  job.interrupted = job.count("interrupted") > 0;
  return job;
}

}  // namespace

BatchJob run_batch_job(const std::string& in_dir, const std::string& out_dir,
                       const std::vector<std::string>& files, BatchOptions o, Ranks& ranks,
                       const std::function<void(const BatchItem&)>& on_item) {
  o.shard_index = ranks.rank, o.shard_count = ranks.size;
  BatchJob job;
  if (ranks.rank != 0) {
    o.progress = [&](const BatchProgress& p) {
      if (on_item) on_item(*p.last);
      ranks.send_item(*p.last);
    };
    job.summary = fit_folder(in_dir, out_dir, o);
    ranks.send_done();
    return job;
  }
  std::mutex mutex;  // serialises on_item between this rank's fits and the receiver
  std::vector<BatchItem> from_others;
  o.progress = [&](const BatchProgress& p) {
    std::lock_guard<std::mutex> lock(mutex);
    if (on_item) on_item(*p.last);
  };
  std::atomic<bool> give_up{false};
  std::thread receiver([&] {
    job.silent_ranks = ranks.receive(
        [&](const BatchItem& it) {
          std::lock_guard<std::mutex> lock(mutex);
          if (on_item) on_item(it);
          from_others.push_back(it);
        },
        give_up);
  });
  BatchSummary own;
  try {
    own = fit_folder(in_dir, out_dir, o);
  } catch (...) {
    give_up = true;
    receiver.join();
    throw;
  }
  if (o.stop && o.stop->load()) give_up = true;  // stopping: the others stop too, or are gone
  receiver.join();
  job.summary =
      merge_job(in_dir, out_dir, files, std::move(own), std::move(from_others), &job.unreported);
  return job;
}

std::string write_batch_report(const std::string& in_dir, const std::string& out_dir,
                               const BatchSummary& summary, const std::string& device,
                               double wall_s) {
  std::vector<ReportEntry> entries;
  for (const auto& it : summary.items)
    entries.push_back({it.input, it.relative, it.status, it.error,
                       batch_output_paths(it.input, in_dir, out_dir)});
  return write_report(out_dir, entries, {in_dir, device, wall_s});
}

}  // namespace drumsynth
