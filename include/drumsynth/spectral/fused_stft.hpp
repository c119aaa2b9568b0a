// The fused spectral chain's plan and per-element math (device-safe), shared
// by the fused GPU kernel (kernels/v2/fused_stft_kernels.cu) and its CPU test
// (tests/spectral/test_fused_stft.cpp, against MrstftLoss<double>).
//
// The cuFFT chain (kernels/mrstft_loss.cu) writes every frame, spectrum and
// gradient spectrum of a resolution to memory between kernels, ~10 MB per
// sound and resolution. The fused kernel gives one block a run of frames of
// one sound and keeps everything between the samples and the overlap-added
// gradient on chip: frame, window, R2C, magnitudes, the loss terms' partial
// sums, the per-bin gradient, C2R, window, overlap-add.
//
// Two things make a run independent of its neighbours:
// - Overlap-add without atomics: run j owns the padded positions
//   [j R hop, (j+1) R hop) and computes every frame that reaches them, its own
//   R frames plus up to ceil(n/hop) - 1 frames before them (their halo; their
//   loss terms belong to the run before). Each position is written by one
//   block, its frames added in ascending order: deterministic.
// - Spectral convergence's gradient, -w_sc (|Y| - |X|) / (||Y|| ||Y| - |X|||),
//   needs the sound's norm of the difference over all frames, which no run
//   knows. The C2R is linear, so the gradient goes back in two parts:
//   dL/d|X| = rest + sc / norm_diff, with rest (log-magnitude and band terms)
//   and sc = -w_sc (|Y| - |X|) / ||Y|| both known in the run; each part has
//   its own C2R and overlap-add buffer, and the fold of the padding adds
//   rest + sc / norm_diff once the sums of all runs are in.
#pragma once

#include "drumsynth/spectral/spectral_loss_math.hpp"
#include "drumsynth/spectral/stft_adjoint.hpp"

namespace drumsynth {

// The fixed plan: runs own at most kFusedOwnedPositions padded positions (the
// kernel keeps both gradient parts of them in shared memory, float: 32 KB), so
// they hold kFusedOwnedPositions / hop frames: 1 at the `seed` preset's
// 16384-point FFT, 512 at its 32-point one. fused_planned_frames
// (fused_stft_plan.hpp) does better where the shared memory allows; this one
// is its fallback and the plan to compare against (DRUMSYNTH_FUSED_PLAN=fixed).
constexpr int kFusedOwnedPositions = 4096;

DS_HD int fused_frames_per_run(const StftResolution& r) {
  return r.hop >= kFusedOwnedPositions ? 1 : kFusedOwnedPositions / r.hop;
}

// Shared memory of one block of the fused kernel: a region that is the FFTs'
// own during a transform (fft_bytes, cuFFTDx's shared_memory_size) and each
// FFT's magnitudes and band cells (floats) between the transforms (made from
// the R2C's output, read before the C2Rs), then the owned positions' two
// gradient parts, kept across the run (2 frames_per_run hop floats).
struct FusedSharedLayout {
  size_t union_bytes, ola_floats, mag_floats, cell_floats;
  DS_HD size_t bytes() const { return union_bytes + 4 * ola_floats; }
};

DS_HD FusedSharedLayout fused_shared_layout(size_t fft_bytes, int ffts, int fft_size, int max_bands,
                                            int frames_per_run, int hop) {
  const size_t mag_floats = size_t(ffts) * size_t(fft_size / 2 + 1),
               cell_floats = size_t(ffts) * size_t(max_bands);
  const size_t fft = (fft_bytes + 15) / 16 * 16,
               between = (4 * (mag_floats + cell_floats) + 15) / 16 * 16;
  return {fft > between ? fft : between, 2 * size_t(frames_per_run) * size_t(hop), mag_floats,
          cell_floats};
}

// Frames before a run's own that it computes again (their overlap-add reaches
// its first position): ceil(n / hop) - 1.
DS_HD int fused_halo_frames(const StftResolution& r) { return (r.fft_size - 1) / r.hop; }

// Frames of one run, and the padded positions whose overlap-add it owns.
struct StftRun {
  int first_frame;  // first frame computed (the halo included)
  int owned_frame;  // first frame whose loss terms this run sums
  int end_frame;    // one past the last frame computed
  int begin_q;      // owned padded positions [begin_q, end_q)
  int end_q;
};

// Positions of the padded signal a resolution's gradient covers: padded_len + n
// (the last frame starts at most at padded_len and is n long).
DS_HD int stft_padded_positions(int padded_len, const StftResolution& r) {
  return padded_len + r.fft_size;
}

// Runs of one sound: enough to own every padded position (the last runs may
// own positions and no frames).
DS_HD int stft_run_count(int padded_len, const StftResolution& r, int frames_per_run) {
  const int span = frames_per_run * r.hop;
  return (stft_padded_positions(padded_len, r) + span - 1) / span;
}

// Run j of a sound of n_frames frames and padded length padded_len.
// Frame f covers q when f hop <= q < f hop + n, so the run's first position
// j R hop is reached from frame j R - ceil(n / hop) + 1 on, and its last
// position from frame (j+1) R - 1 at most.
DS_HD StftRun stft_run(int j, int frames_per_run, const StftResolution& r, int n_frames,
                       int padded_len) {
  StftRun run;
  const int halo = fused_halo_frames(r);
  const int first_owned = j * frames_per_run, end_owned = first_owned + frames_per_run;
  run.owned_frame = first_owned < n_frames ? first_owned : n_frames;
  run.end_frame = end_owned < n_frames ? end_owned : n_frames;
  run.first_frame = first_owned - halo > 0 ? first_owned - halo : 0;
  if (run.first_frame > run.end_frame) run.first_frame = run.end_frame;
  const int positions = stft_padded_positions(padded_len, r);
  run.begin_q = j * frames_per_run * r.hop;
  run.end_q = run.begin_q + frames_per_run * r.hop < positions
                  ? run.begin_q + frames_per_run * r.hop
                  : positions;
  return run;
}

// Sample i of frame f before the window: the padded signal at f hop + i
// (stft_framing.hpp), x the sound of n_samples samples.
template <typename Real>
DS_HD Real stft_frame_sample(const Real* x, int n_samples, int padded_len, const StftResolution& r,
                             int f, int i) {
  const int s = reflect_index(f * r.hop + i - r.fft_size / 2, padded_len);
  return s < n_samples ? x[s] : Real(0);
}

// The per-bin logarithms and divisions: exact, or (FusedStftArgs::fast_math)
// the GPU's approximate intrinsics, __logf (lg2.approx times ln 2: absolute
// error 2^-21.4 on [0.5, 2], a few ulp elsewhere) and __fdividef (2 ulp), a
// few instructions instead of a libm call each. On the host (the CPU test)
// the fast forms take the same steps rounded to float: log2 in float times
// ln 2, and the division in float.
template <typename Real>
DS_HD Real bin_log(Real x, bool fast) {
  if (!fast) return dm::log(x);
#if defined(__CUDA_ARCH__)
  return Real(__logf(float(x)));
#else
  return Real(::log2f(float(x)) * 0.693147180559945309f);
#endif
}
template <typename Real>
DS_HD Real bin_div(Real a, Real b, bool fast) {
  if (!fast) return a / b;
#if defined(__CUDA_ARCH__)
  return Real(__fdividef(float(a), float(b)));
#else
  return Real(float(a) / float(b));
#endif
}

// spectral_bin_grad split at the norm no run knows:
//   spectral_bin_grad(...) = rest + (norm_diff > 0 ? sc / norm_diff : 0).
template <typename Real>
struct SplitBinGrad {
  Real rest;  // the log-magnitude term's dL/d|X| (add the band term's)
  Real sc;    // spectral convergence's, times norm_diff
};

template <typename Real>
DS_HD SplitBinGrad<Real> split_spectral_bin_grad(Real mag_x, Real log_mag_x, Real mag_y,
                                                 Real log_mag_y, Real norm_y, Real inv_count,
                                                 Real w_sc, Real w_lm, bool fast = false) {
  const Real dlog = log_mag_y - log_mag_x;
  const Real sgn = dlog > Real(0) ? Real(1) : (dlog < Real(0) ? Real(-1) : Real(0));
  return {bin_div(-w_lm * sgn * inv_count, mag_x, fast),
          norm_y > Real(0) ? bin_div(-w_sc * (mag_y - mag_x), norm_y, fast) : Real(0)};
}

// One bin's dL/d|X| as the spectrum an inverse real FFT turns into the
// forward FFT's adjoint (stft_adjoint.hpp c2r_gradient_scale): through the
// magnitude's clamp, halved between DC and Nyquist, and with no imaginary
// part at DC and Nyquist (the forward FFT's are always 0, so their gradient
// does not matter; an inverse FFT built on a half-size complex one would
// otherwise mix them into every sample).
template <typename Real>
DS_HD void c2r_packed_gradient(int k, int n_bins, Real re, Real im, Real eps, Real mag_x,
                               Real v_mag, Real& z_re, Real& z_im) {
  clamped_magnitude_vjp(re, im, eps, mag_x, v_mag, z_re, z_im);
  const Real scale = c2r_gradient_scale<Real>(k, n_bins);
  z_re *= scale;
  z_im = (k == 0 || k == n_bins - 1) ? Real(0) : z_im * scale;
}

// A resolution's loss terms from its sums over all runs (d2 = sum (|Y|-|X|)^2,
// dlog = sum |log|Y| - log|X||, band = sum over cells of the band term), as
// resolution_loss_kernel in kernels/spectral_loss_kernels.cu: w_sc SC + w_lm LM + w_band BE, before
// the 1/n_resolutions. count: frames x bins; cells: frames x bands (1 if none).
template <typename Real>
DS_HD Real resolution_terms(Real d2, Real dlog, Real band, Real norm_y, Real count, Real cells,
                            Real w_sc, Real w_lm, Real w_band) {
  return spectral_convergence_term(w_sc, dm::sqrt(d2), norm_y) + mean_term(w_lm, dlog, count) +
         mean_term(w_band, band, cells);
}

// The scale of the spectral convergence part once norm_diff is known.
template <typename Real>
DS_HD Real sc_part_scale(Real d2) {
  return d2 > Real(0) ? Real(1) / dm::sqrt(d2) : Real(0);
}

// Sample s's gradient from the two overlap-added parts (each over the padded
// positions): the reflect padding folded back, the SC part scaled.
template <typename Real>
DS_HD Real fold_two_parts(int s, const StftResolution& r, int padded_len, const Real* v_rest,
                          const Real* v_sc, Real sc_scale) {
  return fold_reflect_padding(s, r, padded_len, v_rest) +
         sc_scale * fold_reflect_padding(s, r, padded_len, v_sc);
}

}  // namespace drumsynth
