// A parallel loop over indices for the host's independent per-sound work
// (rendering targets, analysing sounds): no library's thread pool is worth
// its dependency for this one pattern.
#pragma once

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <vector>

namespace drumsynth {

// body(i) for every i in [0, n), each once, on up to `threads` threads (the
// caller's among them), in no particular order. The first exception a body
// throws is rethrown here once every thread has stopped; the indices not yet
// started are then skipped.
template <typename Body>
void parallel_for(int n, int threads, Body&& body) {
  const int workers = std::max(1, std::min(threads, n));
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr error;
  auto work = [&] {
    for (int i; !failed && (i = next++) < n;) {
      try {
        body(i);
      } catch (...) {
        if (!failed.exchange(true)) error = std::current_exception();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
}

}  // namespace drumsynth
