// What each thread of the fused spectral kernel does between the block FFTs,
// as device-safe functions (kernels/v2/fused_stft_kernels.cu calls them between
// cuFFTDx's transforms; tests/spectral/test_fused_stft.cpp calls them from a serial
// "block" on the CPU, with a CPU FFT in the same data layout, and checks a
// batch's loss and gradient against MrstftLoss<double>).
//
// The block FFTs' layout (cuFFTDx's, natural complex layout): bins 0..n/2
// for the R2C's output and the C2R's input, element i of thread x of FFT y
// being bin x + i * stride (i < bin_ept); reals 0..n-1 for the R2C's input
// and the C2R's output, as the thread's data seen as floats, slot r < reals:
// - real_mode::normal (a complex FFT of size n on the reals): slot r is real
//   x + r * stride (reals = ept);
// - real_mode::folded (a complex FFT of size n/2 on pairs of reals, half the
//   work and shared memory): complex element i is the pair 2 c, 2 c + 1 with
//   c = x + i * stride, so slot r is real 2 (x + (r / 2) stride) + r % 2
//   (reals = 2 ept).
// A Shape type names them as constants, so that every per-element loop
// unrolls and a thread's elements stay in registers:
//   struct Shape { static constexpr int stride, ffts, ept, bin_ept; static constexpr bool folded;
//   };
#pragma once

#include "drumsynth/spectral/fused_stft.hpp"

namespace drumsynth {

// Real slots a thread holds, and the real index of slot r (see above).
template <typename Shape>
DS_HD constexpr int fused_reals() {
  return Shape::folded ? 2 * Shape::ept : Shape::ept;
}
template <typename Shape>
DS_HD int fused_real_index(int x, int r) {
  return Shape::folded ? 2 * (x + (r / 2) * Shape::stride) + r % 2 : x + r * Shape::stride;
}

// The band-energy term's tables (band_count null: no band term), one row per
// distinct sample rate, and the target's side of it.
template <typename Real>
struct FusedBands {
  int max_bands = 0;                // row stride of band_lo is max_bands + 1
  const int* rate_row = nullptr;    // [B] -> row of the tables
  const int* band_count = nullptr;  // [rows]
  const int* band_lo =
      nullptr;  // [rows][max_bands + 1]: each band's first bin, then the last's end
  const int* band_of_bin = nullptr;  // [rows][n_bins], -1 outside every band
  const int* cell_offset = nullptr;  // [B + 1] cells (frames x bands) of each instance
  const Real* log_band_y = nullptr;  // [cells] the target's ln(E_y + f)
  const Real* floor = nullptr;       // [B] f
};

// One resolution of a batch, as the fused kernels see it.
template <typename Real>
struct FusedStftArgs {
  StftResolution res;
  int n_instances = 0;
  int frames_per_run = 1;  // fused_planned_frames or fused_frames_per_run(res)
  bool folded =
      false;         // the GPU's FFTs in real_mode::folded (else normal); the layout of the Shape
  int max_runs = 0;  // the most runs of any instance
  const int* offset = nullptr;         // [B + 1] samples
  const int* frame_offset = nullptr;   // [B + 1] frames
  const int* padded_len = nullptr;     // [B] max(N_b, n)
  const int* padded_offset = nullptr;  // [B + 1] padded positions (padded_len + n each)
  const Real* window = nullptr;        // [n]
  const Real* mag_y = nullptr;         // [frames][n/2 + 1] the target's clamped magnitudes
  const double* norm_y2 = nullptr;     // [B] ||Y||^2
  Real eps = 0;
  Real w_sc = 0, w_lm = 0, w_band = 0;  // the loss weights
  Real inv_resolutions = 1;
  // The per-bin logarithms and divisions as the GPU's fast intrinsics
  // (bin_log, bin_div; Switches::fused_fast_math).
  bool fast_math = false;
  // The overlap-add straight into v_rest and v_sc (device memory) instead of
  // the block's shared memory: a run's length is then not bounded by shared
  // memory, so one run can hold a whole sound and compute no halo frames
  // (Switches::fused_ola_memory, at the two longest FFTs).
  bool ola_in_memory = false;
  FusedBands<Real> bands;
  // Scratch: the two overlap-added gradient parts over the padded positions,
  // the runs' partial sums [B][max_runs][3], the SC part's scale [B].
  Real* v_rest = nullptr;
  Real* v_sc = nullptr;
  Real* partials = nullptr;
  Real* sc_scale = nullptr;
};

// Everything every thread of block (b, j) reads: its run, its sound, its
// target's side, the weights (per resolution, with 1 / R folded in).
template <typename Real>
struct FusedRun {
  bool exists;  // j is one of b's runs
  StftRun run;
  int n_samples, padded, n_frames, n_bins, n_bands, max_bands;
  const Real* x;       // the sound's (pre-filtered) samples
  const Real* mag_y;   // its target's magnitudes, frame-major
  const int* band_lo;  // its rate's row of the band tables (null: no band term)
  const int* band_of_bin;
  const Real* log_band_y;  // its cells' ln(E_y + f)
  Real floor, inv_cells, norm_y, inv_count, w_sc, w_lm, w_band;
  bool fast_math;
};

template <typename Real>
DS_HD FusedRun<Real> fused_run(const FusedStftArgs<Real>& a, const Real* x_all, int b, int j) {
  FusedRun<Real> R;
  const StftResolution& res = a.res;
  R.n_samples = a.offset[b + 1] - a.offset[b];
  R.padded = a.padded_len[b];
  R.n_frames = a.frame_offset[b + 1] - a.frame_offset[b];
  R.n_bins = res.fft_size / 2 + 1;
  R.exists = j < stft_run_count(R.padded, res, a.frames_per_run);
  R.run = stft_run(j, a.frames_per_run, res, R.n_frames, R.padded);
  R.x = x_all + a.offset[b];
  R.mag_y = a.mag_y + size_t(a.frame_offset[b]) * size_t(R.n_bins);
  R.norm_y = Real(dm::sqrt(a.norm_y2[b]));
  R.inv_count = Real(1) / (Real(R.n_frames) * Real(R.n_bins));
  R.w_sc = a.w_sc * a.inv_resolutions, R.w_lm = a.w_lm * a.inv_resolutions;
  R.w_band = a.w_band * a.inv_resolutions;
  const FusedBands<Real>& K = a.bands;
  const bool bands = K.band_count != nullptr;
  const int row = bands ? K.rate_row[b] : 0;
  R.n_bands = bands ? K.band_count[row] : 0;
  R.max_bands = K.max_bands;
  R.band_lo = bands ? K.band_lo + size_t(row) * size_t(K.max_bands + 1) : nullptr;
  R.band_of_bin = bands ? K.band_of_bin + size_t(row) * size_t(R.n_bins) : nullptr;
  R.log_band_y = bands ? K.log_band_y + K.cell_offset[b] : nullptr;
  R.floor = bands ? K.floor[b] : Real(0);
  const int cells = bands ? K.cell_offset[b + 1] - K.cell_offset[b] : 1;
  R.inv_cells = Real(1) / Real(cells > 1 ? cells : 1);
  R.fast_math = a.fast_math;
  return R;
}

// The frames of overlap-add a block keeps in shared memory: its run's, or
// none where the overlap-add goes to memory.
template <typename Real>
DS_HD int fused_shared_ola_frames(const FusedStftArgs<Real>& a) {
  return a.ola_in_memory ? 0 : a.frames_per_run;
}

// Where run R of sound b adds its two gradient parts, each from its first
// owned position: the block's shared memory (ola_shared, the rest part's
// frames_per_run hop floats then the SC part's, copied out at the end), or
// with ola_in_memory the sound's two parts in memory themselves.
template <typename Real>
DS_HD void fused_ola_targets(const FusedStftArgs<Real>& a, const FusedRun<Real>& R, int b,
                             Real* ola_shared, Real*& ola_rest, Real*& ola_sc) {
  if (a.ola_in_memory) {
    const size_t at = size_t(a.padded_offset[b]) + size_t(R.run.begin_q);
    ola_rest = a.v_rest + at, ola_sc = a.v_sc + at;
  } else {
    ola_rest = ola_shared, ola_sc = ola_shared + size_t(a.frames_per_run) * size_t(a.res.hop);
  }
}

// Thread x's R2C inputs of frame f: the windowed padded signal (0 for a slot
// with no frame, active false).
template <typename Shape, typename Real>
DS_HD void fused_load_frame(const FusedStftArgs<Real>& a, const FusedRun<Real>& R, int x, int f,
                            bool active, Real* real_in) {
  constexpr int reals = fused_reals<Shape>();
  DS_UNROLL
  for (int r = 0; r < reals; ++r) {
    const int idx = fused_real_index<Shape>(x, r);
    if (idx < a.res.fft_size)
      real_in[r] =
          active ? stft_frame_sample(R.x, R.n_samples, R.padded, a.res, f, idx) * a.window[idx]
                 : Real(0);
  }
}

// Thread x's bins of frame f after the R2C: their clamped magnitudes into the
// FFT's slot of shared memory (mag, [n_bins]), and, for a frame the run owns,
// the spectral convergence and log-magnitude sums.
template <typename Shape, typename Real, typename Complex>
DS_HD void fused_bins(const FusedStftArgs<Real>& a, const FusedRun<Real>& R, int x, int f,
                      bool owned, const Complex* data, Real* mag, Real& d2, Real& dlog) {
  const Real* my = R.mag_y + size_t(owned ? f : 0) * size_t(R.n_bins);
  DS_UNROLL
  for (int i = 0; i < Shape::bin_ept; ++i) {
    const int k = x + i * Shape::stride;
    if (k >= R.n_bins) continue;
    const Real m = clamped_magnitude(Real(data[i].x), Real(data[i].y), a.eps);
    mag[k] = m;
    if (owned)
      d2 += (my[k] - m) * (my[k] - m),
          dlog += dm::abs(bin_log(my[k], R.fast_math) - bin_log(m, R.fast_math));
  }
}

// Cell c of a group of frames starting at `group` (c = slot * n_bands + band):
// E_x of the band in that slot's frame, in bin order, into cells
// ([slots][max_bands]); for a frame the run owns, the band term's sum.
template <typename Real>
DS_HD void fused_cell(const FusedRun<Real>& R, int group, int c, const Real* mags, Real* cells,
                      Real& band) {
  const int slot = c / R.n_bands, bb = c % R.n_bands, f = group + slot;
  const Real* m = mags + slot * R.n_bins;
  Real e = Real(0);
  for (int k = R.band_lo[bb]; k < R.band_lo[bb + 1]; ++k) e += m[k] * m[k];
  cells[slot * R.max_bands + bb] = e;
  if (f >= R.run.owned_frame && f < R.run.end_frame)
    band += dm::abs(R.log_band_y[f * R.n_bands + bb] - bin_log(e + R.floor, R.fast_math));
}

// Thread x's bins of frame f (slot's magnitudes mag and cells): dL/d|X| in
// its two parts (split_spectral_bin_grad, the band term in the rest), packed
// for the two C2Rs: data (the spectrum X in) becomes the rest part, sc_part
// the spectral convergence part; zeros for a slot with no frame.
template <typename Shape, typename Real, typename Complex>
DS_HD void fused_gradient(const FusedStftArgs<Real>& a, const FusedRun<Real>& R, int x, int f,
                          bool active, const Real* mag, const Real* cells, Complex* data,
                          Complex* sc_part) {
  const Real* my = R.mag_y + size_t(active ? f : 0) * size_t(R.n_bins);
  DS_UNROLL
  for (int i = 0; i < Shape::bin_ept; ++i) {
    const int k = x + i * Shape::stride;
    Real zr = Real(0), zi = Real(0), sr = Real(0), si = Real(0);
    if (active && k < R.n_bins) {
      const Real m = mag[k];
      const auto g =
          split_spectral_bin_grad(m, bin_log(m, R.fast_math), my[k], bin_log(my[k], R.fast_math),
                                  R.norm_y, R.inv_count, R.w_sc, R.w_lm, R.fast_math);
      Real rest = g.rest;
      if (R.band_of_bin && R.band_of_bin[k] >= 0) {
        const int bb = R.band_of_bin[k];
        const Real e = cells[bb];
        rest += Real(2) * m *
                band_cell_grad(e, bin_log(e + R.floor, R.fast_math),
                               R.log_band_y[f * R.n_bands + bb], R.floor, R.inv_cells, R.w_band);
      }
      const Real re = Real(data[i].x), im = Real(data[i].y);
      c2r_packed_gradient(k, R.n_bins, re, im, a.eps, m, rest, zr, zi);
      c2r_packed_gradient(k, R.n_bins, re, im, a.eps, m, g.sc, sr, si);
    }
    data[i].x = zr, data[i].y = zi;
    sc_part[i].x = sr, sc_part[i].y = si;
  }
}

// Thread x's C2R outputs of frame f, windowed, added into the positions the
// run owns (ola_rest, ola_sc: [end_q - begin_q]). The block calls it for one
// FFT slot at a time, in frame order.
template <typename Shape, typename Real>
DS_HD void fused_overlap_add(const FusedStftArgs<Real>& a, const FusedRun<Real>& R, int x, int f,
                             const Real* rest_out, const Real* sc_out, Real* ola_rest,
                             Real* ola_sc) {
  constexpr int reals = fused_reals<Shape>();
  DS_UNROLL
  for (int r = 0; r < reals; ++r) {
    const int idx = fused_real_index<Shape>(x, r), q = f * a.res.hop + idx;
    if (idx >= a.res.fft_size || q < R.run.begin_q || q >= R.run.end_q) continue;
    const Real w = a.window[idx];
    ola_rest[q - R.run.begin_q] += rest_out[r] * w;
    ola_sc[q - R.run.begin_q] += sc_out[r] * w;
  }
}

// Sound b's sums over its runs in run order: returns its resolution's loss
// terms / R and sets the SC part's scale.
template <typename Real>
DS_HD Real fused_sound_terms(const FusedStftArgs<Real>& a, int b, Real& sc_scale) {
  const int runs = stft_run_count(a.padded_len[b], a.res, a.frames_per_run);
  double d2 = 0, dlog = 0, band = 0;
  for (int j = 0; j < runs; ++j) {
    const Real* p = a.partials + (size_t(b) * size_t(a.max_runs) + size_t(j)) * 3;
    d2 += p[0], dlog += p[1], band += p[2];
  }
  const double count =
      double(a.frame_offset[b + 1] - a.frame_offset[b]) * double(a.res.fft_size / 2 + 1);
  const int n_cells = a.bands.band_count ? a.bands.cell_offset[b + 1] - a.bands.cell_offset[b] : 1;
  const double cells = double(n_cells > 1 ? n_cells : 1);
  sc_scale = Real(sc_part_scale(d2));
  return a.inv_resolutions *
         Real(resolution_terms<double>(d2, dlog, band, dm::sqrt(a.norm_y2[b]), count, cells,
                                       double(a.w_sc), double(a.w_lm), double(a.w_band)));
}

}  // namespace drumsynth
