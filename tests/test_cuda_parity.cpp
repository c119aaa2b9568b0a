// GPU against the CPU reference. Without a CUDA device (or without a CUDA build)
// every test here skips with the reason.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>

#include "drumsynth/backend.hpp"
#include "drumsynth/voice.hpp"
#include "fit.hpp"
#if DRUMSYNTH_HAVE_CUDA
#include "drumsynth/cuda_device.hpp"
#endif

namespace drumsynth {
namespace {

#if DRUMSYNTH_HAVE_CUDA
#define REQUIRE_GPU()                                                 \
  do {                                                                \
    std::string why_;                                                 \
    if (!cuda::device_available(&why_)) GTEST_SKIP() << why_;         \
  } while (0)
#else
#define REQUIRE_GPU() GTEST_SKIP() << "built without CUDA (no nvcc found at configure time)"
#endif

// The batch sizes; DRUMSYNTH_PARITY_QUICK=1 (for compute-sanitizer,
// which slows kernels 10-100x) keeps one mixed batch of 7.
std::vector<int> parity_batch_sizes() {
  const char* quick = std::getenv("DRUMSYNTH_PARITY_QUICK");
  if (quick && std::string(quick) == "1") return {7};
  return {1, 7, 64};
}

// Per-sample source synthesis, B = 1, 7 and 64 instances of mixed lengths and
// rates: max abs error below 1e-4 (the bound).
TEST(CudaParity, SourceSynthesisMatchesCpu) {
  REQUIRE_GPU();
#if DRUMSYNTH_HAVE_CUDA
  const double rates[] = {8000, 22050, 44100, 48000, 96000};
  for (int B : parity_batch_sizes()) {
    std::vector<float> params;
    std::vector<int> lengths;
    std::vector<float> sr;
    for (int b = 0; b < B; ++b) {
      const auto z = random_logits(uint64_t(100 + b));
      const auto p = params_from_logits(z);
      params.insert(params.end(), p.begin(), p.end());
      sr.push_back(float(rates[b % 5]));
      lengths.push_back(int(sr.back() * (0.05 + 0.1 * (b % 4))));
    }
    const auto gpu = cuda::render_source(params, lengths, sr);
    double worst = 0;
    for (int b = 0; b < B; ++b) {
      const float* p = params.data() + size_t(b) * kNumParams;
      for (int i = 0; i < lengths[b]; ++i) {
        const float cpu = voice_source_sample(p, time_since_onset(p, i, sr[b]));
        worst = std::max(worst, double(std::abs(cpu - gpu[b][i])));
      }
    }
    std::printf("  B = %d: max abs err %.2e (%.0f%% of 1e-4)\n", B, worst, worst / 1e-4 * 100);
    EXPECT_LT(worst, 1e-4) << "B = " << B;
  }
#endif
}

// The whole backend: loss (relative 1e-4) and dL/dlogits (relative 1e-3 of the
// largest component) against the CPU backend, for B = 1, 7 and 64 instances of
// mixed lengths (shorter and longer than the largest FFT) and rates, both presets.
TEST(CudaParity, LossAndGradientMatchCpuBackend) {
  REQUIRE_GPU();
#if DRUMSYNTH_HAVE_CUDA
  const double rates[] = {8000, 22050, 44100, 48000, 96000};
  for (const char* preset : {"seed", "auraloss"}) {
    for (int B : parity_batch_sizes()) {
      std::vector<std::vector<float>> targets(static_cast<size_t>(B));
      std::vector<Instance> instances;
      std::vector<float> logits;
      for (int b = 0; b < B; ++b) {
        const double sr = rates[b % 5];
        const int n = int(sr * (0.02 + 0.15 * (b % 5)));
        const auto y = render(params_from_logits(random_logits(uint64_t(500 + b))), VoiceSpec{n, sr, 9});
        targets[b].assign(y.begin(), y.end());
        instances.push_back({&targets[b], sr, uint64_t(b)});
        const auto z = random_logits(uint64_t(900 + b));
        logits.insert(logits.end(), z.begin(), z.end());
      }
      auto cpu = make_cpu_backend(instances, loss_preset(preset), 2);
      auto gpu = cuda::make_cuda_backend(instances, loss_preset(preset));
      std::vector<float> lc(static_cast<size_t>(B)), lg(lc), gc(logits.size()), gg(gc);
      cpu->loss_and_gradient(logits.data(), lc.data(), gc.data());
      gpu->loss_and_gradient(logits.data(), lg.data(), gg.data());
      double worst_loss = 0, worst_grad = 0;
      for (int b = 0; b < B; ++b) {
        worst_loss = std::max(worst_loss, std::abs(double(lc[b]) - lg[b]) / std::abs(double(lc[b])));
        double largest = 0;
        for (int i = 0; i < kNumParams; ++i) largest = std::max(largest, double(std::abs(gc[b * kNumParams + i])));
        for (int i = 0; i < kNumParams; ++i)
          worst_grad = std::max(worst_grad, std::abs(double(gc[b * kNumParams + i]) - gg[b * kNumParams + i]) / largest);
      }
      std::printf("  %s B = %d: loss rel err %.2e (%.0f%% of 1e-4), gradient rel err %.2e (%.0f%% of 1e-3)\n",
                  preset, B, worst_loss, worst_loss / 1e-4 * 100, worst_grad, worst_grad / 1e-3 * 100);
      EXPECT_LT(worst_loss, 1e-4) << preset << " B = " << B;
      EXPECT_LT(worst_grad, 1e-3) << preset << " B = " << B;
    }
  }
#endif
}

}  // namespace
}  // namespace drumsynth
