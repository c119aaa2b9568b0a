// A population search over the tone partials before the gradient fit (issue
// 15, item 2): spectral losses give a partial's frequency a gradient only
// within a bin or two of the target's peak, so a partial that the start put
// a semitone off stays there; CMA-ES (cma_es.hpp) samples around the start
// instead, each generation evaluated as one batch of the backend (loss only,
// no adjoint), and hands the best point it saw (the start, if nothing beat
// it) to the gradient fit.
//
// Searched: the frequency and decay of each audible partial of the start
// (gain >= 10% of its loudest partial), at most kMaxSearchedPartials of
// them; the rest of the logits stay. Coordinates: cents / 100 for a
// frequency (a first radius of a semitone) and ln(decay) / 0.5.
#pragma once

#include <stdint.h>

#include <vector>

#include "drumsynth/audio_io.hpp"
#include "drumsynth/loss_settings.hpp"
#include "drumsynth/run_plan.hpp"

namespace drumsynth {

inline constexpr int kMaxSearchedPartials = 8;

struct PopulationSearch {
  int generations = 0;  // 0: no search
  int population = 0;   // candidates a generation; 0: CMA-ES's default, 4 + 3 ln n
  uint64_t seed = 0;
};

struct SearchOutcome {
  std::vector<float> logits;  // [kNumParams], the best point seen
  double start_loss = 0, best_loss = 0;
  int evaluations = 0;  // losses computed, the start's included
};

// The partials a search moves: audible ones of `logits`, loudest first.
std::vector<int> searched_partials(const std::vector<float>& logits);

// Searches around `start` ([kNumParams]) for the target, with its noise seed
// and loss, on the plan's device.
SearchOutcome population_search(const Sound& target, uint64_t noise_seed,
                                const std::vector<float>& start, const LossSettings& loss,
                                const PopulationSearch& search, const RunPlan& plan, int n_threads);

}  // namespace drumsynth
