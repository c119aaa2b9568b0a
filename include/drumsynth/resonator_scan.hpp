// The resonator (resonator.hpp) in blocks that a warp can scan in parallel:
// a block of at most the integer delay D samples only reads y from earlier
// blocks through its taps, so within a block
//   d[k] = tap(y, i0 + k)                    (all known at the block's start)
//   h[k] = (1 - a) h[k-1] + a d[k]           (a one-pole: affine steps, linear_scan.hpp)
// is a prefix scan with the previous block's last h as its carry, and
// y = x + fb h follows per sample (out = gain h is the mix's, resonator_out).
// Blocks run in order; their length is min(D, kResonatorScanWidth), a warp.
// The adjoint runs the blocks backwards the same way: the total gradient of h,
//   lambda[k] = gain v_out[k] + fb v_y[k] + (1 - a) lambda[k+1],
// is a reverse scan with the next block's first lambda as its carry, and v_y
// of a block is complete when it starts (its scatters land D or more back).
// These are the CPU references of the GPU's warp scans, in the same tree
// order (Hillis-Steele), checked against resonator and resonator_vjp.
#pragma once

#include "drumsynth/linear_scan.hpp"
#include "drumsynth/resonator.hpp"

namespace drumsynth {

constexpr int kResonatorScanWidth = 32;  // a warp

// Inclusive scan of m <= kResonatorScanWidth steps in the order a warp does it.
template <typename Real>
DS_HD void affine_scan_in_warp_order(AffineStep<Real>* s, int m) {
  for (int d = 1; d < m; d *= 2)
    for (int k = m - 1; k >= d; --k) s[k] = affine_then(s[k - d], s[k]);  // from the top: reads are of the last round
}

template <typename Real>
DS_HD void resonator_blocked(const Real* p, Real sample_rate, int n, const Real* DS_RESTRICT x,
                             Real* DS_RESTRICT y, Real* DS_RESTRICT h) {
  const auto c = resonator_coefficients(p, sample_rate);
  const int block = c.delay_int < kResonatorScanWidth ? c.delay_int : kResonatorScanWidth;
  Real carry = Real(0);
  AffineStep<Real> steps[kResonatorScanWidth];
  for (int i0 = 0; i0 < n; i0 += block) {
    const int m = n - i0 < block ? n - i0 : block;
    for (int k = 0; k < m; ++k) steps[k] = one_pole_affine_step(c.a, resonator_tap(y, i0 + k, c));
    affine_scan_in_warp_order(steps, m);
    for (int k = 0; k < m; ++k) {
      const Real hk = affine_apply(steps[k], carry);
      h[i0 + k] = hk;
      y[i0 + k] = x[i0 + k] + c.fb * hk;
    }
    carry = h[i0 + m - 1];
  }
}

// Adjoint, as resonator_vjp (same arguments and outputs), in blocks from the end.
template <typename Real>
DS_HD void resonator_blocked_vjp(const Real* p, Real sample_rate, int n,                // forward inputs
                                 const Real* DS_RESTRICT y, const Real* DS_RESTRICT h,  // saved
                                 const Real* DS_RESTRICT v_out,                         // output gradient
                                 Real* v_p, Real* DS_RESTRICT v_y) {
  const auto c = resonator_coefficients(p, sample_rate);
  const Real gain = p[P::resonator_gain];
  const int block = c.delay_int < kResonatorScanWidth ? c.delay_int : kResonatorScanWidth;
  for (int i = 0; i < n; ++i) v_y[i] = Real(0);
  Real carry = Real(0);
  ResonatorGrads<Real> g{Real(0), Real(0), Real(0), Real(0)};
  AffineStep<Real> steps[kResonatorScanWidth];  // steps[k] for sample i1 - k (backwards)
  const int n_blocks = (n + block - 1) / block;
  for (int bi = n_blocks - 1; bi >= 0; --bi) {
    const int i0 = bi * block, m = n - i0 < block ? n - i0 : block, i1 = i0 + m - 1;
    for (int k = 0; k < m; ++k) {
      const int i = i1 - k;
      steps[k] = {c.a, gain * v_out[i] + c.fb * v_y[i]};  // lambda -> lambda - a lambda + input
    }
    affine_scan_in_warp_order(steps, m);
    for (int k = 0; k < m; ++k) {
      const int i = i1 - k, j = i - c.delay_int;
      const Real lambda = affine_apply(steps[k], carry);
      const Real y0 = j >= 0 ? y[j] : Real(0), y1 = j >= 1 ? y[j - 1] : Real(0);
      const Real v_d = resonator_sample_vjp(c, lambda, v_y[i], v_out[i], h[i], i > 0 ? h[i - 1] : Real(0), y0, y1, g);
      if (j >= 0) v_y[j] += v_d * (Real(1) - c.frac);
      if (j >= 1) v_y[j - 1] += v_d * c.frac;
    }
    carry = affine_apply(steps[m - 1], carry);  // lambda at the block's first sample
  }
  resonator_coefficients_vjp(p, sample_rate, c, g.v_frac, g.v_fb, g.v_a, g.v_gain, v_p);
}

}  // namespace drumsynth
