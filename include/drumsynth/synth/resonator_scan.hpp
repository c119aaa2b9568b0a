// The resonator (resonator.hpp) in blocks that a warp can scan in parallel:
// a block of at most the integer delay D samples only reads y from earlier
// blocks through its taps, so within a block
//   d[k] = tap(y, i0 + k)                    (all known at the block's start)
//   h[k] = (1 - a) h[k-1] + a d[k]           (a one-pole: affine steps, linear_scan.hpp)
// is a prefix scan with the previous block's last h as its carry, and
// y = x + fb h follows per sample (out = gain h is the mix's, resonator_out).
// Blocks run in order; their length is min(D, 32 x the samples a lane walks)
// (resonator_blocking).
// The adjoint runs the blocks backwards the same way: the total gradient of h,
//   lambda[k] = gain v_out[k] + fb v_y[k] + (1 - a) lambda[k+1],
// is a reverse scan with the next block's first lambda as its carry, and v_y
// of a block is complete when it starts (its scatters land D or more back).
// These are the CPU references of the GPU's warp scans, in the same tree
// order (Hillis-Steele), checked against resonator and resonator_vjp.
#pragma once

#include "drumsynth/math/linear_scan.hpp"
#include "drumsynth/synth/resonator.hpp"

namespace drumsynth {

constexpr int kResonatorScanWidth = 32;   // a warp's lanes
constexpr int kResonatorLaneSamples = 8;  // the most samples one lane walks in a block

// How a delay's blocks are cut: a block of at most D samples (its taps read
// only earlier blocks) and at most lane_samples a lane, each lane a run of
// per_lane consecutive samples (the last lanes fewer, or none). Each lane
// composes its run's steps, the warp scans the 32 compositions, and each lane
// walks its run again from its scanned entry: one warp scan per block, so
// lanes of 8 samples take an eighth of the scans that lanes of one do (at
// 48 kHz every delay of 256 or more samples, resonators of 187 Hz or lower).
struct ResonatorBlocking {
  int block;     // samples a block
  int per_lane;  // samples a lane, at most
};

DS_HD ResonatorBlocking resonator_blocking(int delay_int, int lane_samples) {
  const int most = kResonatorScanWidth * lane_samples;
  const int block = delay_int < most ? delay_int : most;
  return {block, (block + kResonatorScanWidth - 1) / kResonatorScanWidth};
}

// Samples in lane `lane`'s run of a block of m samples (offsets lane per_lane on).
DS_HD int resonator_lane_count(const ResonatorBlocking& k, int m, int lane) {
  const int left = m - lane * k.per_lane;
  return left <= 0 ? 0 : (left < k.per_lane ? left : k.per_lane);
}

// Inclusive scan of the warp's 32 steps in the order a warp does it.
template <typename Real>
DS_HD void affine_scan_in_warp_order(AffineStep<Real>* s) {
  for (int d = 1; d < kResonatorScanWidth; d *= 2)
    for (int k = kResonatorScanWidth - 1; k >= d; --k)
      s[k] = affine_then(s[k - d], s[k]);  // from the top: reads are of the last round
}

template <typename Real>
DS_HD void resonator_blocked(const Real* p, Real sample_rate, int n, const Real* DS_RESTRICT x,
                             Real* DS_RESTRICT y, Real* DS_RESTRICT h,
                             int lane_samples = kResonatorLaneSamples) {
  const auto c = resonator_coefficients(p, sample_rate);
  const ResonatorBlocking k = resonator_blocking(c.delay_int, lane_samples);
  Real carry = Real(0);
  AffineStep<Real> lanes[kResonatorScanWidth];
  for (int i0 = 0; i0 < n; i0 += k.block) {
    const int m = n - i0 < k.block ? n - i0 : k.block;
    for (int lane = 0; lane < kResonatorScanWidth; ++lane) {  // each lane's run composed
      AffineStep<Real> run = affine_identity<Real>();
      for (int s = 0, i = i0 + lane * k.per_lane; s < resonator_lane_count(k, m, lane); ++s, ++i)
        run = affine_then(run, one_pole_affine_step(c.a, resonator_tap(y, i, c)));
      lanes[lane] = run;
    }
    affine_scan_in_warp_order(lanes);
    for (int lane = 0; lane < kResonatorScanWidth; ++lane) {  // each run again from its entry
      Real hk = affine_apply(lane > 0 ? lanes[lane - 1] : affine_identity<Real>(), carry);
      for (int s = 0, i = i0 + lane * k.per_lane; s < resonator_lane_count(k, m, lane); ++s, ++i) {
        hk = affine_apply(one_pole_affine_step(c.a, resonator_tap(y, i, c)), hk);
        h[i] = hk;
        y[i] = x[i] + c.fb * hk;
      }
    }
    carry = h[i0 + m - 1];
  }
}

// One lane's run of a block in the adjoint, from its top sample down, the
// run's v_y and v_out given (vy, vo: count of them, complete: their scatters
// come from later blocks), lambda entering at the top. The taps' scatter
//   v_y[j] += (1 - frac) v_d[i],  v_y[j - 1] += frac v_d[i]   (j = i - D)
// is gathered so each place is written once: v_y[j_q] takes sample q's
// (1 - frac) share and sample q - 1's frac share together. Two shares meet
// another lane's and are returned instead: the top sample's (1 - frac) share,
// whose place also takes the frac share of the lane above's bottom sample,
// and the bottom sample's frac share (resonator_lane_edges_vjp adds both).
// The GPU's lanes and the CPU's twin (resonator_blocked_vjp) both run this.
template <typename Real>
struct ResonatorLaneVjp {
  Real lambda;       // at the run's bottom sample
  Real top_share;    // (1 - frac) v_d of the top sample, for v_y[j_top]
  Real bottom_frac;  // frac v_d of the bottom sample, for v_y[j_bottom - 1]
};

template <typename Real>
DS_HD ResonatorLaneVjp<Real> resonator_lane_vjp(const ResonatorCoefficients<Real>& c, Real gain,
                                                const Real* DS_RESTRICT y,
                                                const Real* DS_RESTRICT h, const Real* vy,
                                                const Real* vo, int count, int top, Real lambda,
                                                Real* DS_RESTRICT v_y, ResonatorGrads<Real>& g) {
  Real top_share = Real(0), above_frac = Real(0);  // above_frac: sample q - 1's frac share
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int q = 0; q < kResonatorLaneSamples; ++q)
    if (q < count) {
      const int i = top - q, j = i - c.delay_int;
      lambda = affine_apply(AffineStep<Real>{c.a, gain * vo[q] + c.fb * vy[q]}, lambda);
      const Real y0 = j >= 0 ? y[j] : Real(0), y1 = j >= 1 ? y[j - 1] : Real(0);
      const Real v_d = resonator_sample_vjp(c, lambda, vy[q], vo[q], h[i],
                                            i > 0 ? h[i - 1] : Real(0), y0, y1, g);
      if (q == 0)
        top_share = v_d * (Real(1) - c.frac);
      else if (j >= 0)
        v_y[j] += v_d * (Real(1) - c.frac) + above_frac;
      above_frac = v_d * c.frac;
    }
  return {lambda, top_share, above_frac};
}

// The two shares a lane's run leaves (resonator_lane_vjp): its top place
// takes its own share and from_above, the frac share of the bottom sample of
// the lane above (lane - 1, the samples just above; none for lane 0, whose
// sample above is the next block's bottom one, added there); the block's
// bottom sample's frac share lands where no lane of the earlier block adds.
template <typename Real>
DS_HD void resonator_lane_edges_vjp(const ResonatorCoefficients<Real>& c, int lane, int i0, int top,
                                    int count, const ResonatorLaneVjp<Real>& r, Real from_above,
                                    Real* v_y) {
  if (count <= 0) return;
  const int j_top = top - c.delay_int, j_bottom = top - (count - 1) - c.delay_int;
  if (j_top >= 0) v_y[j_top] += r.top_share + (lane >= 1 ? from_above : Real(0));
  if (top - (count - 1) == i0 && j_bottom >= 1) v_y[j_bottom - 1] += r.bottom_frac;
}

// Adjoint, as resonator_vjp (same arguments and outputs), in blocks from the
// end; lane k's run is the block's samples i1 - r for r in its offsets (from
// the top down). The CPU twin of the GPU's warp: the same lane runs and
// gathered writes (resonator_lane_vjp), the lanes one after another.
template <typename Real>
DS_HD void resonator_blocked_vjp(const Real* p, Real sample_rate, int n,  // forward inputs
                                 const Real* DS_RESTRICT y, const Real* DS_RESTRICT h,  // saved
                                 const Real* DS_RESTRICT v_out,  // output gradient
                                 Real* v_p, Real* DS_RESTRICT v_y,
                                 int lane_samples = kResonatorLaneSamples) {
  const auto c = resonator_coefficients(p, sample_rate);
  const Real gain = p[P::resonator_gain];
  const ResonatorBlocking k = resonator_blocking(c.delay_int, lane_samples);
  for (int i = 0; i < n; ++i) v_y[i] = Real(0);
  Real carry = Real(0);
  ResonatorGrads<Real> g{Real(0), Real(0), Real(0), Real(0)};
  AffineStep<Real> lanes[kResonatorScanWidth];
  Real vy[kResonatorScanWidth][kResonatorLaneSamples],
      vo[kResonatorScanWidth][kResonatorLaneSamples];
  const int n_blocks = (n + k.block - 1) / k.block;
  for (int bi = n_blocks - 1; bi >= 0; --bi) {
    const int i0 = bi * k.block, m = n - i0 < k.block ? n - i0 : k.block, i1 = i0 + m - 1;
    for (int lane = 0; lane < kResonatorScanWidth; ++lane) {
      AffineStep<Real> run =
          affine_identity<Real>();  // lambda -> lambda - a lambda + input, from the top down
      const int top = i1 - lane * k.per_lane, count = resonator_lane_count(k, m, lane);
      for (int q = 0; q < count; ++q) {
        vy[lane][q] = v_y[top - q], vo[lane][q] = v_out[top - q];
        run = affine_then(run, AffineStep<Real>{c.a, gain * vo[lane][q] + c.fb * vy[lane][q]});
      }
      lanes[lane] = run;
    }
    affine_scan_in_warp_order(lanes);
    Real lambda_bottom = carry, above_bottom_frac = Real(0);
    for (int lane = 0; lane < kResonatorScanWidth; ++lane) {
      const int top = i1 - lane * k.per_lane, count = resonator_lane_count(k, m, lane);
      const Real entry = affine_apply(lane > 0 ? lanes[lane - 1] : affine_identity<Real>(), carry);
      const ResonatorLaneVjp<Real> r =
          resonator_lane_vjp(c, gain, y, h, vy[lane], vo[lane], count, top, entry, v_y, g);
      resonator_lane_edges_vjp(c, lane, i0, top, count, r, above_bottom_frac, v_y);
      above_bottom_frac = count > 0 ? r.bottom_frac : Real(0);
      if (count > 0 && top - (count - 1) == i0) lambda_bottom = r.lambda;
    }
    carry = lambda_bottom;  // lambda at the block's first sample: the next block's carry
  }
  resonator_coefficients_vjp(p, sample_rate, c, g.v_frac, g.v_fb, g.v_a, g.v_gain, v_p);
}

}  // namespace drumsynth
