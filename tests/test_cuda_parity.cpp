// GPU against the CPU reference. Without a CUDA device (or without a CUDA build)
// every test here skips with the reason.
#include <gtest/gtest.h>

#include <random>

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

// Per-sample source synthesis, B = 1, 7 and 64 instances of mixed lengths and
// rates: max abs error below 1e-4 (the bound).
TEST(CudaParity, SourceSynthesisMatchesCpu) {
  REQUIRE_GPU();
#if DRUMSYNTH_HAVE_CUDA
  const double rates[] = {8000, 22050, 44100, 48000, 96000};
  for (int B : {1, 7, 64}) {
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

}  // namespace
}  // namespace drumsynth
