// The fitting engine: sounds x restarts packed into backend batches, each run
// by its backend's optimiser, the best restart of each sound kept.
#include "drumsynth/fit.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <future>
#include <mutex>
#include <thread>

#include "cpu/parallel_for.hpp"
#include "drumsynth/analysis.hpp"
#include "drumsynth/param_table.hpp"
#include "drumsynth/switches.hpp"
#include "drumsynth/synth/noise_rng.hpp"
#include "fit/gpu_groups.hpp"
#include "fit/population_search.hpp"
#include "fit/prune_partials.hpp"

namespace drumsynth {

namespace {

// Index of the best of the `restarts` runs starting at fits[first] (the first on a tie).
int best_restart(const std::vector<InstanceFit>& fits, size_t first, int restarts) {
  int best = 0;
  for (int r = 1; r < restarts; ++r)
    if (fits[first + r].best_loss < fits[first + best].best_loss) best = r;
  return best;
}

FitResult sound_result(const InstanceFit& run, uint64_t noise_seed, double seconds) {
  FitResult r;
  static_cast<InstanceFit&>(r) = run;
  r.params =
      params_from_logits(std::vector<double>(run.best_logits.begin(), run.best_logits.end()));
  r.seconds = seconds;
  r.noise_seed = noise_seed;
  return r;
}

// Moves each instance's starting logits to the best point of a population
// search around them (one search per instance, on the batch's device).
void search_from_starts(const std::vector<Instance>& instances,
                        const std::vector<const Sound*>& group, const RunPlan& plan, int n_threads,
                        const FitOptions& o, std::vector<float>& logits) {
  for (size_t b = 0; b < instances.size(); ++b) {
    const PopulationSearch search{o.search_generations, o.search_population, o.seed + b};
    const std::vector<float> start(logits.begin() + long(b * kNumParams),
                                   logits.begin() + long((b + 1) * kNumParams));
    const auto found = population_search(*group[b / size_t(o.restarts)], instances[b].noise_seed,
                                         start, o.loss, search, plan, n_threads);
    std::copy(found.logits.begin(), found.logits.end(), logits.begin() + long(b * kNumParams));
  }
}

// `second` continued `first` from its best logits: one run of both.
InstanceFit joined_runs(InstanceFit first, const InstanceFit& second) {
  const int offset = int(first.loss_history.size());
  first.loss_history.insert(first.loss_history.end(), second.loss_history.begin(),
                            second.loss_history.end());
  first.skipped_steps += second.skipped_steps;
  if (second.best_loss < first.best_loss) {
    first.best_loss = second.best_loss;
    first.best_logits = second.best_logits;
    first.best_iteration = offset + second.best_iteration;
  }
  return first;
}

// The control of a part of a fit that starts after `offset` of its `total`
// iterations: its progress counts in the whole fit's iterations.
FitControl part_control(const FitControl& control, int offset, int total) {
  FitControl part = control;
  if (control.progress)
    part.progress = [&control, offset, total](const FitProgress& p) {
      FitProgress whole = p;
      whole.iteration += offset, whole.iterations = total;
      control.progress(whole);
    };
  return part;
}

// The gradient fit in two parts with a population search between them: the
// first search_after iterations (by default the pitch hold, in which the
// gains, decays and noise fit around the start's frequencies), then the
// search from each instance's best so far, then the rest of the iterations
// (a fresh optimiser state; frequencies not held again). A search at
// iteration 0 searches from the starting logits; at least one gradient step
// follows the search (its result is kept only through the run's best).
std::vector<InstanceFit> optimize_with_search(Backend& backend, std::vector<float> logits,
                                              const std::vector<Instance>& instances,
                                              const std::vector<const Sound*>& group,
                                              const RunPlan& plan, int n_threads,
                                              const FitOptions& o, const FitControl& control) {
  OptimizerConfig first = optimizer_config(o), rest = first;
  const int split =
      std::clamp(o.search_after_iterations >= 0 ? o.search_after_iterations : first.hold_iterations,
                 0, std::max(0, o.iterations - 1));
  first.iterations = split;
  rest.iterations = o.iterations - split;
  rest.hold_iterations = std::max(0, first.hold_iterations - split);
  std::vector<InstanceFit> before;
  if (split > 0) {
    before = backend.optimize(std::move(logits), first, part_control(control, 0, o.iterations));
    logits.clear();
    for (const auto& r : before)
      logits.insert(logits.end(), r.best_logits.begin(), r.best_logits.end());
  }
  search_from_starts(instances, group, plan, n_threads, o, logits);
  auto after =
      backend.optimize(std::move(logits), rest, part_control(control, split, o.iterations));
  if (split > 0)
    for (size_t b = 0; b < after.size(); ++b)
      after[b] = joined_runs(std::move(before[b]), after[b]);
  return after;
}

// One backend batch: restart r of each sound is an instance with noise seed
// seed + r and its own starting point. Returns each sound's best restart.
// `analysed`: the group's starting logits when they were made beforehand.
std::vector<FitResult> fit_group(const std::vector<const Sound*>& group, const RunPlan& plan,
                                 int n_threads, const FitOptions& o, const FitControl& control,
                                 std::vector<float> analysed = {}) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<Instance> instances;
  for (const Sound* s : group)
    for (int r = 0; r < o.restarts; ++r)
      instances.push_back({&s->samples, s->sample_rate, o.seed + uint64_t(r)});
  // The backend first: it refuses a sound it cannot fit (e.g. empty) before
  // the analysis looks at it (AnalysisAhead analyses no group with an empty sound).
  auto backend = make_backend(plan, instances, o.loss, n_threads);
  std::vector<float> logits =
      analysed.empty() ? starting_logits(group, o, n_threads, plan.switches.partials_by_pencil)
                       : std::move(analysed);
  const auto runs = o.search_generations > 0
                        ? optimize_with_search(*backend, std::move(logits), instances, group, plan,
                                               n_threads, o, control)
                        : backend->optimize(std::move(logits), optimizer_config(o), control);
  backend.reset();  // its memory is free for the pruning's batches
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
      group.size();
  // Each sound's best restart, its partials pruned where asked, then its result.
  std::vector<InstanceFit> best;
  std::vector<uint64_t> seeds;
  for (size_t s = 0; s < group.size(); ++s) {
    const int r = best_restart(runs, s * o.restarts, o.restarts);
    best.push_back(runs[s * o.restarts + r]), seeds.push_back(o.seed + uint64_t(r));
  }
  std::vector<PruneOutcome> pruned(group.size());
  if (o.prune_max_loss_rise >= 0) {
    std::vector<PruneJob> jobs;
    for (size_t s = 0; s < group.size(); ++s)
      jobs.push_back({group[s], seeds[s], best[s].best_logits});
    try {  // a failure here (GPU memory, say) keeps the fits as they are, unpruned
      pruned = prune_partials(jobs, o.loss, o.prune_max_loss_rise, plan, n_threads,
                              int(instances.size()));
    } catch (const Interrupted&) {
      throw;
    } catch (const std::exception&) {
      pruned.assign(group.size(), {});
    }
    for (size_t s = 0; s < group.size(); ++s)
      if (pruned[s].dropped > 0)
        best[s].best_logits = pruned[s].logits, best[s].best_loss = pruned[s].loss_after;
  }
  std::vector<FitResult> results;
  for (size_t s = 0; s < group.size(); ++s) {
    results.push_back(sound_result(best[s], seeds[s], seconds));
    results.back().partials_dropped = pruned[s].dropped;
  }
  return results;
}

// A sound not started before FitOptions::finish was set.
std::exception_ptr not_started() {
  return std::make_exception_ptr(Error("not fitted: the fit was ended before this sound started"));
}

// Hands each finished sound to on_done, one at a time.
struct Reporter {
  const SoundDone& on_done;
  std::vector<SoundFit>& fits;
  std::mutex mutex;
  void done(int s, SoundFit fit) {
    std::lock_guard<std::mutex> lock(mutex);
    fits[s] = std::move(fit);
    if (on_done) on_done(s, fits[s]);
  }
};

// What a GPU batch may take: the user's bound, or 90% of the memory free now
// less 256 MiB for cuFFT's plans and the CUDA context's own allocations
// (batches on the CPU backend, for tests: no bound).
size_t gpu_memory_budget(const FitOptions& o, const RunPlan& plan) {
  if (o.gpu_memory_bytes) return o.gpu_memory_bytes;
  if (plan.device == Device::cpu) return size_t(1) << 50;
  const size_t free_bytes = cuda_bytes_free(), reserve = size_t(256) << 20;
  return free_bytes * 9 / 10 > reserve ? free_bytes * 9 / 10 - reserve : 1;
}

std::vector<const Sound*> sounds_of(const std::vector<const Sound*>& sounds, const GpuGroup& g) {
  return {sounds.begin() + long(g.first), sounds.begin() + long(g.last)};
}

// A group's starting logits, made on the CPU's threads while the GPU fits
// the group before it (the analysis, ~30 ms a sound on a core, would
// otherwise leave the GPU idle between groups). Groups with an empty sound
// are left to fit_group, whose backend refuses it before any analysis.
class AnalysisAhead {
 public:
  AnalysisAhead(const std::vector<const Sound*>& sounds, const std::vector<GpuGroup>& groups,
                const FitOptions& o, bool partials_by_pencil)
      : sounds_(sounds), groups_(groups), o_(o), pencil_(partials_by_pencil) {}
  void start(size_t k) {
    if (k >= groups_.size() || !groups_[k].fits) return;
    const std::vector<const Sound*> group = sounds_of(sounds_, groups_[k]);
    if (std::any_of(group.begin(), group.end(), [](const Sound* s) { return s->samples.empty(); }))
      return;
    pending_ = std::async(std::launch::async, [this, group] {
      return starting_logits(group, o_, o_.n_threads, pencil_);
    });
    pending_group_ = k;
  }
  // Group k's logits if they were started (rethrowing the analysis' error), else none.
  std::vector<float> take(size_t k) {
    if (pending_group_ != k) return {};
    pending_group_ = SIZE_MAX;
    return pending_.get();
  }

 private:
  const std::vector<const Sound*>& sounds_;
  const std::vector<GpuGroup>& groups_;
  const FitOptions& o_;
  const bool pencil_;
  std::future<std::vector<float>> pending_;  // its destructor waits for a started analysis
  size_t pending_group_ = SIZE_MAX;
};

std::string mebibytes(size_t bytes) {
  return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB";
}

// The GPU: consecutive groups of at most gpu_batch sounds, cut so each fits
// the grid, the kernels' 32-bit offsets and the free memory
// (gpu_groups.hpp); one backend batch each, in order, the next group's
// analysis running while this one fits. The plan's device: cuda, or cpu for
// tests (RunPlan::batches).
void fit_on_gpu(const std::vector<const Sound*>& sounds, const FitOptions& o,
                const FitControl& control, Reporter& report, const RunPlan& plan) {
  std::vector<int> lengths;
  for (const Sound* s : sounds) lengths.push_back(int(s->samples.size()));
  GpuGroupLimits limits;
  limits.memory_bytes = gpu_memory_budget(o, plan);
  const std::vector<GpuGroup> groups =
      plan_gpu_groups(lengths, o.restarts, o.gpu_batch, o.loss, o.iterations, limits);
  AnalysisAhead ahead(sounds, groups, o, plan.switches.partials_by_pencil);
  for (size_t k = 0; k < groups.size(); ++k) {
    const GpuGroup& g = groups[k];
    if (o.stop && o.stop->load()) throw Interrupted();
    if (finish_requested(control)) {
      for (size_t s = g.first; s < g.last; ++s) report.done(int(s), {{}, not_started()});
      continue;
    }
    if (!g.fits) {
      report.done(int(g.first),
                  {{},
                   std::make_exception_ptr(Error(
                       "too large for one GPU batch: needs about " + mebibytes(g.bytes) +
                       " of GPU memory with " + std::to_string(o.restarts) + " restart(s), " +
                       mebibytes(limits.memory_bytes) + " available; fit it with --device cpu"))});
      continue;
    }
    const std::vector<const Sound*> group = sounds_of(sounds, g);
    try {
      if (k == 0 && o.init == FitInit::analysis) ahead.start(0);
      std::vector<float> analysed = ahead.take(k);
      if (o.init == FitInit::analysis) ahead.start(k + 1);
      // The GPU backend takes no threads; the sounds' analysis takes them all.
      const auto results = fit_group(group, plan, o.n_threads, o, control, std::move(analysed));
      for (size_t s = g.first; s < g.last; ++s)
        report.done(int(s), {results[s - g.first], nullptr});
    } catch (const Interrupted&) {
      throw;
    } catch (...) {  // the batch failed as a whole: each of its sounds says why
      for (size_t s = g.first; s < g.last; ++s) report.done(int(s), {{}, std::current_exception()});
    }
  }
}

// The CPU: a pool of workers, each fitting one sound (with its restarts) at a
// time; a lone sound gets every thread. Results do not depend on the thread
// count (the CPU backend sums in a fixed order).
void fit_on_cpu(const std::vector<const Sound*>& sounds, const FitOptions& o,
                const FitControl& control, Reporter& report, const RunPlan& plan) {
  const int n = int(sounds.size());
  const int workers = std::max(1, std::min(o.n_threads, n));  // parallel_for's
  const int threads_each = std::max(1, o.n_threads / workers);
  // A set stop flag, or a fit interrupted, ends the loop: parallel_for starts
  // no more sounds and rethrows Interrupted once the others have finished.
  parallel_for(n, o.n_threads, [&](int s) {
    if (o.stop && o.stop->load()) throw Interrupted();
    if (finish_requested(control)) {
      report.done(s, {{}, not_started()});
      return;
    }
    try {
      report.done(s, {fit_group({sounds[s]}, plan, threads_each, o, control).front(), nullptr});
    } catch (const Interrupted&) {
      throw;
    } catch (...) {
      report.done(s, {{}, std::current_exception()});
    }
  });
}

// The parameters that set a partial's pitch: the tones', the transient's and
// the resonator's frequencies, and the glide, which moves every partial.
std::vector<int> pitch_parameters() {
  std::vector<int> p{P::transient_freq_hz, P::resonator_freq_hz, P::sweep_ratio, P::sweep_s};
  for (int k = 0; k < kNumPartials; ++k) p.push_back(P::tone_freq_hz(k));
  return p;
}

}  // namespace

OptimizerConfig optimizer_config(const FitOptions& o) {
  OptimizerConfig c;
  c.iterations = o.iterations;
  c.learning_rate = o.learning_rate;
  c.plateau_factor = o.plateau_factor;
  c.plateau_patience = o.plateau_patience;
  c.stop_window = o.stop_window, c.stop_rate_cuts = o.stop_rate_cuts, c.stop_gain = o.stop_gain;
  const double pitch = o.pitch_lr_scale > 0
                           ? o.pitch_lr_scale
                           : (o.init == FitInit::analysis ? kAnalysisPitchLrScale : 1.0);
  c.hold_iterations = o.pitch_hold_iterations >= 0  ? o.pitch_hold_iterations
                      : o.init == FitInit::analysis ? kAnalysisPitchHoldIterations
                                                    : 0;
  for (int i = 0; i < kNumParams; ++i) c.lr_scale[i] = c.lr_scale_held[i] = 1.0;
  for (int i : pitch_parameters()) c.lr_scale[i] = pitch, c.lr_scale_held[i] = 0.0;
  return c;
}

std::vector<float> random_logits(uint64_t seed) {
  std::vector<float> z(kNumParams);
  for (int i = 0; i < kNumParams; ++i) z[i] = float(standard_normal(seed ^ 0x5EEDull, uint64_t(i)));
  return z;
}

std::vector<float> starting_logits(const Sound& target, const FitOptions& o,
                                   bool partials_by_pencil) {
  if (o.init == FitInit::analysis)
    return analysis_logits(target, o.restarts, o.seed, 0.5, partials_by_pencil);
  std::vector<float> z;
  for (int r = 0; r < o.restarts; ++r) {
    const auto zr = random_logits(o.seed + uint64_t(r));
    z.insert(z.end(), zr.begin(), zr.end());
  }
  return z;
}

// The sounds in parallel: the analysis takes ~30 ms a sound on one core
// (mostly the glide search), which one sound at a time would be a large part
// of a GPU batch's wall time (the development set's 138 sounds: ~4.4 s).
std::vector<float> starting_logits(const std::vector<const Sound*>& group, const FitOptions& o,
                                   int n_threads, bool partials_by_pencil) {
  std::vector<std::vector<float>> each(group.size());
  parallel_for(int(group.size()), n_threads, [&](int s) {
    if (o.stop && o.stop->load()) throw Interrupted();
    each[size_t(s)] = starting_logits(*group[size_t(s)], o, partials_by_pencil);
  });
  std::vector<float> logits;
  for (const auto& z : each) logits.insert(logits.end(), z.begin(), z.end());
  return logits;
}

RunPlan plan_of(const FitOptions& o) {
  return o.plan ? *o.plan : resolve_plan(o.device, o.kernels);
}

std::vector<SoundFit> fit_sounds(const std::vector<const Sound*>& sounds, const FitOptions& o,
                                 const SoundDone& on_done) {
  if (o.restarts < 1) throw Error("restarts must be at least 1");
  const RunPlan plan = plan_of(o);  // the one resolution, when the caller made none
  std::vector<SoundFit> fits(sounds.size());
  Reporter report{on_done, fits, {}};
  // Per-iteration progress only where one backend batch runs at a time.
  const bool one_at_a_time = plan.device == Device::cuda || sounds.size() == 1;
  const FitControl control{one_at_a_time ? o.progress : nullptr, o.progress_every, o.stop,
                           o.finish};
  if (plan.batches())
    fit_on_gpu(sounds, o, control, report, plan);
  else
    fit_on_cpu(sounds, o, control, report, plan);
  return fits;
}

FitResult fit(const Sound& target, const FitOptions& options) {
  auto fits = fit_sounds({&target}, options);
  if (fits[0].error) std::rethrow_exception(fits[0].error);
  return fits[0].result;
}

}  // namespace drumsynth
