// The host's parallel loop: every index once on any thread count, and a
// body's exception comes back to the caller after the threads have stopped.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cpu/parallel_for.hpp"

namespace drumsynth {
namespace {

TEST(ParallelFor, RunsEveryIndexOnceOnAnyThreadCount) {
  for (int threads : {1, 2, 7, 64}) {
    for (int n : {0, 1, 5, 1000}) {
      std::vector<std::atomic<int>> runs(static_cast<size_t>(n));
      parallel_for(n, threads, [&](int i) { ++runs[size_t(i)]; });
      for (int i = 0; i < n; ++i)
        ASSERT_EQ(runs[size_t(i)].load(), 1) << "threads " << threads << " n " << n << " i " << i;
    }
  }
}

TEST(ParallelFor, RethrowsABodysExceptionAndStopsStartingMore) {
  // One thread: indices in order, none started after the one that threw.
  std::atomic<int> started{0};
  EXPECT_THROW(parallel_for(10000, 1,
                            [&](int i) {
                              ++started;
                              if (i == 3) throw std::runtime_error("index 3");
                            }),
               std::runtime_error);
  EXPECT_EQ(started.load(), 4);
  // Four threads: the others' bodies take 200 us each, so all 10,000 would
  // take over half a second after index 3 threw (this test once failed on a
  // loaded machine with bodies of no time, the thrower descheduled while the
  // others ran through every index).
  started = 0;
  EXPECT_THROW(parallel_for(10000, 4,
                            [&](int i) {
                              ++started;
                              if (i == 3) throw std::runtime_error("index 3");
                              std::this_thread::sleep_for(std::chrono::microseconds(200));
                            }),
               std::runtime_error);
  EXPECT_LT(started.load(), 10000);
}

}  // namespace
}  // namespace drumsynth
