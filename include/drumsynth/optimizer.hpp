// Running the optimiser over a backend's batch: what a run takes (settings,
// progress, a stop flag) and what it gives back per instance (the loop itself
// is Backend::optimize, backend.hpp).
#pragma once

#include <atomic>
#include <functional>
#include <vector>

#include "drumsynth/error.hpp"
#include "drumsynth/fit/optimizer_step.hpp"

namespace drumsynth {

struct FitProgress {
  int iteration;     // 1-based, iterations done
  int iterations;    // total
  double loss;       // this iteration's loss (the median over instances)
  double best_loss;  // the median of the instances' best losses
  double elapsed_s;
  double remaining_s;  // estimate
};

struct FitControl {
  std::function<void(const FitProgress&)> progress;  // called every progress_every iterations
  int progress_every = 10;
  const std::atomic<bool>* stop = nullptr;  // when set, the run throws Interrupted
  // When set, the run ends after the iteration in flight and returns what it
  // has (each instance's best so far, a shorter loss history): Ctrl-C in a
  // notebook keeps the fit, where stop discards it.
  const std::atomic<bool>* finish = nullptr;
};

inline bool finish_requested(const FitControl& control) {
  return control.finish && control.finish->load();
}

// Thrown by a run whose FitControl::stop was set; nothing has been written.
struct Interrupted : Error {
  Interrupted() : Error("interrupted") {}
};

// One instance's run.
struct InstanceFit {
  std::vector<float> best_logits;  // [kNumParams]
  double best_loss = 0;
  double initial_loss = 0;
  int best_iteration = 0;
  std::vector<double> loss_history;  // loss at each iteration's logits
  int skipped_steps = 0;             // iterations not taken: loss or gradient not finite
};

}  // namespace drumsynth
