// One optimiser step of one instance, as the original fits: Adam on the logits
// (torch.optim.Adam, betas 0.9/0.999, eps 1e-8), then torch's
// ReduceLROnPlateau (mode "min", relative threshold 1e-4, cooldown 0) on the
// learning rate, keeping the best logits seen. Device-safe: the CPU's host
// loop (optimizer.cpp) and a device loop run the same arithmetic.
#pragma once

#include "drumsynth/synth/params.hpp"

namespace drumsynth {

struct OptimizerConfig {
  int iterations = 1000;
  double learning_rate = 0.1;
  double plateau_factor = 0.5;
  int plateau_patience = 50;
  double lr_scale[kNumParams];  // per parameter, times the learning rate
  // For the first hold_iterations Adam steps, lr_scale_held instead of lr_scale.
  int hold_iterations = 0;
  double lr_scale_held[kNumParams];
  // Converged: once the schedule has cut the rate stop_rate_cuts times and the
  // best loss has not fallen by a relative stop_gain over the last
  // stop_window iterations, the instance stops (its state frozen, its history
  // ended). stop_window 0: it runs every iteration.
  int stop_window = 0;
  int stop_rate_cuts = 2;
  double stop_gain = 1e-3;
};

// Everything an instance's optimiser carries from one step to the next.
struct OptimizerState {
  double m[kNumParams], v[kNumParams];  // Adam's moment estimates
  int t;                                // Adam steps taken
  double lr;                            // current learning rate
  double plateau_best;                  // best loss the schedule has seen
  int plateau_bad;                      // steps since it improved by 1e-4 relative
  double best_loss;                     // best finite loss so far, and where
  int best_iteration;
  float best_logits[kNumParams];
  int skipped_steps;  // iterations whose loss or gradient was not finite
  int rate_cuts;      // the schedule's
  double gain_best;   // the best loss when it last fell by stop_gain, and where
  int gain_iteration;
  int stopped_after;  // iterations run when it converged; 0 while it runs
};

DS_HD bool is_finite_loss(double x) {
#if defined(__CUDA_ARCH__)
  return isfinite(x);
#else
  return x == x && x != INFINITY && x != -INFINITY;
#endif
}

DS_HD void optimizer_init(const OptimizerConfig& c, OptimizerState& s) {
  for (int i = 0; i < kNumParams; ++i) s.m[i] = s.v[i] = 0.0, s.best_logits[i] = 0.0f;
  s.t = 0;
  s.lr = c.learning_rate;
  s.plateau_best = INFINITY;
  s.plateau_bad = 0;
  s.best_loss = INFINITY;
  s.best_iteration = 0;
  s.skipped_steps = 0;
  s.rate_cuts = 0;
  s.gain_best = INFINITY;
  s.gain_iteration = 0;
  s.stopped_after = 0;
}

// Adam with bias correction:
//   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2
//   z -= lr scale_i (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
// where scale_i is lr_scale_held[i] for t <= hold_iterations, else lr_scale[i]:
// a held parameter (scale 0) keeps gathering its moments, so it starts moving
// with its gradient's direction and size already known.
DS_HD void adam_step(const OptimizerConfig& c, OptimizerState& s, const float* g, float* z) {
  ++s.t;
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const double c1 = 1.0 - pow(b1, s.t), c2 = 1.0 - pow(b2, s.t);
  for (int i = 0; i < kNumParams; ++i) {
    s.m[i] = b1 * s.m[i] + (1 - b1) * g[i];
    s.v[i] = b2 * s.v[i] + (1 - b2) * double(g[i]) * g[i];
    const double scale = s.t <= c.hold_iterations ? c.lr_scale_held[i] : c.lr_scale[i];
    z[i] = float(z[i] - s.lr * scale * (s.m[i] / c1) / (sqrt(s.v[i] / c2) + eps));
  }
}

// After more than `patience` steps without a relative improvement of 1e-4 over
// the best, the learning rate is multiplied by `factor`.
DS_HD void plateau_step(const OptimizerConfig& c, OptimizerState& s, double loss) {
  if (loss < s.plateau_best * (1.0 - 1e-4)) {
    s.plateau_best = loss;
    s.plateau_bad = 0;
  } else if (++s.plateau_bad > c.plateau_patience) {
    s.plateau_bad = 0;
    s.lr *= c.plateau_factor;
    ++s.rate_cuts;
  }
}

// The convergence test (OptimizerConfig::stop_window), after the step of
// `iteration` (0-based) with this loss.
DS_HD void convergence_step(const OptimizerConfig& c, OptimizerState& s, int iteration,
                            double loss) {
  if (loss < s.gain_best * (1.0 - c.stop_gain)) s.gain_best = loss, s.gain_iteration = iteration;
  if (c.stop_window > 0 && s.rate_cuts >= c.stop_rate_cuts &&
      iteration - s.gain_iteration >= c.stop_window)
    s.stopped_after = iteration + 1;
}

DS_HD bool is_finite_gradient(const float* g) {
  bool finite = true;
  for (int i = 0; i < kNumParams; ++i) finite &= is_finite_loss(g[i]);
  return finite;
}

// One iteration, given the loss and gradient at logits z: keep z if it is the
// best so far, step Adam, then the schedule (which sees this step's loss) and
// the convergence test. A step whose loss or gradient is not finite is not
// taken (a NaN would reach Adam's moments and every later step): it is
// counted, and nothing changes. A converged instance changes no more.
DS_HD void optimizer_step(const OptimizerConfig& c, OptimizerState& s, int iteration, float loss,
                          const float* g, float* z) {
  if (s.stopped_after > 0) return;
  if (!is_finite_loss(loss) || !is_finite_gradient(g)) {
    ++s.skipped_steps;
    return;
  }
  if (loss < s.best_loss) {
    s.best_loss = loss;
    s.best_iteration = iteration;
    for (int i = 0; i < kNumParams; ++i) s.best_logits[i] = z[i];
  }
  adam_step(c, s, g, z);
  plateau_step(c, s, loss);
  convergence_step(c, s, iteration, loss);
}

}  // namespace drumsynth
