// Ranks (ranks.hpp): one process, or MPI (DRUMSYNTH_HAVE_MPI). Finished sounds
// travel as JSON text (one message each, tag kItem); a rank's end is an empty
// message (tag kDone). Rank 0 polls with MPI_Iprobe, so a job that is being
// stopped can give up waiting. MPI_THREAD_SERIALIZED: a rank's worker threads
// send one at a time (the fitting engine serialises its callbacks), and on
// rank 0 only the receiving thread calls MPI while the fit runs.
#include "ranks.hpp"

#include <cstdlib>
#include <string>

#if DRUMSYNTH_HAVE_MPI
#include <mpi.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>
#endif

namespace drumsynth {

namespace {

#if DRUMSYNTH_HAVE_MPI
int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

constexpr int kItem = 1, kDone = 2;

nlohmann::json to_json(const BatchItem& i) {
  return {{"input", i.input},
          {"relative", i.relative},
          {"status", i.status},
          {"initial_loss", i.initial_loss},
          {"final_loss", i.final_loss},
          {"iterations", i.iterations},
          {"skipped_steps", i.skipped_steps},
          {"seconds", i.seconds},
          {"error", i.error},
          {"preset", i.preset},
          {"hits", i.hits}};
}

BatchItem from_json(const nlohmann::json& j) {
  BatchItem i;
  i.input = j["input"], i.relative = j["relative"], i.status = j["status"];
  i.initial_loss = j["initial_loss"], i.final_loss = j["final_loss"],
  i.iterations = j["iterations"];
  i.skipped_steps = j["skipped_steps"], i.seconds = j["seconds"], i.error = j["error"],
  i.preset = j["preset"], i.hits = j["hits"];
  return i;
}

class MpiRanks final : public Ranks {
 public:
  MpiRanks() {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm local;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &local_rank);
    MPI_Comm_size(local, &local_size);
    MPI_Comm_free(&local);
  }
  ~MpiRanks() override { MPI_Finalize(); }
  void send_item(const BatchItem& item) override {
    const std::string text = to_json(item).dump();
    MPI_Send(text.data(), int(text.size()), MPI_CHAR, 0, kItem, MPI_COMM_WORLD);
  }
  void send_done() override { MPI_Send(nullptr, 0, MPI_CHAR, 0, kDone, MPI_COMM_WORLD); }
  std::vector<int> receive(const std::function<void(const BatchItem&)>& on_item,
                           const std::atomic<bool>& give_up) override {
    std::vector<bool> done(size_t(size), false);
    done[0] = true;
    int open = size - 1;
    while (open > 0 && !give_up) {
      int waiting = 0;
      MPI_Status st;
      MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &waiting, &st);
      if (!waiting) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      int n = 0;
      MPI_Get_count(&st, MPI_CHAR, &n);
      std::string text(size_t(n), '\0');
      MPI_Recv(text.data(), n, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD,
               MPI_STATUS_IGNORE);
      if (st.MPI_TAG == kDone) {
        done[size_t(st.MPI_SOURCE)] = true, --open;
      } else {
        on_item(from_json(nlohmann::json::parse(text)));
      }
    }
    std::vector<int> silent;
    for (int r = 0; r < size; ++r)
      if (!done[size_t(r)]) silent.push_back(r);
    return silent;
  }
};

// Launched by mpirun (Open MPI, MPICH/PMI) or srun (PMIx/Slurm)?
bool launched_by_mpi() {
  return env_int("OMPI_COMM_WORLD_SIZE", 0) > 0 || env_int("PMI_SIZE", 0) > 0 ||
         std::getenv("PMIX_RANK");
}
#endif

}  // namespace

std::unique_ptr<Ranks> start_ranks() {
#if DRUMSYNTH_HAVE_MPI
  if (launched_by_mpi()) return std::make_unique<MpiRanks>();
#endif
  return std::make_unique<Ranks>();
}

}  // namespace drumsynth
