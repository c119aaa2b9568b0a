// Synthetic recovery, CPU-sized: render random presets (logits ~ N(0, 1), the
// original's starting distribution), fit them back from the analysis and from
// random logits. The analysis must start clearly closer; the final losses after
// a short fit are printed for the record (on such presets, drawn from the very
// distribution the random start uses, a short fit from random catches up:
// see bench/results/quality.md for real drums).
#include <gtest/gtest.h>

#include "drumsynth/param_table.hpp"
#include "voice_tape.hpp"
#include "drumsynth/fit.hpp"

namespace drumsynth {
namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

TEST(Recovery, AnalysisStartsClearlyCloserThanRandomLogits) {
  const double sr = 16000;
  std::vector<double> start_a, start_r, end_a, end_r;
  for (uint64_t k = 0; k < 5; ++k) {
    auto p = params_from_logits(random_logits(1000 + k));
    const auto y = render(p, VoiceSpec{int(0.3 * sr), sr, 77});
    const Sound s{"preset", sr, 1, std::vector<float>(y.begin(), y.end())};
    FitOptions o;
    o.iterations = 30;
    o.loss = loss_preset("auraloss");
    o.seed = 5;
    o.init = FitInit::analysis;
    const FitResult a = fit(s, o);
    o.init = FitInit::random;
    const FitResult r = fit(s, o);
    start_a.push_back(a.initial_loss), end_a.push_back(a.best_loss);
    start_r.push_back(r.initial_loss), end_r.push_back(r.best_loss);
  }
  std::printf("  median loss at the start: analysis %.3f, random %.3f\n", median(start_a), median(start_r));
  std::printf("  median loss after 30 iterations: analysis %.3f, random %.3f\n", median(end_a), median(end_r));
  // Seen: 2.82 against 3.87 (0.73).
  EXPECT_LT(median(start_a), 0.85 * median(start_r));
}

}  // namespace
}  // namespace drumsynth
