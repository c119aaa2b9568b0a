// First-order linear recurrences as associative scans, so they can run in
// parallel over samples (the GPU's chunked reduce-then-scan) instead of one
// thread walking a whole sound. Device-safe; the CPU tests check every piece
// against the sequential recurrences before a GPU runs them.
//
// A one-pole step  y[n] = (1 - a) y[n-1] + a x[n]  is the affine map
//   y -> A y + B,   A = 1 - a,  B = a x[n],
// and two steps in a row are again one:
//   (A2, B2) after (A1, B1) = (A2 A1, A2 B1 + B2),
// an associative combine, so a prefix scan of the steps gives every y[n]
// (from rest, y[n] is the B of the prefix ending at n) in log depth.
// (Kept as complements, C = 1 - A; see below.)
//
// The noise band's two filters in series are one such recurrence on the state
// s = (low, band) with a constant lower-triangular matrix (noise_band.hpp):
//   low'  = p low + a_l w                              p = 1 - a_l
//   band' = q band + a_h (w - low')                    q = 1 - a_h
//         = -a_h p low + q band + a_h (1 - a_l) w
//
// Chunked evaluation (what a GPU block does, here in plain loops): (1) each
// chunk's aggregate step from rest, (2) an exclusive scan over the chunks'
// aggregates gives each chunk's state on entry (a checkpoint), (3) each chunk
// runs again from its checkpoint, writing its samples. (1) and (3) are
// independent per chunk; (2) is a scan over n / chunk elements.
#pragma once

#include "drumsynth/math/common.hpp"

namespace drumsynth {

// Steps are kept in complement form, y -> y - c y + b (the multiplier is
// 1 - c): for a pole near 1 (a low cutoff, a small a) a float 1 - a keeps
// only a few digits of a, and a product of such multipliers drifts (measured
// 35 times the sequential loop's float error on a 100 Hz damping at 96 kHz);
// composing the complements, c = c1 + c2 - c1 c2, keeps them, and one step
// applied is exactly the loop's y + a (x - y).

// ---- the scalar affine step (one one-pole) ----

template <typename Real>
struct AffineStep {
  Real c;  // y -> y - c y + b
  Real b;
};

template <typename Real>
DS_HD AffineStep<Real> affine_identity() {
  return {Real(0), Real(0)};
}

// The one-pole's step for input x: y -> y + a (x - y).
template <typename Real>
DS_HD AffineStep<Real> one_pole_affine_step(Real a, Real x) {
  return {a, a * x};
}

// `first`, then `second`: (1 - c2)(1 - c1) = 1 - (c1 + c2 - c1 c2), b = (1 - c2) b1 + b2.
template <typename Real>
DS_HD AffineStep<Real> affine_then(const AffineStep<Real>& first, const AffineStep<Real>& second) {
  return {first.c + second.c - second.c * first.c, first.b - second.c * first.b + second.b};
}

template <typename Real>
DS_HD Real affine_apply(const AffineStep<Real>& s, Real y) {
  return y - s.c * y + s.b;
}

// One-pole low-pass, chunked: y[0..n) from rest; carry: scratch [ceil(n / chunk)].
// Equal to one_pole_lowpass up to float rounding (the order of the products differs).
template <typename Real>
DS_HD void one_pole_lowpass_chunked(const Real* x, Real* y, int n, Real a, int chunk,
                                    AffineStep<Real>* carry) {
  const int n_chunks = (n + chunk - 1) / chunk;
  for (int c = 0; c < n_chunks; ++c) {  // (1) each chunk's aggregate step
    AffineStep<Real> agg = affine_identity<Real>();
    for (int i = c * chunk; i < n && i < (c + 1) * chunk; ++i)
      agg = affine_then(agg, one_pole_affine_step(a, x[i]));
    carry[c] = agg;
  }
  Real entry = Real(0);  // (2) exclusive scan: each chunk's entry state, kept in carry[c].b
  for (int c = 0; c < n_chunks; ++c) {
    const Real next = affine_apply(carry[c], entry);
    carry[c] = {Real(0), entry};
    entry = next;
  }
  for (int c = 0; c < n_chunks; ++c) {  // (3) each chunk again from its entry state
    Real state = carry[c].b;
    for (int i = c * chunk; i < n && i < (c + 1) * chunk; ++i)
      y[i] = state = state + a * (x[i] - state);
  }
}

// Its adjoint (one_pole_lowpass_vjp, chunked backwards): the total gradient
//   lambda[n] = v_y[n] + (1 - a) lambda[n+1]
// is the same recurrence run in reverse; v_x[n] = a lambda[n] (v_x may be
// null), v_a = sum lambda[n] (x[n] - y[n-1]). Returns v_a; carry as above.
// (lambda's step from lambda[n+1]: lambda -> lambda - a lambda + v_y[n].)
template <typename Real>
DS_HD Real one_pole_lowpass_vjp_chunked(const Real* x, const Real* y, int n, Real a,
                                        const Real* v_y, Real* v_x, int chunk,
                                        AffineStep<Real>* carry) {
  const int n_chunks = (n + chunk - 1) / chunk;
  auto last_of = [&](int c) { return (c + 1) * chunk < n ? (c + 1) * chunk - 1 : n - 1; };
  for (int c = 0; c < n_chunks; ++c) {  // (1) aggregates, from each chunk's end to its start
    AffineStep<Real> agg = affine_identity<Real>();
    for (int i = last_of(c); i >= c * chunk; --i)
      agg = affine_then(agg, AffineStep<Real>{a, v_y[i]});
    carry[c] = agg;
  }
  Real entry = Real(0);  // (2) lambda just after each chunk's last sample, backwards
  for (int c = n_chunks - 1; c >= 0; --c) {
    const Real next = affine_apply(carry[c], entry);
    carry[c] = {Real(0), entry};
    entry = next;
  }
  Real v_a = Real(0);
  for (int c = 0; c < n_chunks; ++c) {  // (3)
    Real lambda = carry[c].b;
    for (int i = last_of(c); i >= c * chunk; --i) {
      lambda = v_y[i] + lambda - a * lambda;
      v_a += lambda * (x[i] - (i > 0 ? y[i - 1] : Real(0)));
      if (v_x) v_x[i] = a * lambda;
    }
  }
  return v_a;
}

// ---- the noise band's two-state step ----

// s -> s - C s + b with C = [[c00, 0], [c10, c11]] (the matrix is I - C).
template <typename Real>
struct AffineStep2 {
  Real c00, c10, c11;
  Real b0, b1;
};

template <typename Real>
DS_HD AffineStep2<Real> affine2_identity() {
  return {Real(0), Real(0), Real(0), Real(0), Real(0)};
}

// `first`, then `second`: C = C1 + C2 - C2 C1, b = b1 - C2 b1 + b2.
template <typename Real>
DS_HD AffineStep2<Real> affine2_then(const AffineStep2<Real>& f, const AffineStep2<Real>& s) {
  return {f.c00 + s.c00 - s.c00 * f.c00, f.c10 + s.c10 - (s.c10 * f.c00 + s.c11 * f.c10),
          f.c11 + s.c11 - s.c11 * f.c11, f.b0 - s.c00 * f.b0 + s.b0,
          f.b1 - (s.c10 * f.b0 + s.c11 * f.b1) + s.b1};
}

// The noise band's step for white sample w (see the file comment): the matrix
// [[1 - a_l, 0], [-a_h (1 - a_l), 1 - a_h]], so C = [[a_l, 0], [a_h (1 - a_l), a_h]].
template <typename Real>
DS_HD AffineStep2<Real> noise_band_step(Real a_low, Real a_high, Real w) {
  const Real p = Real(1) - a_low;
  return {a_low, a_high * p, a_high, a_low * w, a_high * p * w};
}

}  // namespace drumsynth
