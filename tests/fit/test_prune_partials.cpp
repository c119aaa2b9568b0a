// Dropping the partials a fit does not need (host/fit/prune_partials.hpp) and
// the fit that runs it (FitOptions::prune_max_loss_rise).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "drumsynth/fit.hpp"
#include "drumsynth/param_table.hpp"
#include "drumsynth/render.hpp"
#include "fit/prune_partials.hpp"
#include "fit/two_partials.hpp"

namespace drumsynth {
namespace {

constexpr double kRate = 16000.0;

using test::two_partial_preset;

Sound target_of(const std::vector<double>& p) {
  return {"two partials", kRate, 1,
          render(std::vector<float>(p.begin(), p.end()), VoiceSpec{int(0.3 * kRate), kRate, 5})};
}

std::vector<float> logits_of(const std::vector<double>& p) {
  const auto z = logits_from_params(p);
  return {z.begin(), z.end()};
}

// The target's two partials and, in a "fit" of it, three more that match
// nothing: 40 dB under the loudest, ringing a second at 3, 5 and 7 kHz.
std::vector<float> fit_with_extras(std::vector<double> p) {
  for (int k : {4, 7, 9}) {
    p[P::tone_freq_hz(k)] = 1000.0 * (k - 1) / 1.5;
    p[P::tone_gain(k)] = 0.005, p[P::tone_decay_s(k)] = 1.0;
  }
  return logits_of(p);
}

TEST(PrunePartials, DropsThePartialsThatMatchNothingAndKeepsTheOthers) {
  const auto p = two_partial_preset();
  const Sound target = target_of(p);
  const auto fitted = fit_with_extras(p);
  const auto out = prune_partials({{&target, 5, fitted}}, loss_preset(LossPreset::bands), 0.01,
                                  RunPlan{}, 1, 1000);
  ASSERT_EQ(out.size(), 1u);
  const auto& o = out[0];
  std::printf("loss %.4f -> %.4f, %d partials dropped\n", o.loss_before, o.loss_after, o.dropped);
  for (int k : {4, 7, 9}) EXPECT_TRUE(partial_dropped(o.logits, k)) << "partial " << k;
  for (int k : {0, 1}) EXPECT_FALSE(partial_dropped(o.logits, k)) << "partial " << k;
  EXPECT_EQ(o.dropped, 3);                 // the other seven were off already
  EXPECT_LT(o.loss_after, o.loss_before);  // they only added error
  // Off: gain and decay at their minima; nothing else moved.
  const auto q = params_from_logits(std::vector<double>(o.logits.begin(), o.logits.end()));
  EXPECT_NEAR(q[P::tone_gain(4)], param_table()[P::tone_gain(4)].min, 1e-9);
  EXPECT_NEAR(q[P::tone_decay_s(4)], param_table()[P::tone_decay_s(4)].min, 1e-9);
  for (int i = 0; i < kNumParams; ++i)
    if (i != P::tone_gain(4) && i != P::tone_decay_s(4) && i != P::tone_gain(7) &&
        i != P::tone_decay_s(7) && i != P::tone_gain(9) && i != P::tone_decay_s(9))
      EXPECT_EQ(o.logits[size_t(i)], fitted[size_t(i)]) << param_table()[size_t(i)].name;
}

TEST(PrunePartials, KeepsWhatTheLossNeedsWithinTheRise) {
  const auto p = two_partial_preset();
  const Sound target = target_of(p);
  // The exact preset: both audible partials are needed, and nothing else is on.
  const auto exact = logits_of(p);
  const auto kept = prune_partials({{&target, 5, exact}}, loss_preset(LossPreset::bands), 0.0,
                                   RunPlan{}, 1, 1000);
  EXPECT_EQ(kept[0].dropped, 0);
  EXPECT_EQ(kept[0].logits, exact);
  // A larger rise drops as many or more, each within its bound.
  const auto fitted = fit_with_extras(p);
  int last = 0;
  for (double rise : {0.0, 0.01, 0.1, 10.0}) {
    const auto o = prune_partials({{&target, 5, fitted}}, loss_preset(LossPreset::bands), rise,
                                  RunPlan{}, 1, 1000)[0];
    EXPECT_GE(o.dropped, last) << rise;
    EXPECT_LE(o.loss_after, o.loss_before * (1 + rise)) << rise;
    last = o.dropped;
  }
  EXPECT_EQ(last, 5);  // at 10x even the audible two go
}

TEST(PrunePartials, JobsInSmallBatchesGiveWhatOneBatchGives) {
  const auto p = two_partial_preset();
  const Sound target = target_of(p);
  auto q = p;
  q[P::tone_gain(1)] = 0.02;  // a second job: partial 1 much quieter than the target's
  const std::vector<PruneJob> jobs{
      {&target, 5, fit_with_extras(p)}, {&target, 6, logits_of(q)}, {&target, 5, logits_of(p)}};
  const auto one = prune_partials(jobs, loss_preset(LossPreset::bands), 0.01, RunPlan{}, 1, 1000);
  const auto each = prune_partials(jobs, loss_preset(LossPreset::bands), 0.01, RunPlan{}, 1, 1);
  ASSERT_EQ(one.size(), 3u);
  for (size_t j = 0; j < 3; ++j) {
    EXPECT_EQ(one[j].logits, each[j].logits) << "job " << j;
    EXPECT_EQ(one[j].dropped, each[j].dropped) << "job " << j;
    EXPECT_EQ(one[j].loss_after, each[j].loss_after) << "job " << j;
  }
}

TEST(PrunePartials, AFitThatPrunesReportsItAndItsLoss) {
  const auto p = two_partial_preset();
  const Sound target = target_of(p);
  FitOptions o;
  o.iterations = 30;
  o.prune_max_loss_rise = 0.01;
  const FitResult r = fit(target, o);
  o.prune_max_loss_rise = -1;
  const FitResult all = fit(target, o);
  int off = 0, off_before = 0;
  for (int k = 0; k < kNumPartials; ++k)
    off += partial_dropped(r.best_logits, k), off_before += partial_dropped(all.best_logits, k);
  EXPECT_GT(r.partials_dropped, 0);
  EXPECT_EQ(off, off_before + r.partials_dropped);
  EXPECT_EQ(all.partials_dropped, 0);
  EXPECT_LE(r.best_loss, all.best_loss * 1.01);
  for (int k = 0; k < kNumPartials; ++k)  // the partials kept are the fit's
    if (!partial_dropped(r.best_logits, k))
      EXPECT_EQ(r.params[P::tone_gain(k)], all.params[P::tone_gain(k)]) << k;
}

}  // namespace
}  // namespace drumsynth
