// The fused spectral kernel's plan and per-thread phases (fused_stft.hpp,
// fused_stft_block.hpp) on the CPU: the runs own every padded position once
// and compute every frame that reaches it; the split gradient is the bin
// gradient; and a serial "block" runs the kernel's phases thread by thread in
// cuFFTDx's data layout (the FFTs gathered, done on the CPU, scattered back),
// each run recomputing its halo frames, summing the loss terms of its own
// frames, overlap-adding into the positions it owns, the gradient in two
// parts (spectral convergence scaled once all runs are summed) through an
// unnormalised C2R of the packed gradient. Checked against MrstftLoss<double>,
// sound by sound, over a batch of three rates and lengths.
#include <gtest/gtest.h>

#include <complex>
#include <random>
#include <stdexcept>
#include <tuple>

#include "drumsynth/erb_bands.hpp"
#include "drumsynth/spectral/fused_stft_block.hpp"
#include "loss/mrstft_loss.hpp"
#include "loss/real_fft.hpp"
#include "v2/fused_stft_plan.hpp"

namespace drumsynth {
namespace {

using Complex = std::complex<double>;

// An unnormalised inverse real FFT (cuFFT's and cuFFTDx's C2R) of n/2 + 1 bins:
//   out_i = Re z_0 + Re z_{n/2} (-1)^i + 2 Re sum_{0<k<n/2} z_k e^{+2 pi i k i / n},
// which is RealFft's adjoint (real_fft.hpp) of z with its interior bins doubled.
std::vector<double> c2r(std::vector<Complex> z, int n) {
  for (int k = 1; k < n / 2; ++k) z[size_t(k)] *= 2.0;
  std::vector<double> out(static_cast<size_t>(n));
  RealFft<double>(n).adjoint(z.data(), out.data());
  return out;
}

// A decaying two-tone hit plus noise, as a target; the estimate another one.
std::vector<double> hit(int n, double f1, double f2, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.05);
  std::vector<double> x(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const double t = i / 16000.0;
    x[size_t(i)] =
        std::exp(-t * 30) * (0.6 * std::sin(kTwoPi * f1 * t) + 0.3 * std::sin(kTwoPi * f2 * t)) +
        std::exp(-t * 80) * noise(rng);
  }
  return x;
}

// The loss's resolutions of one preset with the band term on and the parts
// the fused kernel leaves to other kernels (A-weighting FIR, RMS term) off.
LossSettings fused_part(const std::string& preset) {
  LossSettings s = loss_preset(parse_name<LossPreset>(preset));
  s.a_weighting = false;
  s.rms_weight = 0;
  s.w_band_log = 3.0;
  return s;
}

TEST(FusedStft, SplitGradientIsTheBinGradient) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(1e-4, 2.0);
  for (int i = 0; i < 1000; ++i) {
    const double mx = u(rng), my = u(rng), norm_y = u(rng) + 1, norm_d = i % 10 ? u(rng) : 0.0;
    const double whole =
        spectral_bin_grad(mx, std::log(mx), my, std::log(my), norm_y, norm_d, 1e-3, 0.7, 1.3);
    const auto g =
        split_spectral_bin_grad(mx, std::log(mx), my, std::log(my), norm_y, 1e-3, 0.7, 1.3);
    const double scale = norm_d > 0 ? 1.0 / norm_d : 0.0;
    EXPECT_NEAR(g.rest + scale * g.sc, whole, 1e-12 * (1 + std::abs(whole)));
  }
  // A target with no energy (eps = 0): no spectral-convergence gradient, not NaN.
  EXPECT_EQ(split_spectral_bin_grad(0.5, std::log(0.5), 0.0, -1e300, 0.0, 1e-3, 0.7, 0.0).sc, 0.0);
  EXPECT_EQ(spectral_bin_grad(0.5, std::log(0.5), 0.0, -1e300, 0.0, 2.0, 1e-3, 0.7, 0.0), 0.0);
  EXPECT_EQ(resolution_terms(4.0, 0.0, 0.0, 0.0, 10.0, 1.0, 0.7, 0.0, 0.0), 0.0);
}

TEST(FusedStft, RunsOwnEveryPositionOnceAndSeeEveryFrameThatReachesIt) {
  for (const StftResolution r :
       {StftResolution{1024, 256, 1024}, {1024, 120, 600}, {512, 50, 240}, {32, 8, 32}}) {
    for (int N : {1, 100, r.fft_size, 5000}) {
      const int P = stft_padded_length(N, r), F = stft_frame_count(N, r),
                Q = stft_padded_positions(P, r);
      for (int R : {1, 3, 16}) {
        int owned_frames = 0, covered = 0, missed = 0, next_q = 0;
        for (int j = 0; j < stft_run_count(P, r, R); ++j) {
          const StftRun run = stft_run(j, R, r, F, P);
          EXPECT_EQ(run.begin_q, next_q);  // contiguous and disjoint
          next_q = run.end_q;
          owned_frames += run.end_frame - run.owned_frame;
          covered += run.end_q - run.begin_q;
          for (int q = run.begin_q; q < run.end_q; ++q)
            for (int f = 0; f < F; ++f)  // every frame that reaches q is one the run computes
              if (f * r.hop <= q && q < f * r.hop + r.fft_size)
                missed += f < run.first_frame || f >= run.end_frame;
        }
        EXPECT_EQ(owned_frames, F);
        EXPECT_EQ(covered, Q);
        EXPECT_EQ(missed, 0) << "n " << r.fft_size << " hop " << r.hop << " N " << N << " R " << R;
      }
    }
  }
}

// ---- The kernel's per-thread phases (fused_stft_block.hpp), run by a serial
// block over a batch, with the FFTs done on the CPU in cuFFTDx's layout ----

// cuFFTDx's picks (nvidia-mathdx 25.6.0 for sm_90: threads an FFT x FFTs a
// block, ept): real_mode::normal 32-point 1x32, 64 8x32, 512 64x3, 1024 32x2,
// 2048 128x1, 4096 256x1, 8192 256x1, 16384 512x1 (ept = n / stride);
// real_mode::folded (ept complex elements, pairs of reals, of the n/2-point
// FFT; one more bin, the Nyquist, in thread 0) 64 1x32 (ept 32), 512 16x8
// (16), 1024 64x3 (8), 4096 128x1 (16), 8192 256x1 (16), 16384 256x1 (32).
template <int Stride, int Ffts, int Ept>
struct TestShape {
  static constexpr int stride = Stride, ffts = Ffts, ept = Ept, bin_ept = Ept / 2 + 1;
  static constexpr bool folded = false;
};
template <int Stride, int Ffts, int Ept>
struct FoldedTestShape {
  static constexpr int stride = Stride, ffts = Ffts, ept = Ept, bin_ept = Ept + 1;
  static constexpr bool folded = true;
};
struct Cx {
  double x, y;
};

// A batch's tables as GpuMrstft builds them (kernels/mrstft_loss.cu: frame and
// padded offsets, the target's magnitudes and norms, the band tables per
// distinct rate, the target's cells and floor), in double.
struct FusedBatch {
  std::vector<std::vector<double>> targets, estimates;
  std::vector<double> rates, x_all;
  std::vector<int> offset{0}, frame_offset{0}, padded_len, padded_offset{0};
  std::vector<int> rate_row, band_count, band_lo, band_of_bin, cell_offset{0};
  std::vector<double> window, mag_y, norm_y2, log_band_y, floor, v_rest, v_sc, partials, sc_scale;
  FusedStftArgs<double> args;
};

FusedBatch fused_batch(const LossSettings& s, const StftResolution& res,
                       const std::vector<int>& lengths, const std::vector<double>& rates,
                       int frames_per_run) {
  FusedBatch fb;
  const int n = res.fft_size, bins = n / 2 + 1, B = int(lengths.size());
  fb.rates = rates;
  std::vector<std::vector<std::pair<int, int>>> rows;
  int max_bands = 0;
  for (int b = 0; b < B; ++b) {
    fb.targets.push_back(hit(lengths[b], 180 + 40 * b, 1250, unsigned(1 + b)));
    fb.estimates.push_back(hit(lengths[b], 190 + 40 * b, 1170, unsigned(11 + b)));
    fb.x_all.insert(fb.x_all.end(), fb.estimates.back().begin(), fb.estimates.back().end());
    fb.offset.push_back(fb.offset.back() + lengths[b]);
    const int P = stft_padded_length(lengths[b], res), F = stft_frame_count(lengths[b], res);
    fb.padded_len.push_back(P);
    fb.frame_offset.push_back(fb.frame_offset.back() + F);
    fb.padded_offset.push_back(fb.padded_offset.back() + stft_padded_positions(P, res));
    int row = -1;
    for (int r = 0; r < b; ++r)
      if (rates[r] == rates[b]) row = fb.rate_row[r];
    if (row < 0) row = int(rows.size()), rows.push_back(loss_band_bins(n, rates[b]));
    fb.rate_row.push_back(row);
    max_bands = std::max(max_bands, int(rows[size_t(row)].size()));
  }
  for (int i = 0; i < n; ++i) fb.window.push_back(stft_window_value(res, i));
  fb.band_lo.assign(rows.size() * size_t(max_bands + 1), 0);
  fb.band_of_bin.assign(rows.size() * size_t(bins), -1);
  for (size_t r = 0; r < rows.size(); ++r) {
    fb.band_count.push_back(int(rows[r].size()));
    for (size_t bb = 0; bb < rows[r].size(); ++bb) {
      fb.band_lo[r * size_t(max_bands + 1) + bb] = rows[r][bb].first;
      fb.band_lo[r * size_t(max_bands + 1) + bb + 1] = rows[r][bb].second;
      for (int k = rows[r][bb].first; k < rows[r][bb].second; ++k)
        fb.band_of_bin[r * size_t(bins) + size_t(k)] = int(bb);
    }
  }
  for (int b = 0; b < B; ++b) {  // the target's side
    const auto& y = fb.targets[size_t(b)];
    const int F = fb.frame_offset[b + 1] - fb.frame_offset[b], P = fb.padded_len[size_t(b)];
    const auto& bands = rows[size_t(fb.rate_row[size_t(b)])];
    double ss = 0, loudest = 0;
    std::vector<double> e_y;
    for (int f = 0; f < F; ++f) {
      std::vector<double> frame(static_cast<size_t>(n));
      for (int i = 0; i < n; ++i)
        frame[size_t(i)] =
            stft_frame_sample(y.data(), int(y.size()), P, res, f, i) * fb.window[size_t(i)];
      std::vector<Complex> X(static_cast<size_t>(bins));
      RealFft<double>(n).forward(frame.data(), X.data());
      std::vector<double> m;
      for (const Complex& c : X) m.push_back(clamped_magnitude(c.real(), c.imag(), s.eps));
      for (double v : m) ss += v * v, fb.mag_y.push_back(v);
      for (const auto& [lo, hi] : bands) {
        double e = 0;
        for (int k = lo; k < hi; ++k) e += m[size_t(k)] * m[size_t(k)];
        e_y.push_back(e), loudest = std::max(loudest, e);
      }
    }
    fb.norm_y2.push_back(ss);
    fb.floor.push_back(std::max(loudest * std::pow(10.0, -s.band_range_db / 10.0),
                                std::numeric_limits<double>::min()));
    for (double e : e_y) fb.log_band_y.push_back(std::log(e + fb.floor.back()));
    fb.cell_offset.push_back(fb.cell_offset.back() + int(e_y.size()));
  }
  FusedStftArgs<double>& a = fb.args;
  a.res = res, a.n_instances = B;
  a.frames_per_run = frames_per_run > 0 ? frames_per_run : fused_frames_per_run(res);
  for (int b = 0; b < B; ++b)
    a.max_runs =
        std::max(a.max_runs, stft_run_count(fb.padded_len[size_t(b)], res, a.frames_per_run));
  fb.v_rest.assign(size_t(fb.padded_offset.back()), std::nan("")),
      fb.v_sc = fb.v_rest;  // every position must be written
  fb.partials.assign(size_t(B) * size_t(a.max_runs) * 3, std::nan("")),
      fb.sc_scale.assign(size_t(B), 0.0);
  a.offset = fb.offset.data(), a.frame_offset = fb.frame_offset.data(),
  a.padded_len = fb.padded_len.data();
  a.padded_offset = fb.padded_offset.data(), a.window = fb.window.data(), a.mag_y = fb.mag_y.data();
  a.norm_y2 = fb.norm_y2.data(), a.eps = s.eps, a.w_sc = s.w_sc, a.w_lm = s.w_log_mag,
  a.w_band = s.w_band_log;
  a.inv_resolutions = 1.0;
  if (s.w_band_log != 0)
    a.bands = {max_bands,
               fb.rate_row.data(),
               fb.band_count.data(),
               fb.band_lo.data(),
               fb.band_of_bin.data(),
               fb.cell_offset.data(),
               fb.log_band_y.data(),
               fb.floor.data()};
  a.v_rest = fb.v_rest.data(), a.v_sc = fb.v_sc.data(), a.partials = fb.partials.data(),
  a.sc_scale = fb.sc_scale.data();
  return fb;
}

// One block of the run kernel, thread by thread, phase by phase, as
// kernels/v2/fused_stft_kernels.cu runs it; the FFTs gather the threads'
// elements at x + i stride, transform on the CPU, and scatter them back.
template <typename S>
void run_block(FusedBatch& fb, int b, int j) {
  const FusedStftArgs<double>& a = fb.args;
  const FusedRun<double> R = fused_run(a, fb.x_all.data(), b, j);
  if (!R.exists) return;
  const int n = a.res.fft_size, T = S::stride * S::ffts;
  std::vector<double> ola(2 * size_t(fused_shared_ola_frames(a)) * size_t(a.res.hop), 0.0);
  double *ola_rest = nullptr, *ola_sc = nullptr;
  fused_ola_targets(a, R, b, ola.data(), ola_rest, ola_sc);
  for (int i = 0; i < R.run.end_q - R.run.begin_q; ++i) ola_rest[i] = ola_sc[i] = 0.0;
  std::vector<double> mags(size_t(S::ffts) * size_t(R.n_bins)),
      cells(size_t(S::ffts) * size_t(std::max(1, R.max_bands)));
  std::vector<double> d2(size_t(T), 0.0), dlog(size_t(T), 0.0), band(size_t(T), 0.0);
  const size_t storage = size_t(std::max(S::ept, S::bin_ept));  // complex elements a thread holds
  const std::vector<Cx> zeros(storage, Cx{0, 0});
  std::vector<std::vector<Cx>> data(size_t(T), zeros), sc(data);
  const auto thread = [](int x, int y) { return size_t(y) * S::stride + size_t(x); };
  for (int group = R.run.first_frame; group < R.run.end_frame; group += S::ffts) {
    for (int y = 0; y < S::ffts; ++y) {
      const int f = group + y;
      const bool active = f < R.run.end_frame, owned = active && f >= R.run.owned_frame;
      std::vector<double> frame(static_cast<size_t>(n), std::nan(""));
      for (int x = 0; x < S::stride; ++x) {
        auto& d = data[thread(x, y)];
        fused_load_frame<S>(a, R, x, f, active, reinterpret_cast<double*>(d.data()));
        for (int r = 0; r < fused_reals<S>(); ++r)
          frame[size_t(fused_real_index<S>(x, r))] = reinterpret_cast<double*>(d.data())[r];
      }
      std::vector<Complex> X(size_t(R.n_bins));
      RealFft<double>(n).forward(frame.data(), X.data());
      for (int x = 0; x < S::stride; ++x) {
        auto& d = data[thread(x, y)];
        for (int i = 0; i < S::bin_ept; ++i) {
          const int k = x + i * S::stride;
          d[size_t(i)] = k < R.n_bins ? Cx{X[size_t(k)].real(), X[size_t(k)].imag()}
                                      : Cx{std::nan(""), std::nan("")};
        }
        fused_bins<S>(a, R, x, f, owned, d.data(), mags.data() + size_t(y) * R.n_bins,
                      d2[thread(x, y)], dlog[thread(x, y)]);
      }
    }
    for (int tid = 0; tid < T; ++tid)
      for (int c = tid; c < S::ffts * R.n_bands; c += T)
        fused_cell(R, group, c, mags.data(), cells.data(), band[size_t(tid)]);
    for (int y = 0; y < S::ffts; ++y) {
      const int f = group + y;
      const bool active = f < R.run.end_frame;
      std::vector<Complex> z_rest(size_t(R.n_bins)), z_sc(size_t(R.n_bins));
      for (int x = 0; x < S::stride; ++x) {
        auto &d = data[thread(x, y)], &p = sc[thread(x, y)];
        fused_gradient<S>(a, R, x, f, active, mags.data() + size_t(y) * R.n_bins,
                          cells.data() + size_t(y) * size_t(R.max_bands), d.data(), p.data());
        for (int i = 0; i < S::bin_ept; ++i)
          if (const int k = x + i * S::stride; k < R.n_bins)
            z_rest[size_t(k)] = {d[size_t(i)].x, d[size_t(i)].y},
            z_sc[size_t(k)] = {p[size_t(i)].x, p[size_t(i)].y};
      }
      const std::vector<double> rest_out = c2r(z_rest, n), sc_out = c2r(z_sc, n);
      for (int x = 0; x < S::stride; ++x) {
        double* r = reinterpret_cast<double*>(data[thread(x, y)].data());
        double* q = reinterpret_cast<double*>(sc[thread(x, y)].data());
        for (int i = 0; i < fused_reals<S>(); ++i) {
          const size_t idx = size_t(fused_real_index<S>(x, i));
          r[i] = rest_out[idx], q[i] = sc_out[idx];
        }
      }
    }
    for (int y = 0; y < S::ffts; ++y)  // one FFT slot at a time, in frame order
      if (group + y < R.run.end_frame)
        for (int x = 0; x < S::stride; ++x)
          fused_overlap_add<S>(
              a, R, x, group + y, reinterpret_cast<const double*>(data[thread(x, y)].data()),
              reinterpret_cast<const double*>(sc[thread(x, y)].data()), ola_rest, ola_sc);
  }
  if (!a.ola_in_memory)
    for (int q = R.run.begin_q; q < R.run.end_q; ++q) {
      a.v_rest[a.padded_offset[b] + q] = ola_rest[q - R.run.begin_q];
      a.v_sc[a.padded_offset[b] + q] = ola_sc[q - R.run.begin_q];
    }
  double* out = a.partials + (size_t(b) * size_t(a.max_runs) + size_t(j)) * 3;
  out[0] = out[1] = out[2] = 0.0;
  for (int tid = 0; tid < T; ++tid)
    out[0] += d2[size_t(tid)], out[1] += dlog[size_t(tid)], out[2] += band[size_t(tid)];
}

// A batch of three sounds (rates 16, 44.1, 48 kHz; one shorter than most
// FFTs) through the block phases, against MrstftLoss<double> per sound: runs
// of the kernel's length (frames_per_run 0) or another, with the band term or
// without (the kernel's other path).
// The kernel's switches: the overlap-add in memory (ola_in_memory) and the
// fast per-bin math, whose results are held to float's accuracy instead of
// double's (and must differ from the exact ones: the switch takes effect).
struct BlockSwitches {
  bool ola_in_memory = false;
  bool fast_math = false;
};

template <typename S>
void expect_block_phases_match(const StftResolution& res, int frames_per_run = 0,
                               bool band_term = true, BlockSwitches sw = {}) {
  SCOPED_TRACE("fft " + std::to_string(res.fft_size) + " hop " + std::to_string(res.hop) +
               ", runs of " + std::to_string(frames_per_run) + (band_term ? "" : ", no band term") +
               (sw.ola_in_memory ? ", overlap-add in memory" : "") +
               (sw.fast_math ? ", fast math" : ""));
  LossSettings s = fused_part("bands");
  s.resolutions = {res};
  if (!band_term) s.w_band_log = 0;
  FusedBatch fb = fused_batch(s, res, {700, 5001, 300}, {16000, 44100, 48000}, frames_per_run);
  fb.args.ola_in_memory = sw.ola_in_memory, fb.args.fast_math = sw.fast_math;
  for (int b = 0; b < fb.args.n_instances; ++b)
    for (int j = 0; j < fb.args.max_runs; ++j) run_block<S>(fb, b, j);
  for (int b = 0; b < fb.args.n_instances; ++b) {
    double scale_sc = 0;
    const double loss = fused_sound_terms(fb.args, b, scale_sc);
    const int N = fb.offset[b + 1] - fb.offset[b];
    std::vector<double> v_x(static_cast<size_t>(N));
    for (int q = 0; q < stft_padded_positions(fb.padded_len[size_t(b)], res); ++q)
      ASSERT_FALSE(std::isnan(fb.v_rest[size_t(fb.padded_offset[b] + q)]))
          << "position " << q << " never written";
    for (int i = 0; i < N; ++i)
      v_x[size_t(i)] =
          fold_two_parts(i, res, fb.padded_len[size_t(b)], fb.v_rest.data() + fb.padded_offset[b],
                         fb.v_sc.data() + fb.padded_offset[b], scale_sc);
    MrstftLoss<double> reference(s, fb.rates[size_t(b)], fb.targets[size_t(b)]);
    std::vector<double> v_ref;
    const double loss_ref = reference.loss_and_gradient(fb.estimates[size_t(b)], v_ref);
    double worst = 0, scale = 0;
    for (int i = 0; i < N; ++i)
      worst = std::max(worst, std::abs(v_x[size_t(i)] - v_ref[size_t(i)])),
      scale = std::max(scale, std::abs(v_ref[size_t(i)]));
    if (sw.fast_math) {
      EXPECT_NEAR(loss, loss_ref, 1e-5 * loss_ref) << "sound " << b;
      EXPECT_GT(std::abs(loss - loss_ref), 1e-12 * loss_ref) << "sound " << b << ": exact math";
      EXPECT_LT(worst, 1e-4 * scale) << "sound " << b;
    } else {
      EXPECT_NEAR(loss, loss_ref, 1e-12 * loss_ref) << "sound " << b;
      EXPECT_LT(worst, 1e-9 * scale) << "sound " << b;
    }
  }
}

TEST(FusedStft, BlockPhasesInCuFftDxLayoutMatchTheReference) {
  expect_block_phases_match<TestShape<1, 32, 32>>({32, 8, 32});
  expect_block_phases_match<TestShape<8, 32, 8>>({64, 16, 64});
  expect_block_phases_match<TestShape<64, 3, 8>>({512, 128, 512});
  expect_block_phases_match<TestShape<32, 2, 32>>({1024, 120, 600});
  expect_block_phases_match<TestShape<128, 1, 16>>({2048, 512, 2048});
  expect_block_phases_match<TestShape<512, 1, 32>>({16384, 4096, 16384});
  // The plan with other run lengths (1: every run all halo but one frame) and
  // without the band term.
  for (int frames_per_run : {1, 3}) {
    expect_block_phases_match<TestShape<64, 3, 8>>({512, 128, 512}, frames_per_run);
    expect_block_phases_match<TestShape<32, 2, 32>>({1024, 120, 600}, frames_per_run);
  }
  expect_block_phases_match<TestShape<16, 8, 16>>({256, 64, 256}, 0, false);
  // The planned run lengths of the largest FFTs (PlannedRuns... below): three frames a run.
  expect_block_phases_match<TestShape<512, 1, 32>>({16384, 4096, 16384}, 3);
  expect_block_phases_match<TestShape<256, 1, 32>>({8192, 2048, 8192}, 3);
  // real_mode::folded's layout (pairs of reals, the Nyquist bin in thread 0's last element).
  expect_block_phases_match<FoldedTestShape<1, 32, 32>>({64, 16, 64});
  expect_block_phases_match<FoldedTestShape<16, 8, 16>>({512, 128, 512});
  expect_block_phases_match<FoldedTestShape<64, 3, 8>>({1024, 120, 600});
  expect_block_phases_match<FoldedTestShape<256, 1, 32>>({16384, 4096, 16384}, 3);
  expect_block_phases_match<FoldedTestShape<16, 8, 16>>({512, 50, 240}, 0, false);
}

// The switches of the step to 100k (Switches::fused_ola_memory,
// fused_fast_math) through the same block phases: the overlap-add in memory
// with one run a sound (no halo) and with runs of three, at the two longest
// FFTs and a short one; the fast per-bin math within float's accuracy.
TEST(FusedStft, BlockPhasesMatchWithTheOverlapAddInMemoryOrFastMath) {
  const BlockSwitches in_memory{true, false}, fast{false, true};
  for (int frames_per_run : {1000, 3}) {
    expect_block_phases_match<FoldedTestShape<256, 1, 32>>({16384, 4096, 16384}, frames_per_run,
                                                           true, in_memory);
    expect_block_phases_match<TestShape<256, 1, 32>>({8192, 2048, 8192}, frames_per_run, true,
                                                     in_memory);
    expect_block_phases_match<TestShape<64, 3, 8>>({512, 128, 512}, frames_per_run, false,
                                                   in_memory);
  }
  expect_block_phases_match<FoldedTestShape<64, 3, 8>>({1024, 120, 600}, 0, true, fast);
  expect_block_phases_match<TestShape<32, 2, 32>>({1024, 120, 600}, 0, false, fast);
  expect_block_phases_match<FoldedTestShape<256, 1, 32>>({16384, 4096, 16384}, 1000, true,
                                                         {true, true});
}

// ---- The run plan (fused_planned_frames) against an SM modelled as the
// occupancy calculator sees an H100's or H200's ----

// cuFFTDx's picks for sm_90 (nvidia-mathdx 25.6.0, the build's): threads an
// FFT (stride), FFTs a block, and the FFTs' shared memory (the larger of the
// R2C's and the C2R's shared_memory_size), printed from its traits.
struct FftPick {
  int n, stride, ffts;
  size_t fft_bytes;
};
constexpr FftPick kPicks[] = {{32, 1, 32, 0},         {64, 8, 32, 16384},    {128, 16, 12, 12288},
                              {256, 16, 8, 8192},     {512, 64, 3, 12288},   {1024, 32, 2, 16384},
                              {2048, 128, 1, 8192},   {4096, 256, 1, 16384}, {8192, 256, 1, 65536},
                              {16384, 512, 1, 131072}};

// real_mode::folded's at the two largest sizes (bench/notes.md, v2 folded FFT).
constexpr FftPick kFoldedPicks[] = {{8192, 256, 1, 16384}, {16384, 256, 1, 65536}};

const FftPick& pick(int n, bool folded = false) {
  if (folded)
    for (const FftPick& p : kFoldedPicks)
      if (p.n == n) return p;
  for (const FftPick& p : kPicks)
    if (p.n == n) return p;
  throw std::runtime_error("no pick for " + std::to_string(n));
}

// 228 KB of shared memory an SM, 1 KB of it reserved a block, 227 KB at most
// a block; 32 blocks and 2048 threads at most (registers not modelled).
int modelled_blocks_per_sm(const FftPick& p, size_t bytes) {
  if (bytes > 232448) return 0;
  return std::min({32, int(233472 / (bytes + 1024)), 2048 / (p.stride * p.ffts)});
}

struct PlannedRun {
  int fixed, planned;
  int fixed_blocks_per_sm, planned_blocks_per_sm;
  FusedRunCost fixed_cost, planned_cost;
};

// The plan as mrstft_loss.cu makes it; the step to 100k's options: the FFTs
// folded, the plan down to min_occupancy blocks an SM (Switches::fused_plan_long)
// and the overlap-add in memory (no run frames in shared memory).
struct PlanOptions {
  bool folded = false;
  int min_occupancy = 0;
  bool ola_in_memory = false;
};

PlannedRun plan_for(const StftResolution& r, int max_bands, const std::vector<int>& lengths,
                    int sms, PlanOptions o = {}) {
  const FftPick& p = pick(r.fft_size, o.folded);
  std::vector<int> padded, frames;
  for (int n : lengths)
    padded.push_back(stft_padded_length(n, r)), frames.push_back(stft_frame_count(n, r));
  const auto blocks_per_sm = [&](int run_frames) {
    return modelled_blocks_per_sm(p, fused_shared_layout(p.fft_bytes, p.ffts, r.fft_size, max_bands,
                                                         o.ola_in_memory ? 0 : run_frames, r.hop)
                                         .bytes());
  };
  PlannedRun out;
  out.fixed = fused_frames_per_run(r);
  out.fixed_blocks_per_sm = blocks_per_sm(out.fixed);
  const int wave_occupancy = o.min_occupancy > 0 ? o.min_occupancy : out.fixed_blocks_per_sm;
  out.planned = fused_planned_frames(r, p.ffts, padded, frames, (long long)sms * wave_occupancy,
                                     blocks_per_sm, o.min_occupancy);
  out.planned_blocks_per_sm = blocks_per_sm(out.planned);
  out.fixed_cost = fused_run_cost(r, p.ffts, out.fixed, padded, frames);
  out.planned_cost = fused_run_cost(r, p.ffts, out.planned, padded, frames);
  return out;
}

TEST(FusedStft, RunCostCountsEveryComputedFrameInWholeGroups) {
  // A 1 s sound at 16384/4096: runs of one frame compute it and the 3 before
  // it (fewer at the start), and the runs of the last positions, which no
  // frame starts at, the last 3, 2 and 1 frames; one run of all its positions
  // computes each frame once.
  const StftResolution r{16384, 4096, 16384};
  const int P = stft_padded_length(48000, r), F = stft_frame_count(48000, r);
  ASSERT_GT(F, 3);
  EXPECT_EQ(fused_run_cost(r, 1, 1, {P}, {F}).slots, 1 + 2 + 3 + 4 * (F - 3) + 3 + 2 + 1);
  const int one_run =
      (stft_padded_positions(P, r) + r.hop - 1) / r.hop;  // its positions reach past its frames
  EXPECT_EQ(stft_run_count(P, r, one_run), 1);
  EXPECT_EQ(fused_run_cost(r, 1, one_run, {P}, {F}).slots, F);
  EXPECT_EQ(fused_run_cost(r, 1, F, {P}, {F}).slots,
            F + 3);  // a second run for the last positions, all halo
  // Groups of 32 frames at 32/8: 29 own frames and 3 halo frames are one
  // group, and so is the first run (29 frames) and the last (what is left).
  const StftResolution s{32, 8, 32};
  const int Ps = stft_padded_length(4000, s), Fs = stft_frame_count(4000, s);
  EXPECT_EQ(fused_run_cost(s, 32, 29, {Ps}, {Fs}).slots, 32LL * ((Fs + 28) / 29));
  EXPECT_EQ(fused_run_cost(s, 32, 29, {Ps, Ps}, {Fs, Fs}).blocks, 2LL * stft_run_count(Ps, s, 29));
}

TEST(FusedStft, PlannedRunsComputeFewerFramesAtTheFixedPlansOccupancy) {
  const std::vector<int> batch(1024, 48000), one{48000}, mixed{300, 48000, 480000};
  for (const std::string preset : {"seed", "auraloss"})
    for (const StftResolution& r : loss_preset(parse_name<LossPreset>(preset)).resolutions)
      for (int max_bands : {0, 40})
        for (const auto* lengths : {&batch, &one, &mixed}) {
          SCOPED_TRACE(preset + ": fft " + std::to_string(r.fft_size) + ", " +
                       std::to_string(lengths->size()) + " sounds, bands " +
                       std::to_string(max_bands));
          const PlannedRun p = plan_for(r, max_bands, *lengths, 132);
          EXPECT_GT(p.planned_blocks_per_sm, 0);
          EXPECT_GE(p.planned_blocks_per_sm, p.fixed_blocks_per_sm);
          EXPECT_LE(p.planned_cost.slots, p.fixed_cost.slots);
          EXPECT_GE(p.planned_cost.blocks,
                    std::min(p.fixed_cost.blocks, 132LL * p.fixed_blocks_per_sm));
        }
  // Where the halo is most of the work, `seed`'s two largest FFTs at B = 1024
  // of 1 s: runs of 3 frames instead of 1 and 2, at 1 and 2 blocks an SM as
  // before: 2 frames transformed for each own frame instead of 3.7 and 2.4.
  for (const auto& [n, fixed, planned, blocks] :
       {std::tuple{16384, 1, 3, 1}, std::tuple{8192, 2, 3, 2}}) {
    const PlannedRun p = plan_for({n, n / 4, n}, 0, batch, 132);
    EXPECT_EQ(p.fixed, fixed) << n;
    EXPECT_EQ(p.planned, planned) << n;
    EXPECT_EQ(p.planned_blocks_per_sm, blocks) << n;
    std::printf("fft %d: %.2f slots a sound's frame with the fixed plan, %.2f planned\n", n,
                double(p.fixed_cost.slots) / (1024.0 * stft_frame_count(48000, {n, n / 4, n})),
                double(p.planned_cost.slots) / (1024.0 * stft_frame_count(48000, {n, n / 4, n})));
    EXPECT_LE(double(p.planned_cost.slots), 0.8 * double(p.fixed_cost.slots)) << n;
  }
  // A sound shorter than the fixed plan's 512 frames: runs no longer than it needs.
  const StftResolution small{32, 8, 32};
  const PlannedRun short_sound = plan_for(small, 0, {400}, 132);
  EXPECT_LE(short_sound.planned,
            (stft_padded_positions(stft_padded_length(400, small), small) + 7) / 8);
}

// Folded FFTs (half the shared memory) at `seed`'s two largest FFTs, B = 1024
// of 1 s. Keeping the fixed plan's blocks an SM, 16384 keeps runs of one
// frame (4 frames transformed for each own one). The long plan
// (Switches::fused_plan_long) takes one block an SM and runs of 5 (13 at
// 8192); the overlap-add in memory (Switches::fused_ola_memory) frees the
// shared memory runs took, and runs of a whole sound transform each frame once.
TEST(FusedStft, FoldedRunsGrowWithTheLongPlanOrTheOverlapAddInMemory) {
  const std::vector<int> batch(1024, 48000);
  for (const auto& [n, planned, long_plan] : {std::tuple{16384, 1, 5}, std::tuple{8192, 2, 13}}) {
    const StftResolution r{n, n / 4, n};
    const double frames = 1024.0 * stft_frame_count(48000, r);
    const PlannedRun p = plan_for(r, 0, batch, 132, {true});
    const PlannedRun l = plan_for(r, 0, batch, 132, {true, 1});
    const PlannedRun m = plan_for(r, 0, batch, 132, {true, 0, true});
    EXPECT_EQ(p.planned, planned) << n;
    EXPECT_EQ(l.planned, long_plan) << n;
    EXPECT_EQ(l.planned_blocks_per_sm, 1) << n;
    EXPECT_LT(l.planned_cost.slots, p.planned_cost.slots) << n;
    EXPECT_EQ(m.planned_cost.slots, (long long)frames) << n;
    EXPECT_GE(m.planned_blocks_per_sm, p.planned_blocks_per_sm) << n;
    std::printf(
        "fft %d folded: %.2f slots a sound's frame planned, %.2f long plan, %.2f with the "
        "overlap-add in memory\n",
        n, double(p.planned_cost.slots) / frames, double(l.planned_cost.slots) / frames,
        double(m.planned_cost.slots) / frames);
  }
}

}  // namespace
}  // namespace drumsynth
