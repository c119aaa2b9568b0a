// The noise band's filters as a chunked scan (linear_scan.hpp), forward and
// adjoint: what a GPU block runs with one thread per chunk, (1) each chunk's
// aggregate step, (2) a block-wide exclusive scan of them (each chunk's
// checkpoint), (3) each chunk run again from its checkpoint by the same
// per-sample code as the sequential filter (noise_band_run, _run_vjp). The
// drivers here do (2) in a loop: the CPU reference of the GPU kernel.
#pragma once

#include "drumsynth/math/linear_scan.hpp"
#include "drumsynth/synth/noise_band.hpp"

namespace drumsynth {

// (1) forward: the chunk [i0, i1)'s step on the state (low, band), from its white noise.
template <typename Real>
DS_HD AffineStep2<Real> noise_band_chunk_step(Real a_low, Real a_high, uint64_t seed, int i0,
                                              int i1) {
  AffineStep2<Real> agg = affine2_identity<Real>();
  for (int i = i0; i < i1; ++i)
    agg = affine2_then(agg, noise_band_step(a_low, a_high, white_noise<Real>(seed, uint64_t(i))));
  return agg;
}

// (1) adjoint: the chunk's step on (lambda_high, lambda_low), run backwards
// (noise_band_run_vjp's recurrence):
//   lambda_high' = lambda_high - a_h lambda_high + v_band
//   lambda_low'  = lambda_low - (a_h (1 - a_h) lambda_high + a_l lambda_low) - a_h v_band
template <typename Real>
DS_HD AffineStep2<Real> noise_band_adjoint_chunk_step(Real a_low, Real a_high, const Real* v_band,
                                                      int i0, int i1) {
  AffineStep2<Real> agg = affine2_identity<Real>();
  for (int i = i1 - 1; i >= i0; --i)
    agg = affine2_then(agg, AffineStep2<Real>{a_high, a_high * (Real(1) - a_high), a_low, v_band[i],
                                              -a_high * v_band[i]});
  return agg;
}

// The CPU reference of the chunked forward: chunks of `chunk` samples.
template <typename Real>
DS_HD void noise_band_filter_chunked(const Real* p, Real sample_rate, uint64_t seed, int n,
                                     int chunk, Real* low, Real* band) {
  const Real a_low = one_pole_coefficient(p[P::noise_low_hz], sample_rate);
  const Real a_high = one_pole_coefficient(p[P::noise_high_hz], sample_rate);
  AffineStep2<Real> entry = affine2_identity<Real>();  // (2): the scan so far, applied to rest
  for (int i0 = 0; i0 < n; i0 += chunk) {
    const int i1 = i0 + chunk < n ? i0 + chunk : n;
    noise_band_run(a_low, a_high, seed, i0, i1, entry.b0, entry.b1, low, band);       // (3)
    entry = affine2_then(entry, noise_band_chunk_step(a_low, a_high, seed, i0, i1));  // (1)
  }
}

// The CPU reference of the chunked adjoint (as noise_band_filter_vjp).
template <typename Real>
DS_HD void noise_band_filter_vjp_chunked(const Real* p, Real sample_rate, uint64_t seed, int n,
                                         int chunk, const Real* low, const Real* band,
                                         const Real* v_band, Real* v_p) {
  const Real a_low = one_pole_coefficient(p[P::noise_low_hz], sample_rate);
  const Real a_high = one_pole_coefficient(p[P::noise_high_hz], sample_rate);
  const int n_chunks = (n + chunk - 1) / chunk;
  AffineStep2<Real> entry = affine2_identity<Real>();
  Real v_a_low = Real(0), v_a_high = Real(0);
  for (int c = n_chunks - 1; c >= 0; --c) {
    const int i0 = c * chunk, i1 = i0 + chunk < n ? i0 + chunk : n;
    const auto r =
        noise_band_run_vjp(a_low, a_high, seed, i0, i1, low, band, v_band, entry.b0, entry.b1);
    v_a_low += r.v_a_low, v_a_high += r.v_a_high;
    entry = affine2_then(entry, noise_band_adjoint_chunk_step(a_low, a_high, v_band, i0, i1));
  }
  noise_band_coefficients_vjp(p, sample_rate, v_a_low, v_a_high, v_p);
}

}  // namespace drumsynth
