// Per-bin math of the MRSTFT loss, shared by the CPU loss and the CUDA kernels.
// For one bin of one frame, with X the estimate's spectrum and Y the target's:
//   |X| = sqrt(max(re^2 + im^2, eps))                (auraloss's clamp)
//   SC  = || |Y| - |X| ||_F / || |Y| ||_F            (over the sound's frames and bins)
//   LM  = mean | log|Y| - log|X| |
// and the loudness term w (rms(x) - rms(y))^2 of the `seed` preset.
#pragma once

#include "drumsynth/math/common.hpp"

namespace drumsynth {

template <typename Real>
DS_HD Real clamped_magnitude(Real re, Real im, Real eps) {
  const Real p = re * re + im * im;
  return dm::sqrt(p > eps ? p : eps);
}

// The resolution's terms from its sums: w_sc SC with SC = ||Y - X|| / ||Y||,
// and a mean term w sum / count. A term whose weight is 0 is exactly 0, even
// where its value is not finite (log 0 when eps = 0); SC is 0 for a target
// with no energy at the resolution (||Y|| = 0, possible only with eps = 0),
// its gradient too (spectral_bin_grad): never an infinity or NaN that would
// reach every parameter. (The products keep the order the figures in
// bench/results were made with.)
template <typename Real>
DS_HD Real spectral_convergence_term(Real w_sc, Real norm_diff, Real norm_y) {
  return w_sc != Real(0) && norm_y > Real(0) ? w_sc * norm_diff / norm_y : Real(0);
}
template <typename Real>
DS_HD Real mean_term(Real w, Real sum, Real count) {
  return w != Real(0) ? w * sum / count : Real(0);
}

// dL/d|X| for one bin, given the resolution's norms:
//   d SC / d|X| = -(|Y| - |X|) / (||Y|| ||Y| - |X|||)
//   d LM / d|X| = -sign(log|Y| - log|X|) / (count |X|)
// scaled by the weights and by 1/n_resolutions (folded into w_sc, w_lm).
template <typename Real>
DS_HD Real spectral_bin_grad(Real mag_x, Real log_mag_x, Real mag_y, Real log_mag_y, Real norm_y,
                             Real norm_diff, Real inv_count, Real w_sc, Real w_lm) {
  Real g = Real(0);
  if (norm_diff > Real(0) && norm_y > Real(0)) g -= w_sc * (mag_y - mag_x) / (norm_y * norm_diff);
  const Real dlog = log_mag_y - log_mag_x;
  const Real sgn = dlog > Real(0) ? Real(1) : (dlog < Real(0) ? Real(-1) : Real(0));
  g -= w_lm * sgn * inv_count / mag_x;
  return g;
}

// Through the clamp: d|X|/d(re, im) = (re, im)/|X| where re^2 + im^2 > eps, else 0.
template <typename Real>
DS_HD void clamped_magnitude_vjp(Real re, Real im, Real eps, Real mag_x, Real v_mag, Real& v_re,
                                 Real& v_im) {
  if (re * re + im * im > eps) {
    v_re = v_mag * re / mag_x;
    v_im = v_mag * im / mag_x;
  } else {
    v_re = v_im = Real(0);
  }
}

// The band-energy term. For one cell (a frame, a band b of bins) with
// E = sum over b's bins of |X_k|^2 and the floor f (the target's loudest cell,
// range_db down: cells far below what is heard count little):
//   BE = mean over cells | ln(E_y + f) - ln(E_x + f) |
// Unlike the per-bin terms it ignores how energy is spread inside a band, so a
// noise band whose energy follows the target's is not charged for its random
// fine structure (Rayleigh-distributed bins). Through each bin's magnitude:
//   d BE / d|X_k| = c 2 |X_k|,  c = -sign(ln(E_y + f) - ln(E_x + f)) / (cells (E_x + f))
// band_cell_grad returns c scaled by the weight w (and 1/n_resolutions).
template <typename Real>
DS_HD Real band_cell_grad(Real e_x, Real log_e_x, Real log_e_y, Real floor, Real inv_cells,
                          Real w) {
  const Real d = log_e_y - log_e_x;
  const Real sgn = d > Real(0) ? Real(1) : (d < Real(0) ? Real(-1) : Real(0));
  return -w * sgn * inv_cells / (e_x + floor);
}

// The envelope term: the band-energy term's form over frames of the signal
// itself (E a frame's mean square, f the target's loudest frame range_db
// down), EN = mean over frames |ln(E_y + f) - ln(E_x + f)|; through sample n
// of frame j (of len samples): d EN / d x_n = c 2 x_n / len, c =
// band_cell_grad(E_x, ...) with inv_cells = 1 / frames.
template <typename Real>
DS_HD Real envelope_sample_grad(Real c, Real x, Real inv_len) {
  return c * Real(2) * x * inv_len;
}

// Its frames: frame j of a signal of n samples is [j len, min(n, (j + 1) len)),
// the last one shorter where len does not divide n.
DS_HD int envelope_frame_count(int n, int len) { return (n + len - 1) / len; }
DS_HD int envelope_frame_length(int n, int len, int j) {
  return (n - j * len < len ? n - j * len : len);
}
// Frame j's mean square, summed in Acc (double for a float signal).
template <typename Acc, typename Real>
DS_HD Acc envelope_frame_mean_square(const Real* x, int n, int len, int j) {
  const int start = j * len, m = envelope_frame_length(n, len, j);
  Acc s = Acc(0);
  for (int i = start; i < start + m; ++i) s += Acc(x[i]) * Acc(x[i]);
  return s / Acc(m);
}
// The floor f: the target's loudest frame range_db down, and at least the
// smallest normal number (a silent target's frames stay finite).
template <typename Real, typename Acc>
DS_HD Real envelope_floor(Acc loudest, double range_db, Real smallest_normal) {
  const Real f = Real(loudest * Acc(pow(10.0, -range_db / 10.0)));
  return f > smallest_normal ? f : smallest_normal;
}

// The RMS term w (rms_x - rms_y)^2, accumulated in Acc (the CPU sums the loss
// in double, the GPU in float).
template <typename Acc, typename Real>
DS_HD Acc rms_term(Real rms_x, Real rms_y, Acc w) {
  return w * (rms_x - rms_y) * (rms_x - rms_y);
}

// Its gradient is c x_n for each sample, with rms_x = sqrt(sum x^2 / N):
//   c = d/dx_n [w (rms_x - rms_y)^2] / x_n = 2 w (rms_x - rms_y) / (N rms_x)
// (0 for a silent estimate, where rms is not differentiable).
template <typename Real>
DS_HD Real rms_term_grad_scale(Real rms_x, Real rms_y, Real w, int n_samples) {
  return rms_x > Real(0) ? Real(2) * w * (rms_x - rms_y) / (Real(n_samples) * rms_x) : Real(0);
}

}  // namespace drumsynth
