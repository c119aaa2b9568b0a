// Population search over the partials (population_search.hpp).
#include "fit/population_search.hpp"

#include <algorithm>
#include <cmath>

#include "drumsynth/param_table.hpp"
#include "fit/cma_es.hpp"

namespace drumsynth {

namespace {

constexpr double kCentsPerUnit = 100.0;  // a frequency coordinate of 1: a semitone
constexpr double kLnDecayPerUnit = 0.5;  // a decay coordinate of 1: x1.65
constexpr double kAudibleGainFraction = 0.1;

// The logits of a point u of the search: each searched partial's frequency
// and decay moved from the start's, in physical units, and mapped back (a
// value past its range is held at the range's end by logit_from_param).
std::vector<float> logits_at(const Eigen::VectorXd& u, const std::vector<float>& start,
                             const std::vector<double>& start_params,
                             const std::vector<int>& partials) {
  const auto& table = param_table();
  std::vector<float> z = start;
  for (size_t j = 0; j < partials.size(); ++j) {
    const int f = P::tone_freq_hz(partials[j]), d = P::tone_decay_s(partials[j]);
    const double freq = start_params[f] * std::exp2(u[2 * j] * kCentsPerUnit / 1200.0);
    const double decay = start_params[d] * std::exp(u[2 * j + 1] * kLnDecayPerUnit);
    z[f] = float(logit_from_param(std::clamp(freq, table[f].min, table[f].max), table[f]));
    z[d] = float(logit_from_param(std::clamp(decay, table[d].min, table[d].max), table[d]));
  }
  return z;
}

}  // namespace

std::vector<int> searched_partials(const std::vector<float>& logits) {
  const auto p = params_from_logits(std::vector<double>(logits.begin(), logits.end()));
  double loudest = 0;
  for (int k = 0; k < kNumPartials; ++k) loudest = std::max(loudest, p[P::tone_gain(k)]);
  std::vector<int> audible;
  for (int k = 0; k < kNumPartials; ++k)
    if (p[P::tone_gain(k)] >= kAudibleGainFraction * loudest) audible.push_back(k);
  std::stable_sort(audible.begin(), audible.end(),
                   [&](int a, int b) { return p[P::tone_gain(a)] > p[P::tone_gain(b)]; });
  if (audible.size() > size_t(kMaxSearchedPartials)) audible.resize(kMaxSearchedPartials);
  return audible;
}

SearchOutcome population_search(const Sound& target, uint64_t noise_seed,
                                const std::vector<float>& start, const LossSettings& loss,
                                const PopulationSearch& search, const RunPlan& plan,
                                int n_threads) {
  SearchOutcome out;
  out.logits = start;
  const std::vector<int> partials = searched_partials(start);
  const Instance one{&target.samples, target.sample_rate, noise_seed};
  float start_loss = 0;
  make_backend(plan, {one}, loss, n_threads)->loss_only(start.data(), &start_loss);
  out.start_loss = out.best_loss = start_loss;
  out.evaluations = 1;
  if (search.generations <= 0 || partials.empty()) return out;

  const auto start_params = params_from_logits(std::vector<double>(start.begin(), start.end()));
  CmaEs cma(Eigen::VectorXd::Zero(2 * Eigen::Index(partials.size())), 1.0, search.population,
            search.seed);
  const auto backend =
      make_backend(plan, std::vector<Instance>(size_t(cma.population()), one), loss, n_threads);
  std::vector<float> batch(size_t(cma.population()) * kNumParams),
      losses_f(size_t(cma.population()));
  for (int g = 0; g < search.generations; ++g) {
    const auto& candidates = cma.ask();
    for (size_t k = 0; k < candidates.size(); ++k) {
      const auto z = logits_at(candidates[k], start, start_params, partials);
      std::copy(z.begin(), z.end(), batch.begin() + long(k * kNumParams));
    }
    backend->loss_only(batch.data(), losses_f.data());
    out.evaluations += cma.population();
    for (size_t k = 0; k < candidates.size(); ++k)
      if (std::isfinite(losses_f[k]) && losses_f[k] < out.best_loss) {
        out.best_loss = losses_f[k];
        out.logits.assign(batch.begin() + long(k * kNumParams),
                          batch.begin() + long((k + 1) * kNumParams));
      }
    cma.tell(std::vector<double>(losses_f.begin(), losses_f.end()));
  }
  return out;
}

}  // namespace drumsynth
