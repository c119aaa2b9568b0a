// Dropping the partials a fit does not need (issue 41, item 2): a fit keeps
// all kNumPartials partials, and the ones that matched nothing stay as quiet
// sines that ring on (at 8-10 kHz over a cymbal's noisy wash, or under a
// tom's tail) and crowd the preset a user edits. After the gradient fit:
//   1. one batch of the backend (loss only): the fit itself and the fit with
//      each partial dropped alone; the partials ordered by the loss each
//      drop leaves, the cheapest first;
//   2. a second batch: the first j of that order dropped together, for every
//      j; the largest j whose loss is within (1 + max_loss_rise) of the
//      fit's is kept.
// A dropped partial's gain and decay go to their minima (-80 dB, 5 ms): it
// is silent within a few tens of ms, and an editor sees it off.
#pragma once

#include <stdint.h>

#include <vector>

#include "drumsynth/audio_io.hpp"
#include "drumsynth/loss_settings.hpp"
#include "drumsynth/run_plan.hpp"

namespace drumsynth {

struct PruneJob {
  const Sound* target;
  uint64_t noise_seed;
  std::vector<float> logits;  // [kNumParams]: the fit
};

struct PruneOutcome {
  std::vector<float> logits;  // [kNumParams]: the job's, or with partials dropped
  double loss_before = 0, loss_after = 0;
  int dropped = 0;  // partials dropped now (not counting ones already off)
};

// Whether partial k of `logits` is off (its gain at the minimum).
bool partial_dropped(const std::vector<float>& logits, int k);

// `logits` with partial k off.
void drop_partial(std::vector<float>& logits, int k);

// Each job's fit with what costs at most max_loss_rise (relative) of its loss
// dropped, for its target, noise seed and `loss`, on the plan's device and kernels. Jobs share
// backend batches of at most max_instances instances (at least one job's
// kNumPartials + 1), so a GPU group's pruning fits where its fit did.
std::vector<PruneOutcome> prune_partials(const std::vector<PruneJob>& jobs,
                                         const LossSettings& loss, double max_loss_rise,
                                         const RunPlan& plan, int n_threads, int max_instances);

}  // namespace drumsynth
