// A batch as one job over many processes (`mpirun -n N drumsynth batch`):
// each rank fits its share of the folder (BatchOptions::shard_index); the
// others report every finished sound to rank 0, which gathers them while it
// fits its own, and holds the one summary of the whole job. With one rank
// it is fit_folder.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "drumsynth/batch.hpp"

namespace drumsynth {

// The processes of a job and the channel through which the others report to
// rank 0. This base class is the one-process job; the command's MPI build
// (apps/ranks.cpp) implements it over MPI.
class Ranks {
 public:
  virtual ~Ranks() = default;
  int rank = 0, size = 1;              // in the job
  int local_rank = 0, local_size = 1;  // on this machine (which GPU, how many cores)
  // Other ranks: one finished sound to rank 0 (from one thread at a time).
  virtual void send_item(const BatchItem&) {}
  // Other ranks: this rank's share is done (after its last item).
  virtual void send_done() {}
  // Rank 0, on a thread of its own: every other rank's items, each handed to
  // on_item, until all of them are done or give_up is set. Returns the ranks
  // that never said they were done.
  virtual std::vector<int> receive(const std::function<void(const BatchItem&)>& on_item,
                                   const std::atomic<bool>& give_up) {
    (void)on_item, (void)give_up;
    return {};
  }
};

struct BatchJob {
  // Rank 0: every file of the job in the order found, each with the item its
  // rank reported, or "interrupted" where no rank did; other ranks: their share.
  BatchSummary summary;
  std::vector<int> silent_ranks;        // rank 0: ranks that never said they were done
  std::vector<std::string> unreported;  // rank 0: files no rank reported (relative paths)
};

// Runs this rank's part of the job. files: the job's audio files
// (find_audio_files(in_dir)), which rank 0's summary lists in order. on_item
// is called for every finished sound (on rank 0 also for the other ranks'
// sounds, serialised with its own), as options.progress would be.
BatchJob run_batch_job(const std::string& in_dir, const std::string& out_dir,
                       const std::vector<std::string>& files, BatchOptions options, Ranks& ranks,
                       const std::function<void(const BatchItem&)>& on_item);

// OUT/report.html over a job's summary; returns the page's path.
std::string write_batch_report(const std::string& in_dir, const std::string& out_dir,
                               const BatchSummary& summary, const std::string& device,
                               double wall_s);

}  // namespace drumsynth
