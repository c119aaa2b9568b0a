// Numeric guards: whatever the parameters and whatever the target, the loss
// and its gradient stay finite and a fit never ends with a non-finite logit.
// Every parameter is driven to both ends of its range (logits of +-30 saturate
// the sigmoid to exactly 0 or 1 in float), against targets a real library
// contains or a user can hand the Python API: silence, DC only (silent after
// the A-weighting of the `seed` loss), a single-sample click, full scale
// (Nyquist square and clipped noise), and a 10 s sound. The same cases run on
// the CUDA backend when a GPU is usable (skipped otherwise, with the reason).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "drumsynth/backend.hpp"
#include "drumsynth/fit.hpp"
#include "drumsynth/param_table.hpp"
#include "named_choices.hpp"
#include "test_support.hpp"

namespace drumsynth {

// gtest names the backend in its listing ("GetParam() = cuda").
void PrintTo(Device d, std::ostream* os) { *os << (d == Device::cpu ? "cpu" : "cuda"); }

namespace {

constexpr double kRate = 16000.0;

struct Target {
  std::string name;
  std::vector<float> samples;
  double rate = kRate;
};

std::vector<Target> odd_targets() {
  const int n = int(kRate / 4);  // 0.25 s: every case, quickly
  std::vector<Target> t;
  t.push_back({"silence", std::vector<float>(size_t(n), 0.0f)});
  t.push_back({"dc_only", std::vector<float>(size_t(n), 0.5f)});
  std::vector<float> click(size_t(n), 0.0f);
  click[100] = 1.0f;
  t.push_back({"single_sample_click", click});
  std::vector<float> nyquist(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) nyquist[size_t(i)] = (i % 2) ? -1.0f : 1.0f;
  t.push_back({"full_scale_nyquist", nyquist});
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<float> clipped(static_cast<size_t>(n));
  for (auto& x : clipped) x = std::max(-1.0f, std::min(1.0f, normal(rng)));
  t.push_back({"full_scale_clipped_noise", clipped});
  t.push_back({"decaying_tone", test::decaying_tone(n, kRate)});
  return t;
}

// Logits at the seed's middle (0) with parameter k at one end of its range;
// k = -1: every parameter at that end.
std::vector<float> logits_at_end(int k, float end) {
  std::vector<float> z(kNumParams, 0.0f);
  for (int i = 0; i < kNumParams; ++i)
    if (k < 0 || i == k) z[size_t(i)] = end;
  return z;
}

std::string describe(int k, float end) {
  return (k < 0 ? std::string("every parameter") : param_table()[size_t(k)].name) +
         (end > 0 ? " at its maximum" : " at its minimum");
}

// Loss and gradient of `backend` (one instance) at every parameter end.
void expect_finite_at_every_end(Backend& backend, const std::string& what) {
  std::vector<float> v(kNumParams);
  for (int k = -1; k < kNumParams; ++k)
    for (float end : {-30.0f, 30.0f}) {
      const auto z = logits_at_end(k, end);
      float loss = NAN;
      backend.loss_and_gradient(z.data(), &loss, v.data());
      ASSERT_TRUE(std::isfinite(loss)) << what << ", " << describe(k, end) << ": loss " << loss;
      for (int i = 0; i < kNumParams; ++i)
        ASSERT_TRUE(std::isfinite(v[size_t(i)]))
            << what << ", " << describe(k, end) << ": dL/d " << param_table()[size_t(i)].name
            << " = " << v[size_t(i)];
    }
}

// A few optimiser steps from the extremes and from random logits: the kept
// logits are finite, and so is the loss they were kept for.
void expect_fit_stays_finite(Backend& backend, const std::string& what) {
  OptimizerConfig config = optimizer_config(FitOptions{});
  config.iterations = 6;
  for (const auto& start :
       {logits_at_end(-1, -30.0f), logits_at_end(-1, 30.0f), random_logits(7)}) {
    const auto fits = backend.optimize(start, config, FitControl{});
    ASSERT_EQ(fits.size(), 1u);
    const InstanceFit& f = fits[0];
    EXPECT_TRUE(std::isfinite(f.best_loss)) << what << ": best loss " << f.best_loss;
    for (float z : f.best_logits)
      ASSERT_TRUE(std::isfinite(z)) << what << ": a kept logit is " << z;
    for (double l : f.loss_history)
      ASSERT_TRUE(std::isfinite(l)) << what << ": a loss of the history is " << l;
    EXPECT_EQ(f.skipped_steps, 0) << what << ": steps skipped for a non-finite loss or gradient";
  }
}

class NumericGuards : public ::testing::TestWithParam<Device> {
 protected:
  void SetUp() override {
    std::string why;
    if (GetParam() == Device::cuda && !cuda_usable(&why)) GTEST_SKIP() << "no usable GPU: " << why;
  }
  std::unique_ptr<Backend> backend_for(const Target& t, const std::string& loss) {
    return make_backend(test::plan_now(GetParam()), {{&t.samples, t.rate, 1}},
                        test::named_loss(loss));
  }
};

TEST_P(NumericGuards, LossAndGradientAreFiniteAtEveryParameterEndForOddTargets) {
  for (const std::string loss : test::loss_preset_names())
    for (const Target& t : odd_targets()) {
      auto backend = backend_for(t, loss);
      expect_finite_at_every_end(*backend, t.name + " (" + loss + " loss)");
    }
}

TEST_P(NumericGuards, FitsOfOddTargetsKeepFiniteLogits) {
  for (const std::string loss : test::loss_preset_names())
    for (const Target& t : odd_targets()) {
      auto backend = backend_for(t, loss);
      expect_fit_stays_finite(*backend, t.name + " (" + loss + " loss)");
    }
}

// 10 s at 48 kHz: the longest sounds a library holds; long decays at the top of
// their ranges are where sums of many small terms would overflow or underflow.
TEST_P(NumericGuards, TenSecondSoundAtTheRangeEnds) {
  const int n = 10 * 48000;
  Target t{"10 s tone", test::decaying_tone(n, 48000.0, 110.0), 48000.0};
  for (int i = 0; i < n; ++i)
    t.samples[size_t(i)] += 0.01f * std::sin(float(i) * 0.37f);  // a tail to the end
  auto backend = backend_for(t, "seed");
  std::vector<float> v(kNumParams);
  for (float end : {-30.0f, 0.0f, 30.0f}) {
    const auto z = logits_at_end(-1, end);
    float loss = NAN;
    backend->loss_and_gradient(z.data(), &loss, v.data());
    ASSERT_TRUE(std::isfinite(loss)) << describe(-1, end) << ": loss " << loss;
    for (float g : v)
      ASSERT_TRUE(std::isfinite(g)) << describe(-1, end) << ": a gradient component is " << g;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, NumericGuards, ::testing::Values(Device::cpu, Device::cuda),
                         [](const auto& info) {
                           return std::string(info.param == Device::cpu ? "cpu" : "cuda");
                         });

}  // namespace
}  // namespace drumsynth
