// The fitting driver: Adam on the logits with the original's reduce-on-plateau
// schedule, keeping each instance's best logits. Written once against the
// Backend interface, so CPU and GPU fits share it.
#pragma once

#include <stdint.h>

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "audio_io.hpp"
#include "drumsynth/backend.hpp"

namespace drumsynth {

struct FitProgress {
  int iteration;       // 1-based, iterations done
  int iterations;      // total
  double loss;         // this iteration's loss (instance 0, or the median over instances)
  double best_loss;
  double elapsed_s;
  double remaining_s;  // estimate
};

// Where fits start: the analysis of the target (analysis.hpp), or random
// logits as the original did.
enum class FitInit { analysis, random };

struct FitOptions {
  int iterations = 1000;
  double learning_rate = 0.1;   // Adam, as the original
  // The frequencies' learning rate relative to the others: spectral losses
  // give a frequency a gradient only within a bin or two of its peak, so a
  // frequency that moves fast leaves the basin the start put it in.
  double pitch_lr_scale = 1.0;
  double plateau_factor = 0.5;  // torch ReduceLROnPlateau, as the original
  int plateau_patience = 50;
  uint64_t seed = 0;            // restart r: noise seed seed + r, and its starting point
  FitInit init = FitInit::analysis;
  int restarts = 1;             // starting points fitted side by side, the best kept
  LossSettings loss = loss_preset("seed");
  int n_threads = 1;
  std::string device = "cpu";  // auto, cpu or cuda (make_backend)
  std::function<void(const FitProgress&)> progress;  // called every progress_every iterations
  int progress_every = 10;
  const std::atomic<bool>* stop = nullptr;  // when set, the fit throws Interrupted
};

// Thrown by a fit whose FitOptions::stop was set; nothing has been written.
struct Interrupted : Error {
  Interrupted() : Error("interrupted") {}
};

struct FitResult {
  std::vector<double> best_logits;  // [kNumParams]
  std::vector<double> params;       // physical units of best_logits
  double best_loss = 0;
  double initial_loss = 0;
  int best_iteration = 0;
  std::vector<double> loss_history;  // loss at each iteration's logits
  double seconds = 0;
  uint64_t noise_seed = 0;  // of the restart this result comes from (fit())
};

// Deterministic starting logits for a seed: standard normal, as the original's
// torch.randn, from a counter-based generator so every platform agrees.
std::vector<float> random_logits(uint64_t seed);

// Fits every instance of the backend from the given starting logits
// ([n_instances * kNumParams]); one result per instance.
std::vector<FitResult> fit_instances(Backend& backend, std::vector<float> logits,
                                     const FitOptions& options);

// Index of the best of the `restarts` results starting at results[first].
int best_restart(const std::vector<FitResult>& results, size_t first, int restarts);

// Starting logits [restarts * kNumParams] for a target, as options.init says.
std::vector<float> starting_logits(const Sound& target, const FitOptions& options);

// One sound on the CPU: options.restarts starting points, the best result kept.
FitResult fit(const Sound& target, const FitOptions& options);

}  // namespace drumsynth
