// The loss's transforms: RealFft (one frame) against a plain DFT, and
// StftFrames (many windowed frames in SIMD lanes) against RealFft frame by
// frame; each adjoint against its forward through <F x, G> = <x, F^T G>.
#include <gtest/gtest.h>

#include <complex>
#include <random>

#include "drumsynth/error.hpp"
#include "drumsynth/math/common.hpp"
#include "loss/real_fft.hpp"
#include "loss/stft_frames.hpp"

namespace drumsynth {
namespace {

template <typename Real = double>
std::vector<Real> noise(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g;
  std::vector<Real> x(static_cast<size_t>(n));
  for (auto& v : x) v = Real(g(rng));
  return x;
}

// The real inner product over (re, im) pairs.
template <typename Real>
double dot(const std::vector<std::complex<Real>>& a, const std::vector<std::complex<Real>>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i)
    s += double(a[i].real()) * double(b[i].real()) + double(a[i].imag()) * double(b[i].imag());
  return s;
}

TEST(RealFft, ForwardAndAdjointMatchThePlainDft) {
  for (int n : {2, 8, 30, 64, 1024}) {
    RealFft<double> fft(n);
    const auto x = noise(n, n);
    std::vector<std::complex<double>> X(static_cast<size_t>(n / 2 + 1));
    fft.forward(x.data(), X.data());
    double worst = 0;
    for (int k = 0; k <= n / 2; ++k) {
      std::complex<double> ref = 0;
      for (int i = 0; i < n; ++i) ref += x[i] * std::polar(1.0, -kTwoPi * k * i / n);
      worst = std::max(worst, std::abs(ref - X[k]));
    }
    // double FFT against an O(n^2) sum: worst seen 3e-13 (n = 1024)
    EXPECT_LT(worst, 1e-10) << "n = " << n;
    // Adjoint: <F x, G> = <x, F^T G>.
    const auto g = noise(n + 2, 99);
    std::vector<std::complex<double>> G(static_cast<size_t>(n / 2 + 1));
    for (int k = 0; k <= n / 2; ++k) G[k] = {g[2 * k], g[2 * k + 1]};
    std::vector<double> v(static_cast<size_t>(n));
    fft.adjoint(G.data(), v.data());
    double rhs = 0;
    for (int i = 0; i < n; ++i) rhs += x[i] * v[i];
    EXPECT_NEAR(dot(X, G), rhs, 1e-9 * std::abs(rhs)) << "n = " << n;
  }
}

TEST(RealFft, ManyFramesInOneCallAsOneAtATime) {
  const int n = 64, count = 7;
  RealFft<float> fft(n);
  const auto x = noise<float>(n * count, 3);
  std::vector<std::complex<float>> all(static_cast<size_t>(count) * (n / 2 + 1)), one(n / 2 + 1);
  fft.forward_frames(x.data(), count, all.data());
  for (int f = 0; f < count; ++f) {
    fft.forward(x.data() + f * n, one.data());
    for (int k = 0; k <= n / 2; ++k) EXPECT_EQ(all[f * (n / 2 + 1) + k], one[k]) << f << " " << k;
  }
}

// Frame counts around the lane width (4 floats, 2 doubles), sizes of every
// kind pocketfft plans (powers of 2, mixed radix, a prime: Bluestein).
template <typename Real>
void check_stft_frames(double tolerance) {
  for (int n : {2, 8, 30, 64, 106, 1024}) {
    for (int count : {1, 2, 3, 4, 5, 9}) {
      const int hop = std::max(1, n / 4), len = (count - 1) * hop + n, bins = n / 2 + 1;
      const auto window = noise<Real>(n, 7), x = noise<Real>(len, 11);
      StftFrames<Real> stft(n, hop, window);
      std::vector<std::complex<Real>> X(static_cast<size_t>(count) * bins), ref(bins);
      stft.forward(x.data(), count, X.data());
      RealFft<Real> fft(n);
      std::vector<Real> frame(static_cast<size_t>(n));
      double worst = 0, scale = 0;
      for (int f = 0; f < count; ++f) {
        for (int i = 0; i < n; ++i) frame[i] = x[f * hop + i] * window[i];
        fft.forward(frame.data(), ref.data());
        for (int k = 0; k < bins; ++k) {
          worst = std::max(worst, double(std::abs(ref[k] - X[f * bins + k])));
          scale = std::max(scale, double(std::abs(ref[k])));
        }
      }
      EXPECT_LE(worst, tolerance * scale) << "n " << n << " count " << count;
      // The adjoint adds into v: start from a non-zero v and subtract it again.
      const auto g = noise<Real>(2 * count * bins, 13), v0 = noise<Real>(len, 17);
      std::vector<std::complex<Real>> G(static_cast<size_t>(count) * bins);
      for (size_t i = 0; i < G.size(); ++i) G[i] = {g[2 * i], g[2 * i + 1]};
      std::vector<Real> v = v0;
      stft.adjoint_add(G.data(), count, v.data());
      double rhs = 0, size = 0;
      for (int i = 0; i < len; ++i)
        rhs += double(x[i]) * double(v[i] - v0[i]), size += std::abs(double(x[i] * v[i]));
      EXPECT_NEAR(dot(X, G), rhs, tolerance * size) << "n " << n << " count " << count;
    }
  }
}

TEST(StftFrames, MatchRealFftFrameByFrameWithTheirAdjoint) {
  // Forward: seen exactly RealFft's (the same pocketfft plan, in lanes). Adjoint,
  // relative to sum |x v|: seen 1.4e-16 (double), 7e-8 (float), 2.6e-16 (long
  // double, summed in double).
  check_stft_frames<double>(1e-12);
  check_stft_frames<float>(1e-6);
  check_stft_frames<long double>(1e-14);
}

TEST(StftFrames, RefusesBadShapes) {
  EXPECT_THROW(StftFrames<float>(7, 2, std::vector<float>(7)), Error);
  EXPECT_THROW(StftFrames<float>(8, 0, std::vector<float>(8)), Error);
  EXPECT_THROW(StftFrames<float>(8, 2, std::vector<float>(6)), Error);
}

}  // namespace
}  // namespace drumsynth
