// The fitting engine: sounds in, presets' parameters out. fit_sounds packs
// every sound's restarts into backend batches (the GPU: many sounds per batch;
// the CPU: a pool of workers, a sound each), runs the optimiser on each batch
// and keeps each sound's best restart. fit() is the same call with one sound;
// `drumsynth batch` adds only discovery, resume, chunking and the outputs.
#pragma once

#include <stdint.h>

#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "drumsynth/audio_io.hpp"
#include "drumsynth/backend.hpp"
#include "drumsynth/param_table.hpp"
#include "drumsynth/run_plan.hpp"

namespace drumsynth {

// Where fits start: the analysis of the target (analysis.hpp), or random
// logits as the original did.
enum class FitInit { analysis, random };

// The frequencies' learning-rate scale from an analysis start, chosen on the
// tuning part of the development set (bench/results/quality-experiments.md):
// the analysis reads the partials' end frequencies off the dechirped hit to
// a cent or two (dechirp.hpp), and Adam moves a logit by about its learning
// rate each step whatever the gradient's size, which at full rate is ~80
// cents a step for a frequency: the start is better kept.
inline constexpr double kAnalysisPitchLrScale = 0.01;

// From an analysis start, the frequencies and the glide stay where the
// analysis put them for the first 100 iterations, while the gains, decays and
// noise fit: until those are close, the spectral loss pulls a partial that is
// in the right place towards energy the other blocks have not matched yet.
// 100 was chosen by measurement (synthetic recovery and the tuning part:
// docs/quality.md).
inline constexpr int kAnalysisPitchHoldIterations = 100;

struct FitOptions {
  int iterations = 1000;
  double learning_rate = 0.1;  // Adam, as the original
  // The learning rate of the frequencies and the pitch glide relative to the
  // others: spectral losses give a frequency a gradient only within a bin or
  // two of its peak, so a frequency that moves fast leaves the basin the
  // start put it in. 0 (the default): by the start, kAnalysisPitchLrScale
  // from the analysis (its frequencies are close already), 1 from random
  // logits.
  double pitch_lr_scale = 0.0;
  // The first iterations in which the frequencies and the glide are not
  // stepped (Adam's moments still gather). Negative (the default): by the
  // start, kAnalysisPitchHoldIterations from the analysis, 0 from random logits.
  int pitch_hold_iterations = -1;
  double plateau_factor = 0.5;  // torch ReduceLROnPlateau, as the original
  int plateau_patience = 50;
  // A restart stops when it has converged: after stop_rate_cuts cuts of the
  // rate, no fall of the best loss by a relative stop_gain in stop_window
  // iterations (0: every fit runs all its iterations). Chosen on the tuning
  // part (docs/quality.md): 59% of the iterations at equal quality.
  int stop_window = 50;
  int stop_rate_cuts = 2;
  double stop_gain = 1e-3;
  uint64_t seed = 0;  // restart r: noise seed seed + r, and its starting point
  FitInit init = FitInit::analysis;
  int restarts = 1;  // starting points fitted side by side, the best kept
  // A CMA-ES search over the audible partials' frequencies and decays from
  // each starting point before the gradient fit (population_search.hpp):
  // generations (0: none) and candidates per generation (0: CMA-ES's default).
  int search_generations = 0;
  int search_population = 0;
  int search_after_iterations = -1;  // gradient steps before the search; -1: the pitch hold's
  // After the fit, the partials whose dropping together costs at most this
  // relative rise of the loss are turned off (fit/prune_partials.hpp); < 0: none.
  double prune_max_loss_rise = -1.0;
  LossSettings loss = loss_preset(kDefaultFitLoss);
  DeviceChoice device = DeviceChoice::cpu;
  int n_threads = 1;              // CPU: threads (sounds fitted at once, or one sound's work)
  int gpu_batch = 256;            // GPU: sounds per backend batch (each with its restarts)
  size_t gpu_memory_bytes = 0;    // GPU: memory a batch may take; 0: 90% of what is free
  Kernels kernels = Kernels::v1;  // GPU: its kernels (make_backend)
  // Where and how it runs, when the caller has resolved it (the command line
  // does, once); else fit_sounds resolves device and kernels above (resolve_plan).
  std::optional<RunPlan> plan;
  // Per-iteration progress of a backend batch; called only when one batch is
  // in flight at a time (one sound, or the GPU), not from a pool of CPU workers.
  std::function<void(const FitProgress&)> progress;
  int progress_every = 10;
  const std::atomic<bool>* stop = nullptr;  // when set, the fit throws Interrupted
  // When set, the batches in flight end after their current iteration and
  // keep their best so far; sounds not started yet are not fitted (their
  // SoundFit::error says so).
  const std::atomic<bool>* finish = nullptr;
};

// A sound's fit: its best restart's run (logits, losses, history), and
// what the sound adds to it.
struct FitResult : InstanceFit {
  std::vector<double> params;  // physical units of best_logits
  double seconds = 0;          // wall time of the sound's backend batch, shared among its sounds
  uint64_t noise_seed = 0;     // of the restart this result comes from
  int partials_dropped = 0;    // by the pruning after the fit (best_loss is after it)
};

// One sound's outcome: its best restart, or the error that stopped it.
struct SoundFit {
  FitResult result;
  std::exception_ptr error;
};

// Called as each sound finishes (serialised; from a worker thread on the CPU).
using SoundDone = std::function<void(int sound, const SoundFit& fit)>;

// Fits every sound (options.restarts starting points each, the best kept).
// A sound that fails (its error in SoundFit::error) does not stop the others;
// a set stop flag throws Interrupted once the batches in flight have stopped,
// after on_done has been called for every sound finished before.
std::vector<SoundFit> fit_sounds(const std::vector<const Sound*>& sounds, const FitOptions& options,
                                 const SoundDone& on_done = {});

// One sound: fit_sounds of it alone; throws its error.
FitResult fit(const Sound& target, const FitOptions& options);

// The optimiser's settings of a fit (the frequencies' learning-rate scale
// spread over the parameters).
OptimizerConfig optimizer_config(const FitOptions& options);

// Deterministic starting logits for a seed: standard normal, as the original's
// torch.randn, from a counter-based generator so every platform agrees.
std::vector<float> random_logits(uint64_t seed);

// Starting logits [restarts * kNumParams] for a target, as options.init says
// (partials_by_pencil: the analysis' switch, run_plan.hpp).
std::vector<float> starting_logits(const Sound& target, const FitOptions& options,
                                   bool partials_by_pencil = false);

// The same for each sound of a group, one after another [sounds * restarts *
// kNumParams], the sounds analysed on up to n_threads threads (the thread
// count changes no bit). Throws Interrupted, soon, once options.stop is set.
std::vector<float> starting_logits(const std::vector<const Sound*>& group,
                                   const FitOptions& options, int n_threads,
                                   bool partials_by_pencil = false);

// The plan fit_sounds runs: options.plan, or resolve_plan of options.device
// and options.kernels.
RunPlan plan_of(const FitOptions& options);

}  // namespace drumsynth
