// The GPU's tiled FIR (fir_tile.hpp) run on the CPU as its kernel runs it,
// tile by tile and thread by thread: every output bit for bit equal to the
// correlation it defines (so no tap or input is dropped or misplaced at a
// tile's or the sound's edges), that correlation equal to fir_same and to
// fir_same_vjp (with the taps reversed) in double, and a warp's window loads
// on 32 distinct shared-memory banks.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "drumsynth/spectral/fir_tile.hpp"
#include "loss/a_weighting.hpp"

namespace drumsynth {
namespace {

std::vector<float> uniform(int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (float& v : x) v = d(rng);
  return x;
}

// What fir_tile_kernel's blocks do for one instance: stage each tile and the
// coefficients, then every thread's outputs, those inside the sound kept.
std::vector<float> fir_tiled(const std::vector<float>& in, const std::vector<float>& taps,
                             bool transpose) {
  const int n = int(in.size()), n_taps = int(taps.size()), half = n_taps / 2;
  std::vector<float> cs(taps.size()), xs(static_cast<size_t>(fir_tile_inputs(n_taps))),
      out(in.size(), NAN);
  for (int j = 0; j < n_taps; ++j) cs[j] = fir_coefficient(taps.data(), n_taps, transpose, j);
  for (int first = 0; first < n; first += kFirTileOutputs) {
    for (int s = 0; s < fir_tile_inputs(n_taps); ++s)
      xs[s] = fir_tile_input(in.data(), n, first, half, s);
    for (int t = 0; t < kFirTileThreads; ++t) {
      float o[kFirOutputsPerThread];
      fir_thread_outputs(xs.data(), cs.data(), n_taps, t * kFirOutputsPerThread, o);
      for (int r = 0; r < kFirOutputsPerThread; ++r) {
        const int i = first + t * kFirOutputsPerThread + r;
        if (i < n) out[i] = o[r];
      }
    }
  }
  return out;
}

// The correlation out[i] = sum_j c[j] in[i + j - half] as written, in the
// kernel's order (j ascending, zeros outside the sound included).
std::vector<float> correlation(const std::vector<float>& in, const std::vector<float>& c) {
  const int n = int(in.size()), n_taps = int(c.size()), half = n_taps / 2;
  std::vector<float> out(in.size());
  for (int i = 0; i < n; ++i) {
    float acc = 0.0f;
    for (int j = 0; j < n_taps; ++j) {
      const int at = i + j - half;
      acc = std::fmaf(c[j], at >= 0 && at < n ? in[at] : 0.0f, acc);
    }
    out[i] = acc;
  }
  return out;
}

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// Lengths around the tile (640 outputs) and the taps' reach (101).
const int kLengths[] = {1, 2, 50, 51, 101, 639, 640, 641, 1281, 48000};

TEST(FirTile, TilesMakeEveryOutputOfTheCorrelationBitForBit) {
  for (int n_taps : {101, 7, 1}) {
    const std::vector<float> taps = uniform(n_taps, 11);
    std::vector<float> reversed(taps.rbegin(), taps.rend());
    for (int n : kLengths) {
      const std::vector<float> x = uniform(n, unsigned(n));
      for (bool transpose : {false, true}) {
        const auto tiled = fir_tiled(x, taps, transpose),
                   want = correlation(x, transpose ? reversed : taps);
        for (int i = 0; i < n; ++i)
          ASSERT_EQ(tiled[i], want[i])
              << "taps " << n_taps << " n " << n << " transpose " << transpose << " at " << i;
      }
    }
  }
}

// In double the correlation is the FIR (fir_same) and, with the taps
// reversed, its transpose (fir_same_vjp): random taps, not the A-weighting's
// symmetric ones, so a transpose taken the wrong way round shows.
TEST(FirTile, TheCorrelationIsFirSameAndReversedItsTranspose) {
  const std::vector<float> taps = uniform(101, 12);
  const std::vector<double> taps_d = to_double(taps);
  for (int n : {50, 641, 48000}) {
    const std::vector<float> x = uniform(n, unsigned(7 * n));
    std::vector<double> y(static_cast<size_t>(n)), v_x(static_cast<size_t>(n));
    const std::vector<double> x_d = to_double(x);
    fir_same(x_d.data(), n, taps_d, y.data());
    fir_same_vjp(x_d.data(), n, taps_d, v_x.data());
    const auto fwd = fir_tiled(x, taps, false), adj = fir_tiled(x, taps, true);
    double scale = 0;
    for (float t : taps) scale += std::abs(t);  // |inputs| <= 1: a bound on every output's terms
    for (int i = 0; i < n; ++i) {
      ASSERT_NEAR(fwd[i], y[i], 1e-6 * scale) << "n " << n << " at " << i;
      ASSERT_NEAR(adj[i], v_x[i], 1e-6 * scale) << "n " << n << " at " << i;
    }
  }
}

// The A-weighting's own taps at 48 kHz through the tiles, both ways, against
// the CPU backend's float fir_same and fir_same_vjp.
TEST(FirTile, AWeightingTapsMatchTheCpuBackend) {
  const std::vector<double> design = a_weighting_fir(48000.0);
  const std::vector<float> taps(design.begin(), design.end());
  const int n = 48000;
  const std::vector<float> x = uniform(n, 5);
  std::vector<float> y(static_cast<size_t>(n)), v_x(static_cast<size_t>(n));
  fir_same(x.data(), n, taps, y.data());
  fir_same_vjp(x.data(), n, taps, v_x.data());
  const auto fwd = fir_tiled(x, taps, false), adj = fir_tiled(x, taps, true);
  double scale = 0;
  for (float t : taps) scale += std::abs(t);
  for (int i = 0; i < n; ++i) {
    ASSERT_NEAR(fwd[i], y[i], 2e-6 * scale) << i;
    ASSERT_NEAR(adj[i], v_x[i], 2e-6 * scale) << i;
  }
}

TEST(FirTile, AWarpsWindowLoadsHitDistinctBanks) {
  for (int j = 0; j < 4; ++j) {
    std::set<int> banks;
    for (int lane = 0; lane < 32; ++lane) banks.insert((lane * kFirOutputsPerThread + j) % 32);
    EXPECT_EQ(banks.size(), 32u) << "offset " << j;
  }
}

}  // namespace
}  // namespace drumsynth
