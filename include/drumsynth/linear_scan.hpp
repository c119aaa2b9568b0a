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

#include "drumsynth/common.hpp"

namespace drumsynth {

// ---- the scalar affine step (one one-pole) ----

template <typename Real>
struct AffineStep {
  Real a;  // y -> a y + b
  Real b;
};

template <typename Real>
DS_HD AffineStep<Real> affine_identity() {
  return {Real(1), Real(0)};
}

// `first`, then `second`.
template <typename Real>
DS_HD AffineStep<Real> affine_then(const AffineStep<Real>& first, const AffineStep<Real>& second) {
  return {second.a * first.a, second.a * first.b + second.b};
}

template <typename Real>
DS_HD Real affine_apply(const AffineStep<Real>& s, Real y) {
  return s.a * y + s.b;
}

// One-pole low-pass, chunked: y[0..n) from rest; carry: scratch [ceil(n / chunk)].
// Equal to one_pole_lowpass up to float rounding (the order of the products differs).
template <typename Real>
DS_HD void one_pole_lowpass_chunked(const Real* x, Real* y, int n, Real a, int chunk, Real* carry) {
  const int n_chunks = (n + chunk - 1) / chunk;
  for (int c = 0; c < n_chunks; ++c) {  // (1) aggregates: the chunk's state from rest
    Real state = Real(0);
    for (int i = c * chunk; i < n && i < (c + 1) * chunk; ++i) state += a * (x[i] - state);
    carry[c] = state;
  }
  // (2) exclusive scan: entry state of chunk c; a full chunk multiplies its
  // entry state by (1 - a)^chunk and adds its aggregate.
  const Real decay = dm::exp(Real(chunk) * dm::log(Real(1) - a));
  Real entry = Real(0);
  for (int c = 0; c < n_chunks; ++c) {
    const Real aggregate = carry[c];
    carry[c] = entry;
    entry = decay * entry + aggregate;
  }
  for (int c = 0; c < n_chunks; ++c) {  // (3) each chunk again from its entry state
    Real state = carry[c];
    for (int i = c * chunk; i < n && i < (c + 1) * chunk; ++i) y[i] = state = state + a * (x[i] - state);
  }
}

// Its adjoint (one_pole_lowpass_vjp, chunked backwards): the total gradient
//   lambda[n] = v_y[n] + (1 - a) lambda[n+1]
// is the same recurrence run in reverse; v_x[n] = a lambda[n] (v_x may be
// null), v_a = sum lambda[n] (x[n] - y[n-1]). Returns v_a; carry as above.
template <typename Real>
DS_HD Real one_pole_lowpass_vjp_chunked(const Real* x, const Real* y, int n, Real a, const Real* v_y,
                                        Real* v_x, int chunk, Real* carry) {
  const int n_chunks = (n + chunk - 1) / chunk;
  const Real A = Real(1) - a;
  for (int c = 0; c < n_chunks; ++c) {  // (1) each chunk's lambda on entry (its first sample) from rest
    Real lambda = Real(0);
    for (int i = (c + 1) * chunk < n ? (c + 1) * chunk - 1 : n - 1; i >= c * chunk; --i) lambda = v_y[i] + A * lambda;
    carry[c] = lambda;
  }
  const Real decay = dm::exp(Real(chunk) * dm::log(A));
  Real entry = Real(0);  // lambda just after the chunk's last sample
  for (int c = n_chunks - 1; c >= 0; --c) {  // (2) exclusive scan, backwards
    const Real aggregate = carry[c];
    carry[c] = entry;
    entry = decay * entry + aggregate;
  }
  Real v_a = Real(0);
  for (int c = 0; c < n_chunks; ++c) {  // (3)
    Real lambda = carry[c];
    for (int i = (c + 1) * chunk < n ? (c + 1) * chunk - 1 : n - 1; i >= c * chunk; --i) {
      lambda = v_y[i] + A * lambda;
      v_a += lambda * (x[i] - (i > 0 ? y[i - 1] : Real(0)));
      if (v_x) v_x[i] = a * lambda;
    }
  }
  return v_a;
}

// ---- the noise band's two-state step ----

// s -> M s + b with M = [[m00, 0], [m10, m11]].
template <typename Real>
struct AffineStep2 {
  Real m00, m10, m11;
  Real b0, b1;
};

template <typename Real>
DS_HD AffineStep2<Real> affine2_identity() {
  return {Real(1), Real(0), Real(1), Real(0), Real(0)};
}

// `first`, then `second`: (M2 M1, M2 b1 + b2).
template <typename Real>
DS_HD AffineStep2<Real> affine2_then(const AffineStep2<Real>& f, const AffineStep2<Real>& s) {
  return {s.m00 * f.m00, s.m10 * f.m00 + s.m11 * f.m10, s.m11 * f.m11,
          s.m00 * f.b0 + s.b0, s.m10 * f.b0 + s.m11 * f.b1 + s.b1};
}

// The noise band's step for white sample w (see the file comment).
template <typename Real>
DS_HD AffineStep2<Real> noise_band_step(Real a_low, Real a_high, Real w) {
  const Real p = Real(1) - a_low;
  return {p, -a_high * p, Real(1) - a_high, a_low * w, a_high * (Real(1) - a_low) * w};
}

}  // namespace drumsynth
