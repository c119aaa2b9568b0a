// The population search over the partials (host/fit/population_search.hpp) and
// the fit that runs it between two parts of the gradient fit (host/fit/fit.cpp).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "drumsynth/fit.hpp"
#include "drumsynth/param_table.hpp"
#include "drumsynth/render.hpp"
#include "fit/population_search.hpp"
#include "fit/two_partials.hpp"

namespace drumsynth {
namespace {

constexpr double kRate = 16000.0;

using test::two_partial_preset;

double cents(double a, double b) { return 1200.0 * std::abs(std::log2(a / b)); }

TEST(PopulationSearch, SearchesTheAudiblePartialsLoudestFirst) {
  const auto truth = logits_from_params(two_partial_preset());
  EXPECT_EQ(searched_partials(std::vector<float>(truth.begin(), truth.end())),
            (std::vector<int>{0, 1}));
}

TEST(PopulationSearch, FindsAPartialTheStartPutOffByMoreThanABin) {
  // 80 cents off at 1234 Hz is 58 Hz, four bins of the largest resolution
  // that sees the whole 0.5 s: no gradient reaches it there.
  const auto p = two_partial_preset();
  const auto y =
      render(std::vector<float>(p.begin(), p.end()), VoiceSpec{int(0.5 * kRate), kRate, 5});
  const Sound target{"two partials", kRate, 1, y};
  auto off = p;
  off[P::tone_freq_hz(1)] *= std::exp2(80.0 / 1200.0);
  const auto z = logits_from_params(off);
  const std::vector<float> start(z.begin(), z.end());
  const auto found =
      population_search(target, 5, start, loss_preset(LossPreset::bands), {30, 0, 1}, RunPlan{}, 1);
  const auto q = params_from_logits(std::vector<double>(found.logits.begin(), found.logits.end()));
  EXPECT_LT(cents(q[P::tone_freq_hz(1)], 1234.0), 10.0);
  EXPECT_LT(cents(q[P::tone_freq_hz(0)], 440.0), 10.0);
  EXPECT_LT(found.best_loss, 0.5 * found.start_loss);
  EXPECT_EQ(found.evaluations, 1 + 30 * (4 + int(std::floor(3 * std::log(4.0)))));
}

TEST(PopulationSearch, NoGenerationsKeepsTheStart) {
  const auto p = two_partial_preset();
  const auto y =
      render(std::vector<float>(p.begin(), p.end()), VoiceSpec{int(0.2 * kRate), kRate, 5});
  const Sound target{"two partials", kRate, 1, y};
  const auto z = logits_from_params(p);
  const std::vector<float> start(z.begin(), z.end());
  const auto found =
      population_search(target, 5, start, loss_preset(LossPreset::bands), {0, 0, 1}, RunPlan{}, 1);
  EXPECT_EQ(found.logits, start);
  EXPECT_EQ(found.best_loss, found.start_loss);
}

TEST(PopulationSearch, AFitWithASearchKeepsOneHistoryAndItsBest) {
  const auto p = two_partial_preset();
  const auto y =
      render(std::vector<float>(p.begin(), p.end()), VoiceSpec{int(0.25 * kRate), kRate, 5});
  const Sound target{"two partials", kRate, 1, y};
  FitOptions o;
  o.iterations = 40;
  o.search_generations = 3;
  o.search_after_iterations = 15;
  const FitResult r = fit(target, o);
  ASSERT_EQ(r.loss_history.size(), 40u);
  EXPECT_EQ(r.initial_loss, r.loss_history.front());
  double best = HUGE_VAL;
  int at = -1;
  for (size_t i = 0; i < r.loss_history.size(); ++i)
    if (r.loss_history[i] < best) best = r.loss_history[i], at = int(i);
  EXPECT_EQ(r.best_iteration, at);
  EXPECT_FLOAT_EQ(float(r.best_loss), float(best));
}

}  // namespace
}  // namespace drumsynth
