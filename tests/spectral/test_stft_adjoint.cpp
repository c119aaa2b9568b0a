// The framing's adjoint as the GPU gathers it (stft_adjoint.hpp: per padded
// position, then per sample) against the scatter the CPU loss runs (per
// frame, then per padded position), on sounds longer and shorter than the
// FFT and hops that do not divide it; and the framing itself against a dot
// product test (<frame(x), v> = <x, frame^T(v)>).
#include <gtest/gtest.h>

#include <random>

#include "drumsynth/loss_settings.hpp"
#include "drumsynth/spectral/stft_adjoint.hpp"

namespace drumsynth {
namespace {

struct Framed {
  int n_samples, padded_len, n_frames;
  StftResolution r;
};

// The CPU loss's scatter (host/loss/mrstft_loss.cpp): overlap-add, then un-pad.
std::vector<double> scatter(const Framed& F, const std::vector<double>& v_frames,
                            const std::vector<double>& w) {
  const int n = F.r.fft_size, half = n / 2;
  std::vector<double> v_padded(size_t(F.padded_len + n), 0.0), v_x(size_t(F.n_samples), 0.0);
  for (int f = 0; f < F.n_frames; ++f)
    for (int i = 0; i < n; ++i)
      v_padded[size_t(f) * F.r.hop + i] += v_frames[size_t(f) * n + i] * w[i];
  for (int j = 0; j < F.padded_len + n; ++j) {
    const int s = reflect_index(j - half, F.padded_len);
    if (s < F.n_samples) v_x[s] += v_padded[j];
  }
  return v_x;
}

std::vector<double> gather(const Framed& F, const std::vector<double>& v_frames,
                           const std::vector<double>& w) {
  const int n = F.r.fft_size;
  std::vector<double> v_padded(size_t(F.padded_len + n)), v_x(size_t(F.n_samples));
  for (int q = 0; q < F.padded_len + n; ++q)
    v_padded[q] = overlap_add_at<double>(
        q, F.r, F.n_frames, [&](int f, int i) { return v_frames[size_t(f) * n + i]; },
        [&](int i) { return w[i]; });
  for (int s = 0; s < F.n_samples; ++s)
    v_x[s] = fold_reflect_padding(s, F.r, F.padded_len, v_padded.data());
  return v_x;
}

TEST(StftAdjoint, GatherMatchesScatterAndIsTheFramingsAdjoint) {
  std::mt19937 rng(5);
  std::normal_distribution<double> d;
  double worst = 0, worst_dot = 0;
  int cases = 0;
  for (const StftResolution r : {StftResolution{1024, 256, 1024},
                                 {1024, 120, 600},
                                 {512, 50, 240},
                                 {32, 8, 32},
                                 {2048, 240, 1200}}) {
    for (int n_samples : {1, 31, 300, r.fft_size - 1, r.fft_size, r.fft_size + 1, 5000}) {
      const Framed F{n_samples, stft_padded_length(n_samples, r), stft_frame_count(n_samples, r),
                     r};
      const std::vector<double> w = stft_window(r);
      std::vector<double> v_frames(size_t(F.n_frames) * r.fft_size),
          x(static_cast<size_t>(n_samples));
      for (double& v : v_frames) v = d(rng);
      for (double& v : x) v = d(rng);
      const auto a = scatter(F, v_frames, w), b = gather(F, v_frames, w);
      double scale = 0;
      for (size_t s = 0; s < a.size(); ++s) {
        scale = std::max(scale, std::abs(a[s]));
        worst = std::max(worst, std::abs(a[s] - b[s]));
      }
      // <frame(x), v_frames> against <x, gather(v_frames)>.
      double lhs = 0, rhs = 0;
      for (int f = 0; f < F.n_frames; ++f)
        for (int i = 0; i < r.fft_size; ++i) {
          const int s = reflect_index(f * r.hop + i - r.fft_size / 2, F.padded_len);
          lhs += (s < n_samples ? x[s] : 0.0) * w[i] * v_frames[size_t(f) * r.fft_size + i];
        }
      for (int s = 0; s < n_samples; ++s) rhs += x[s] * b[s];
      worst_dot = std::max(worst_dot, std::abs(lhs - rhs) / std::max(1.0, std::abs(lhs)));
      ++cases;
    }
  }
  std::printf(
      "  %d cases: gather vs scatter max abs diff %.1e, adjoint dot-product test %.1e (bounds "
      "1e-10)\n",
      cases, worst, worst_dot);
  EXPECT_LT(worst, 1e-10);
  EXPECT_LT(worst_dot, 1e-10);
}

TEST(StftAdjoint, C2RPackingHalvesTheInteriorBins) {
  EXPECT_EQ(c2r_gradient_scale<float>(0, 513), 1.0f);
  EXPECT_EQ(c2r_gradient_scale<float>(512, 513), 1.0f);
  EXPECT_EQ(c2r_gradient_scale<float>(1, 513), 0.5f);
  EXPECT_EQ(c2r_gradient_scale<float>(511, 513), 0.5f);
}

}  // namespace
}  // namespace drumsynth
