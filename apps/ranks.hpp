// The processes of a scale-out batch (`mpirun -n N drumsynth batch`): which
// one this is, and the channel through which the others report each finished
// sound to rank 0, which logs them, shows the job's progress and writes the
// one summary and report. Built without MPI, or run without mpirun/srun,
// there is one rank and no channel: the batch runs as it always has.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "drumsynth/batch.hpp"

namespace drumsynth {

class Ranks {
 public:
  virtual ~Ranks() = default;  // MPI_Finalize, where MPI was started
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

// MPI when built with it and launched by mpirun or srun; one rank otherwise.
std::unique_ptr<Ranks> start_ranks();

}  // namespace drumsynth
