// The recurrences as associative scans (linear_scan.hpp) against the
// sequential recurrences they replace on the GPU: the combine is associative,
// the chunked one-pole and its adjoint match one_pole_lowpass and its adjoint
// (poles near 1 included), and a scan of the noise band's two-state steps
// gives noise_band_filter's outputs.
#include <gtest/gtest.h>

#include <random>

#include "drumsynth/math/linear_scan.hpp"
#include "drumsynth/synth/noise_band.hpp"
#include "drumsynth/synth/noise_band_scan.hpp"

namespace drumsynth {
namespace {

std::vector<double> noise(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> d;
  std::vector<double> x(static_cast<size_t>(n));
  for (double& v : x) v = d(rng);
  return x;
}

double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::abs(a[i] - b[i]));
  return m;
}

TEST(LinearScan, AffineCombineIsAssociative) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> u(-1, 1);
  for (int trial = 0; trial < 100; ++trial) {
    const AffineStep<double> p{u(rng), u(rng)}, q{u(rng), u(rng)}, r{u(rng), u(rng)};
    const auto left = affine_then(affine_then(p, q), r), right = affine_then(p, affine_then(q, r));
    ASSERT_NEAR(left.c, right.c, 1e-15);
    // composing is applying one after the other
    ASSERT_NEAR(affine_apply(affine_then(p, q), 0.7), affine_apply(q, affine_apply(p, 0.7)), 1e-15);
    ASSERT_NEAR(left.b, right.b, 1e-15);
    const AffineStep2<double> P{u(rng), u(rng), u(rng), u(rng), u(rng)},
        Q{u(rng), u(rng), u(rng), u(rng), u(rng)}, R{u(rng), u(rng), u(rng), u(rng), u(rng)};
    const auto L = affine2_then(affine2_then(P, Q), R), Rr = affine2_then(P, affine2_then(Q, R));
    for (auto [x, y] :
         {std::pair{L.c00, Rr.c00}, {L.c10, Rr.c10}, {L.c11, Rr.c11}, {L.b0, Rr.b0}, {L.b1, Rr.b1}})
      ASSERT_NEAR(x, y, 1e-14);
  }
  const auto id = affine_identity<double>();
  const AffineStep<double> s{0.3, -2.0};
  EXPECT_EQ(affine_then(id, s).c, s.c);
  EXPECT_EQ(affine_then(s, id).b, s.b);
}

// Cutoffs from 1 Hz (a pole 1.3e-4 from 1 at 48 kHz, (1 - a)^chunk near 1) to
// 20 kHz, chunks of 32 (a warp) to 1024, a 10 s sound (480,000 samples).
TEST(LinearScan, ChunkedOnePoleMatchesTheRecurrenceAndItsAdjoint) {
  const int n = 480000;
  const double sr = 48000;
  const auto x = noise(n, 2), v_y = noise(n, 3);
  double worst_y = 0, worst_vx = 0, worst_va = 0;
  for (double cutoff : {1.0, 30.0, 1000.0, 20000.0}) {
    const double a = one_pole_coefficient(cutoff, sr);
    std::vector<double> y(n), v_x(n);
    one_pole_lowpass(x.data(), y.data(), n, a);
    const double v_a = one_pole_lowpass_vjp(x.data(), y.data(), n, a, v_y.data(), v_x.data());
    double y_scale = 0, vx_scale = 0;
    for (int i = 0; i < n; ++i)
      y_scale = std::max(y_scale, std::abs(y[i])), vx_scale = std::max(vx_scale, std::abs(v_x[i]));
    for (int chunk : {32, 1024}) {
      std::vector<double> yc(n), vxc(n);
      std::vector<AffineStep<double>> carry((n + chunk - 1) / chunk);
      one_pole_lowpass_chunked(x.data(), yc.data(), n, a, chunk, carry.data());
      const double vac = one_pole_lowpass_vjp_chunked(x.data(), y.data(), n, a, v_y.data(),
                                                      vxc.data(), chunk, carry.data());
      worst_y = std::max(worst_y, max_abs_diff(y, yc) / y_scale);
      worst_vx = std::max(worst_vx, max_abs_diff(v_x, vxc) / vx_scale);
      worst_va = std::max(worst_va, std::abs(v_a - vac) / std::abs(v_a));
    }
  }
  // Double: only the order of the products differs; measured 1e-13 or less.
  std::printf(
      "  chunked one-pole, relative to the sequential: y %.1e, v_x %.1e, v_a %.1e (bound 1e-9)\n",
      worst_y, worst_vx, worst_va);
  EXPECT_LT(worst_y, 1e-9);
  EXPECT_LT(worst_vx, 1e-9);
  EXPECT_LT(worst_va, 1e-9);
}

// In float, as the GPU runs it: within a few float roundings of the sequential float.
TEST(LinearScan, ChunkedOnePoleInFloatStaysNearTheSequential) {
  const int n = 96000;
  const auto xd = noise(n, 4);
  const std::vector<float> x(xd.begin(), xd.end());
  const float a = one_pole_coefficient(5.0f, 48000.0f);  // a pole near 1: the hard case in float
  std::vector<float> y(n), yc(n);
  std::vector<AffineStep<float>> carry(n / 32 + 1);
  std::vector<double> yd(n);
  one_pole_lowpass(xd.data(), yd.data(), n, double(a));
  one_pole_lowpass(x.data(), y.data(), n, a);
  one_pole_lowpass_chunked(x.data(), yc.data(), n, a, 32, carry.data());
  double err_seq = 0, err_chunk = 0, scale = 0;
  for (int i = 0; i < n; ++i) {
    err_seq = std::max(err_seq, std::abs(y[i] - yd[i]));
    err_chunk = std::max(err_chunk, std::abs(yc[i] - yd[i]));
    scale = std::max(scale, std::abs(yd[i]));
  }
  std::printf("  float vs double: sequential %.1e, chunked %.1e (of %.2f)\n", err_seq, err_chunk,
              scale);
  EXPECT_LT(err_chunk, 4 * err_seq + 1e-6 * scale);
}

// A scan of the noise band's steps, in the tree order of a parallel scan
// (pairs, then pairs of pairs), gives noise_band_filter's low and band.
TEST(LinearScan, NoiseBandAsATwoStateScan) {
  const int n = 4096;
  const double sr = 44100;
  std::vector<double> p(kNumParams, 0.0);
  p[P::noise_low_hz] = 200, p[P::noise_high_hz] = 5000;
  std::vector<double> low(n), band(n);
  noise_band_filter(p.data(), sr, 7, n, low.data(), band.data());
  const double a_l = one_pole_coefficient(p[P::noise_low_hz], sr),
               a_h = one_pole_coefficient(p[P::noise_high_hz], sr);
  std::vector<AffineStep2<double>> prefix(n);
  for (int i = 0; i < n; ++i)
    prefix[i] = noise_band_step(a_l, a_h, white_noise<double>(7, uint64_t(i)));
  // Hillis-Steele inclusive scan: after round d, prefix[i] covers [i - 2^d + 1, i].
  for (int d = 1; d < n; d *= 2) {
    const auto prev = prefix;
    for (int i = d; i < n; ++i) prefix[i] = affine2_then(prev[i - d], prev[i]);
  }
  double worst = 0;
  for (int i = 0; i < n; ++i)  // from rest, the state is the prefix's b
    worst = std::max({worst, std::abs(prefix[i].b0 - low[i]), std::abs(prefix[i].b1 - band[i])});
  std::printf("  noise band as a scan: max abs err %.1e (bound 1e-12)\n", worst);
  EXPECT_LT(worst, 1e-12);
}

// The chunked noise band (forward and adjoint, the GPU kernel's structure)
// against the sequential filter and its adjoint: chunks of one sample, of a
// block's share of a 1 s sound (188 = 48000 / 256), and longer than the sound.
TEST(LinearScan, ChunkedNoiseBandMatchesTheFilterAndItsAdjoint) {
  const int n = 48000;
  const double sr = 48000;
  double worst_y = 0, worst_vp = 0;
  for (auto [lo_hz, hi_hz] : {std::pair{20.0, 22000.0}, {300.0, 3000.0}, {5000.0, 8000.0}}) {
    std::vector<double> p(kNumParams, 0.0);
    p[P::noise_low_hz] = lo_hz, p[P::noise_high_hz] = hi_hz;
    std::vector<double> lo(n), bd(n), v_band(n), vp(kNumParams, 0.0);
    noise_band_filter(p.data(), sr, 3, n, lo.data(), bd.data());
    for (int i = 0; i < n; ++i)
      v_band[i] = std::sin(0.001 * i) + 0.1 * white_noise<double>(3, uint64_t(i));
    noise_band_filter_vjp(p.data(), sr, 3, n, lo.data(), bd.data(), v_band.data(), vp.data());
    double scale = 0;
    for (int i = 0; i < n; ++i) scale = std::max(scale, std::abs(bd[i]));
    for (int chunk : {1, 188, 100000}) {
      std::vector<double> lo2(n), bd2(n), vp2(kNumParams, 0.0);
      noise_band_filter_chunked(p.data(), sr, 3, n, chunk, lo2.data(), bd2.data());
      for (int i = 0; i < n; ++i)
        worst_y =
            std::max({worst_y, std::abs(bd2[i] - bd[i]) / scale, std::abs(lo2[i] - lo[i]) / scale});
      noise_band_filter_vjp_chunked(p.data(), sr, 3, n, chunk, lo.data(), bd.data(), v_band.data(),
                                    vp2.data());
      for (int k : {P::noise_low_hz, P::noise_high_hz})
        worst_vp = std::max(worst_vp, std::abs(vp2[k] - vp[k]) / std::abs(vp[k]));
    }
  }
  // Double: only the order of the products differs; measured 1e-12 or less.
  std::printf(
      "  chunked noise band vs the filter: outputs %.1e, cutoff gradients %.1e (bound 1e-9)\n",
      worst_y, worst_vp);
  EXPECT_LT(worst_y, 1e-9);
  EXPECT_LT(worst_vp, 1e-9);
}

}  // namespace
}  // namespace drumsynth
