// Adam + reduce-on-plateau + best-so-far, per instance, on the host.
#include "fit.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "analysis.hpp"
#include "drumsynth/noise_rng.hpp"

namespace drumsynth {

namespace {

// torch.optim.Adam defaults (betas 0.9, 0.999; eps 1e-8), one instance.
struct Adam {
  std::vector<double> m, v;
  int t = 0;
  // lr_scale: per parameter, times lr.
  void step(float* z, const float* g, double lr, const std::vector<double>& lr_scale) {
    if (m.empty()) m.assign(kNumParams, 0.0), v.assign(kNumParams, 0.0);
    ++t;
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const double c1 = 1.0 - std::pow(b1, t), c2 = 1.0 - std::pow(b2, t);
    for (int i = 0; i < kNumParams; ++i) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * double(g[i]) * g[i];
      z[i] = float(z[i] - lr * lr_scale[i] * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps));
    }
  }
};

// torch.optim.lr_scheduler.ReduceLROnPlateau(mode="min", threshold=1e-4 relative,
// cooldown 0): after more than `patience` iterations without a relative
// improvement of 1e-4 over the best, multiply the learning rate by `factor`.
struct Plateau {
  double best = INFINITY;
  int bad = 0;
  double step(double loss, double lr, double factor, int patience) {
    if (loss < best * (1.0 - 1e-4)) {
      best = loss;
      bad = 0;
    } else if (++bad > patience) {
      bad = 0;
      return lr * factor;
    }
    return lr;
  }
};

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace

std::vector<float> random_logits(uint64_t seed) {
  std::vector<float> z(kNumParams);
  for (int i = 0; i < kNumParams; ++i) z[i] = float(standard_normal(seed ^ 0x5EEDull, uint64_t(i)));
  return z;
}

std::vector<float> starting_logits(const Sound& target, const FitOptions& o) {
  if (o.init == FitInit::analysis) return analysis_logits(target, o.restarts, o.seed);
  std::vector<float> z;
  for (int r = 0; r < o.restarts; ++r) {
    const auto zr = random_logits(o.seed + uint64_t(r));
    z.insert(z.end(), zr.begin(), zr.end());
  }
  return z;
}

std::vector<FitResult> fit_instances(Backend& backend, std::vector<float> logits,
                                     const FitOptions& options) {
  const int B = backend.n_instances();
  const size_t nb = static_cast<size_t>(B);
  DS_CHECK(logits.size() == size_t(B) * kNumParams);
  const auto start = std::chrono::steady_clock::now();
  std::vector<FitResult> results(nb);
  std::vector<Adam> adam(nb);
  std::vector<double> lr_scale(kNumParams, 1.0);
  for (int k = 0; k < kNumPartials; ++k) lr_scale[P::tone_freq_hz(k)] = options.pitch_lr_scale;
  lr_scale[P::transient_freq_hz] = lr_scale[P::resonator_freq_hz] = options.pitch_lr_scale;
  std::vector<Plateau> plateau(nb);
  std::vector<double> lr(nb, options.learning_rate);
  std::vector<float> loss(nb), grad(logits.size());
  for (auto& r : results) r.best_loss = INFINITY;
  for (int it = 0; it < options.iterations; ++it) {
    if (options.stop && options.stop->load()) throw Interrupted();
    backend.loss_and_gradient(logits.data(), loss.data(), grad.data());
    for (int b = 0; b < B; ++b) {
      FitResult& r = results[b];
      const double l = loss[b];
      if (it == 0) r.initial_loss = l;
      r.loss_history.push_back(l);
      float* z = logits.data() + size_t(b) * kNumParams;
      if (std::isfinite(l) && l < r.best_loss) {
        r.best_loss = l;
        r.best_iteration = it;
        r.best_logits.assign(z, z + kNumParams);
      }
      adam[b].step(z, grad.data() + size_t(b) * kNumParams, lr[b], lr_scale);
      lr[b] = plateau[b].step(l, lr[b], options.plateau_factor, options.plateau_patience);
    }
    const int done = it + 1;
    if (options.progress && (done % options.progress_every == 0 || done == options.iterations)) {
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::vector<double> now(loss.begin(), loss.end()), best;
      for (const auto& r : results) best.push_back(r.best_loss);
      options.progress({done, options.iterations, median(now), median(best), elapsed,
                        elapsed / done * (options.iterations - done)});
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (int b = 0; b < B; ++b) {
    FitResult& r = results[b];
    if (r.best_logits.empty())  // no finite loss at all (no iterations): keep the start
      r.best_logits.assign(logits.begin() + size_t(b) * kNumParams,
                           logits.begin() + size_t(b + 1) * kNumParams);
    r.params = params_from_logits(r.best_logits);
    r.seconds = seconds;
  }
  return results;
}

int best_restart(const std::vector<FitResult>& results, size_t first, int restarts) {
  int best = 0;
  for (int r = 1; r < restarts; ++r)
    if (results[first + r].best_loss < results[first + best].best_loss) best = r;
  return best;
}

FitResult fit(const Sound& target, const FitOptions& options) {
  DS_CHECK(options.restarts >= 1);
  // Restart r fits with noise seed seed + r, as instance r of one backend.
  std::vector<Instance> instances;
  for (int r = 0; r < options.restarts; ++r)
    instances.push_back({&target.samples, target.sample_rate, options.seed + uint64_t(r)});
  // One restart: the threads share its loss; several: they take whole restarts.
  auto backend = make_backend(options.device, instances, options.loss, options.n_threads);
  auto results = fit_instances(*backend, starting_logits(target, options), options);
  const int best = best_restart(results, 0, options.restarts);
  results[best].noise_seed = options.seed + uint64_t(best);
  return results[best];
}

}  // namespace drumsynth
