// Dropping the partials a fit does not need (prune_partials.hpp).
#include "fit/prune_partials.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "drumsynth/param_table.hpp"

namespace drumsynth {

namespace {

float logit_at_min(int i) {
  const ParamSpec& s = param_table()[size_t(i)];
  return float(logit_from_param(s.min, s));
}

}  // namespace

bool partial_dropped(const std::vector<float>& logits, int k) {
  return logits[size_t(P::tone_gain(k))] <= logit_at_min(P::tone_gain(k));
}

void drop_partial(std::vector<float>& logits, int k) {
  logits[size_t(P::tone_gain(k))] = logit_at_min(P::tone_gain(k));
  logits[size_t(P::tone_decay_s(k))] = logit_at_min(P::tone_decay_s(k));
}

std::vector<PruneOutcome> prune_partials(const std::vector<PruneJob>& jobs,
                                         const LossSettings& loss, double max_loss_rise,
                                         const RunPlan& plan, int n_threads, int max_instances) {
  std::vector<PruneOutcome> out(jobs.size());
  std::vector<std::vector<int>> on(jobs.size());  // each job's partials not off yet
  for (size_t j = 0; j < jobs.size(); ++j) {
    out[j].logits = jobs[j].logits;
    for (int k = 0; k < kNumPartials; ++k)
      if (!partial_dropped(jobs[j].logits, k)) on[j].push_back(k);
  }
  for (size_t first = 0; first < jobs.size();) {
    // A chunk of jobs: job j has candidates 0..n_j (its slots from slot[j]).
    size_t last = first;
    std::vector<int> slot;
    int slots = 0;
    while (last < jobs.size() &&
           (last == first || slots + int(on[last].size()) + 1 <= max_instances)) {
      slot.push_back(slots);
      slots += int(on[last].size()) + 1;
      ++last;
    }
    std::vector<Instance> instances;
    for (size_t j = first; j < last; ++j)
      for (size_t c = 0; c <= on[j].size(); ++c)
        instances.push_back(
            {&jobs[j].target->samples, jobs[j].target->sample_rate, jobs[j].noise_seed});
    const auto backend = make_backend(plan, instances, loss, n_threads);
    std::vector<float> batch(static_cast<size_t>(slots) * kNumParams),
        losses(static_cast<size_t>(slots));
    const auto candidate = [&](size_t j, size_t c) {
      return batch.begin() + long(slot[j - first] + int(c)) * kNumParams;
    };
    const auto loss_of = [&](size_t j, size_t c) { return losses[size_t(slot[j - first]) + c]; };

    // 1. Each fit, and each of its partials dropped alone.
    for (size_t j = first; j < last; ++j)
      for (size_t c = 0; c <= on[j].size(); ++c) {
        std::vector<float> z = jobs[j].logits;
        if (c > 0) drop_partial(z, on[j][c - 1]);
        std::copy(z.begin(), z.end(), candidate(j, c));
      }
    backend->loss_only(batch.data(), losses.data());
    std::vector<std::vector<size_t>> order(last - first);
    for (size_t j = first; j < last; ++j) {
      out[j].loss_before = out[j].loss_after = loss_of(j, 0);
      auto& o = order[j - first];
      o.resize(on[j].size());
      std::iota(o.begin(), o.end(), size_t(0));
      std::stable_sort(o.begin(), o.end(), [&](size_t a, size_t b) {
        return loss_of(j, a + 1) < loss_of(j, b + 1);  // the cheapest drop first
      });
    }

    // 2. The first c of that order dropped together, c = 1..n_j (candidate c).
    for (size_t j = first; j < last; ++j) {
      std::vector<float> z = jobs[j].logits;
      for (size_t c = 1; c <= on[j].size(); ++c) {
        drop_partial(z, on[j][order[j - first][c - 1]]);
        std::copy(z.begin(), z.end(), candidate(j, c));
      }
    }
    backend->loss_only(batch.data(), losses.data());  // (candidate 0: each fit again)
    for (size_t j = first; j < last; ++j) {
      if (!std::isfinite(out[j].loss_before)) continue;
      const double bound = out[j].loss_before * (1.0 + max_loss_rise);
      for (size_t c = on[j].size(); c >= 1; --c)
        if (std::isfinite(loss_of(j, c)) && loss_of(j, c) <= bound) {
          out[j].logits.assign(candidate(j, c), candidate(j, c) + kNumParams);
          out[j].loss_after = loss_of(j, c), out[j].dropped = int(c);
          break;
        }
    }
    first = last;
  }
  return out;
}

}  // namespace drumsynth
