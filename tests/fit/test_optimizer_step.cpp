// The shared optimiser step (optimizer_step.hpp, run by every backend) against
// the optimiser the host loop had before it (Adam and ReduceLROnPlateau as
// separate host structs, kept here as the reference), step by step: the same
// logits, learning rate and best-so-far, bit for bit. The one change since: a
// step whose loss or gradient is not finite is skipped, not taken.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "drumsynth/fit.hpp"
#include "drumsynth/fit/optimizer_step.hpp"
#include "drumsynth/param_table.hpp"

namespace drumsynth {
namespace {

// The reference: the host optimiser as it was written before the shared step.
struct ReferenceAdam {
  std::vector<double> m, v;
  int t = 0;
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

struct ReferencePlateau {
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

// A loss sequence that improves, stalls (so the rate is cut several times),
// turns non-finite for a while, and improves again; gradients of every scale.
TEST(OptimizerStep, MatchesTheReferenceOptimiserStepByStep) {
  OptimizerConfig c;
  c.learning_rate = 0.1;
  c.plateau_factor = 0.5;
  c.plateau_patience = 7;
  for (int i = 0; i < kNumParams; ++i) c.lr_scale[i] = i % 3 == 0 ? 0.2 : 1.0;
  const std::vector<double> lr_scale(c.lr_scale, c.lr_scale + kNumParams);
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> z(kNumParams), z_ref(kNumParams), best_ref(kNumParams);
  for (float& v : z) v = normal(rng);
  z_ref = z;
  OptimizerState s;
  optimizer_init(c, s);
  ReferenceAdam adam;
  ReferencePlateau plateau;
  double lr = c.learning_rate, best_ref_loss = INFINITY;
  int best_ref_it = 0, rate_cuts = 0, skipped_ref = 0;
  for (int it = 0; it < 400; ++it) {
    float loss = it < 100 ? 3.0f - 0.01f * it
                          : (it < 250 ? 2.0f + 0.001f * float(it % 5) : 1.5f - 0.001f * it);
    if (it >= 180 && it < 185) loss = it % 2 ? NAN : INFINITY;
    std::vector<float> g(kNumParams);
    for (int i = 0; i < kNumParams; ++i) g[i] = normal(rng) * std::pow(10.0f, float(i % 7) - 3.0f);
    if (it == 300) g[5] = NAN;
    if (it == 301) g[0] = -INFINITY;
    // reference: best, Adam, schedule, in the host loop's order; non-finite steps skipped
    bool finite = std::isfinite(loss);
    for (float v : g) finite &= std::isfinite(v);
    if (!finite) {
      ++skipped_ref;
      optimizer_step(c, s, it, loss, g.data(), z.data());
      ASSERT_EQ(z, z_ref) << "a non-finite step moved the logits at " << it;
      continue;
    }
    if (loss < best_ref_loss) best_ref_loss = loss, best_ref_it = it, best_ref = z_ref;
    adam.step(z_ref.data(), g.data(), lr, lr_scale);
    const double new_lr = plateau.step(loss, lr, c.plateau_factor, c.plateau_patience);
    rate_cuts += new_lr != lr;
    lr = new_lr;
    optimizer_step(c, s, it, loss, g.data(), z.data());
    ASSERT_EQ(z, z_ref) << "logits differ after step " << it;
    ASSERT_EQ(s.lr, lr) << "learning rate differs after step " << it;
    ASSERT_EQ(s.best_loss, best_ref_loss) << "step " << it;
    ASSERT_EQ(s.best_iteration, best_ref_it) << "step " << it;
    ASSERT_EQ(std::vector<float>(s.best_logits, s.best_logits + kNumParams), best_ref)
        << "step " << it;
  }
  std::printf(
      "  400 steps identical; the schedule cut the rate %d times (to %g); %d steps skipped\n",
      rate_cuts, lr, s.skipped_steps);
  EXPECT_GE(rate_cuts, 3);  // the test went through the schedule, not only Adam
  EXPECT_EQ(s.skipped_steps, skipped_ref);
  EXPECT_EQ(skipped_ref, 7);  // 5 losses, 2 gradients
}

TEST(OptimizerStep, NonFiniteStepsAreSkippedAndCounted) {
  OptimizerConfig c;
  for (double& v : c.lr_scale) v = 1.0;
  OptimizerState s;
  optimizer_init(c, s);
  std::vector<float> z(kNumParams, 0.5f), g(kNumParams, 1.0f);
  optimizer_step(c, s, 0, NAN, g.data(), z.data());
  optimizer_step(c, s, 1, -INFINITY, g.data(), z.data());
  EXPECT_EQ(s.best_loss, INFINITY);
  EXPECT_EQ(s.t, 0) << "Adam took a non-finite step";
  EXPECT_EQ(z, std::vector<float>(kNumParams, 0.5f));
  optimizer_step(c, s, 2, 2.0f, g.data(), z.data());
  EXPECT_EQ(s.best_loss, 2.0);
  EXPECT_EQ(s.best_iteration, 2);
  g[3] = NAN;
  optimizer_step(c, s, 3, 1.0f, g.data(), z.data());
  EXPECT_EQ(s.best_loss, 2.0) << "a step with a NaN gradient counted as the best";
  EXPECT_EQ(s.skipped_steps, 3);
  for (float v : z) EXPECT_TRUE(std::isfinite(v));
}

// Convergence: a loss that falls fast, then creeps (less than stop_gain per
// window): the instance stops once the schedule has cut the rate twice and a
// window has passed without a relative gain of stop_gain; from then on its
// state and logits do not change. Without a window it never stops.
TEST(OptimizerStep, ConvergedInstancesStopAndStayPut) {
  OptimizerConfig c;
  for (double& v : c.lr_scale) v = 1.0;
  c.plateau_patience = 10;
  c.stop_window = 30, c.stop_rate_cuts = 2, c.stop_gain = 1e-3;
  const auto loss_at = [](int it) { return float(it < 50 ? 2.0 - 0.02 * it : 1.0 - 1e-6 * it); };
  OptimizerState s, never;
  optimizer_init(c, s);
  OptimizerConfig off = c;
  off.stop_window = 0;
  optimizer_init(off, never);
  std::vector<float> z(kNumParams, 0.5f), z_off = z, g(kNumParams, 1.0f);
  int stopped = -1;
  for (int it = 0; it < 400; ++it) {
    optimizer_step(c, s, it, loss_at(it), g.data(), z.data());
    optimizer_step(off, never, it, loss_at(it), g.data(), z_off.data());
    if (stopped < 0 && s.stopped_after > 0) stopped = it;
  }
  // The last gain of 1e-3 is at iteration 50 (the step down to 1.0); the
  // schedule cuts at 61 and 72 (patience 10), so the window decides: 50 + 30.
  ASSERT_GE(stopped, 0) << "never converged";
  EXPECT_EQ(s.stopped_after, stopped + 1);
  EXPECT_GE(s.rate_cuts, 2);
  EXPECT_EQ(stopped, 50 + 30);
  EXPECT_EQ(never.stopped_after, 0);
  EXPECT_GT(never.t, s.t) << "the converged instance kept stepping";
  EXPECT_EQ(s.t, stopped + 1);
}

// The first hold_iterations steps use lr_scale_held: a parameter held at 0
// stays put while the others move, then moves with the moments it gathered.
TEST(OptimizerStep, HeldParametersStayForTheHoldThenMove) {
  OptimizerConfig c;
  c.hold_iterations = 3;
  for (int i = 0; i < kNumParams; ++i) c.lr_scale[i] = c.lr_scale_held[i] = 1.0;
  c.lr_scale_held[5] = 0.0;
  OptimizerState s;
  optimizer_init(c, s);
  std::vector<float> z(kNumParams, 0.5f), g(kNumParams, 1.0f);
  for (int it = 0; it < 3; ++it) optimizer_step(c, s, it, 1.0f - 0.1f * it, g.data(), z.data());
  EXPECT_EQ(z[5], 0.5f);
  EXPECT_NEAR(z[4], 0.5 - 3 * 0.1, 1e-6);  // Adam's first steps with a constant gradient: lr each
  optimizer_step(c, s, 3, 0.6f, g.data(), z.data());
  EXPECT_NEAR(z[5], 0.5 - 0.1, 1e-6);
}

// From the analysis start the fit holds the frequencies and the glide for its
// first kAnalysisPitchHoldIterations; from random logits it holds nothing.
TEST(OptimizerStep, FitsFromTheAnalysisHoldThePitchFirst) {
  FitOptions o;
  const OptimizerConfig a = optimizer_config(o);
  EXPECT_EQ(a.hold_iterations, kAnalysisPitchHoldIterations);
  EXPECT_GT(kAnalysisPitchHoldIterations, 0);
  for (int i :
       {int(P::tone_freq_hz(0)), int(P::tone_freq_hz(kNumPartials - 1)), int(P::transient_freq_hz),
        int(P::resonator_freq_hz), int(P::sweep_ratio), int(P::sweep_s)}) {
    EXPECT_EQ(a.lr_scale[i], kAnalysisPitchLrScale) << i;
    EXPECT_EQ(a.lr_scale_held[i], 0.0) << i;
  }
  EXPECT_EQ(a.lr_scale_held[P::noise_gain], a.lr_scale[P::noise_gain]);
  o.init = FitInit::random;
  EXPECT_EQ(optimizer_config(o).hold_iterations, 0);
  o.pitch_hold_iterations = 150;
  EXPECT_EQ(optimizer_config(o).hold_iterations, 150);
}

}  // namespace
}  // namespace drumsynth
