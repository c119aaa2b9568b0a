// The command's ranks (batch_job.hpp's Ranks) when built with MPI
// (DRUMSYNTH_HAVE_MPI) and launched by mpirun or srun; one rank otherwise,
// and the batch runs as one process.
#pragma once

#include <memory>

#include "drumsynth/batch_job.hpp"

namespace drumsynth {

std::unique_ptr<Ranks> start_ranks();

}  // namespace drumsynth
