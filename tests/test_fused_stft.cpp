// The fused spectral chain's plan (fused_stft.hpp), run on the CPU the way
// the fused kernel runs it: run by run, each run recomputing its halo frames,
// summing the loss terms of its own frames only, overlap-adding into the
// padded positions it owns, the gradient in two parts (spectral convergence
// scaled once all runs are summed), through an unnormalised C2R of the packed
// gradient (c2r_packed_gradient) as cuFFTDx and cuFFT compute it. Checked
// against MrstftLoss<double>, the reference, for every preset's resolutions
// with the band term on, sounds shorter and longer than the FFT, and runs of
// 1 to 7 frames and the kernel's own choice.
#include <gtest/gtest.h>

#include <complex>
#include <random>

#include "drumsynth/erb_bands.hpp"
#include "drumsynth/fused_stft.hpp"
#include "mrstft_loss.hpp"
#include "real_fft.hpp"

namespace drumsynth {
namespace {

using Complex = std::complex<double>;

struct LossAndGradient {
  double loss = 0;
  std::vector<double> v_x;
};

// An unnormalised inverse real FFT (cuFFT's and cuFFTDx's C2R) of n/2 + 1 bins:
//   out_i = Re z_0 + Re z_{n/2} (-1)^i + 2 Re sum_{0<k<n/2} z_k e^{+2 pi i k i / n},
// which is RealFft's adjoint (real_fft.hpp) of z with its interior bins doubled.
std::vector<double> c2r(std::vector<Complex> z, int n) {
  for (int k = 1; k < n / 2; ++k) z[size_t(k)] *= 2.0;
  std::vector<double> out(static_cast<size_t>(n));
  RealFft<double>(n).adjoint(z.data(), out.data());
  return out;
}

// What the GPU keeps of the target per resolution: |Y| of every frame and
// bin, ||Y||, and the band term's tables (as mrstft_kernels.cu's target pass).
struct TargetSide {
  std::vector<double> mag_y, log_band_y;  // [frames][bins], [frames][bands]
  std::vector<int> band_of_bin;           // [bins], -1 outside every band
  std::vector<std::pair<int, int>> bands;
  double norm_y = 0, floor = 0;
};

class FusedEmulation {
 public:
  FusedEmulation(const LossSettings& s, double rate, const std::vector<double>& y) : s_(s), rate_(rate), y_(y) {}

  LossAndGradient run(const std::vector<double>& x, int frames_per_run) const {
    LossAndGradient out;
    out.v_x.assign(x.size(), 0.0);
    const double inv_r = 1.0 / double(s_.resolutions.size());
    for (const StftResolution& r : s_.resolutions) {
      const int R = frames_per_run > 0 ? frames_per_run : fused_frames_per_run(r);
      out.loss += inv_r * resolution(r, x, R, inv_r, out.v_x);
    }
    return out;
  }

 private:
  std::vector<Complex> spectrum(const std::vector<double>& sig, const StftResolution& r, int f) const {
    const int n = r.fft_size, N = int(sig.size()), P = stft_padded_length(N, r);
    std::vector<double> frame(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) frame[i] = stft_frame_sample(sig.data(), N, P, r, f, i) * stft_window_value(r, i);
    std::vector<Complex> X(size_t(n / 2 + 1));
    RealFft<double>(n).forward(frame.data(), X.data());
    return X;
  }

  std::vector<double> cells_of(const TargetSide& t, const std::vector<double>& mag) const {
    std::vector<double> e(t.bands.size(), 0.0);
    for (size_t b = 0; b < t.bands.size(); ++b)
      for (int k = t.bands[b].first; k < t.bands[b].second; ++k) e[b] += mag[size_t(k)] * mag[size_t(k)];
    return e;
  }

  TargetSide target(const StftResolution& r) const {
    TargetSide t;
    const int F = stft_frame_count(int(y_.size()), r), bins = r.fft_size / 2 + 1;
    std::vector<double> e_y;
    if (s_.w_band_log != 0) {
      t.bands = loss_band_bins(r.fft_size, rate_);
      t.band_of_bin.assign(size_t(bins), -1);
      for (size_t b = 0; b < t.bands.size(); ++b)
        for (int k = t.bands[b].first; k < t.bands[b].second; ++k) t.band_of_bin[size_t(k)] = int(b);
    }
    double ss = 0, loudest = 0;
    for (int f = 0; f < F; ++f) {
      std::vector<double> m;
      for (const Complex& c : spectrum(y_, r, f)) m.push_back(clamped_magnitude(c.real(), c.imag(), s_.eps));
      for (double v : m) ss += v * v, t.mag_y.push_back(v);
      for (double e : cells_of(t, m)) e_y.push_back(e), loudest = std::max(loudest, e);
    }
    t.norm_y = std::sqrt(ss);
    t.floor = std::max(loudest * std::pow(10.0, -s_.band_range_db / 10.0), std::numeric_limits<double>::min());
    for (double e : e_y) t.log_band_y.push_back(std::log(e + t.floor));
    return t;
  }

  // One resolution: every run in order, then the fold. Returns its loss terms.
  double resolution(const StftResolution& r, const std::vector<double>& x, int R, double inv_r,
                    std::vector<double>& v_x) const {
    const int N = int(x.size()), n = r.fft_size, bins = n / 2 + 1;
    const int P = stft_padded_length(N, r), F = stft_frame_count(N, r), Q = stft_padded_positions(P, r);
    const TargetSide t = target(r);
    const int n_bands = int(t.bands.size());
    const double count = double(F) * bins, cells = n_bands ? double(F) * n_bands : 1.0;
    std::vector<double> v_rest(size_t(Q), 0.0), v_sc(size_t(Q), 0.0);
    double d2 = 0, dlog = 0, band = 0;
    std::vector<int> owner(size_t(Q), -1);
    for (int j = 0; j < stft_run_count(P, r, R); ++j) {
      const StftRun run = stft_run(j, R, r, F, P);
      double run_d2 = 0, run_dlog = 0, run_band = 0;  // a block's partial sums
      std::vector<double> ola_rest(size_t(run.end_q - run.begin_q), 0.0), ola_sc(ola_rest.size(), 0.0);
      for (int f = run.first_frame; f < run.end_frame; ++f) {
        const bool owned = f >= run.owned_frame;
        const std::vector<Complex> X = spectrum(x, r, f);
        std::vector<double> mag(static_cast<size_t>(bins));
        for (int k = 0; k < bins; ++k) mag[size_t(k)] = clamped_magnitude(X[k].real(), X[k].imag(), s_.eps);
        const std::vector<double> e_x = cells_of(t, mag);
        const double* my = t.mag_y.data() + size_t(f) * size_t(bins);
        const double* ly = t.log_band_y.data() + size_t(f) * size_t(n_bands);
        if (owned) {
          for (int k = 0; k < bins; ++k)
            run_d2 += (my[k] - mag[k]) * (my[k] - mag[k]), run_dlog += std::abs(std::log(my[k]) - std::log(mag[k]));
          for (int b = 0; b < n_bands; ++b) run_band += std::abs(ly[b] - std::log(e_x[size_t(b)] + t.floor));
        }
        std::vector<Complex> z_rest(static_cast<size_t>(bins)), z_sc(z_rest.size());
        for (int k = 0; k < bins; ++k) {
          const auto g = split_spectral_bin_grad(mag[k], std::log(mag[k]), my[k], std::log(my[k]), t.norm_y,
                                                 1.0 / count, s_.w_sc * inv_r, s_.w_log_mag * inv_r);
          double rest = g.rest;
          if (const int b = n_bands ? t.band_of_bin[size_t(k)] : -1; b >= 0) {
            const double e = e_x[size_t(b)];
            rest += 2.0 * mag[k] *
                    band_cell_grad(e, std::log(e + t.floor), ly[b], t.floor, 1.0 / cells, s_.w_band_log * inv_r);
          }
          double re, im;
          c2r_packed_gradient(k, bins, X[k].real(), X[k].imag(), s_.eps, mag[k], rest, re, im);
          z_rest[size_t(k)] = {re, im};
          c2r_packed_gradient(k, bins, X[k].real(), X[k].imag(), s_.eps, mag[k], g.sc, re, im);
          z_sc[size_t(k)] = {re, im};
        }
        const std::vector<double> t_rest = c2r(z_rest, n), t_sc = c2r(z_sc, n);
        for (int i = 0; i < n; ++i) {
          const int q = f * r.hop + i;
          if (q < run.begin_q || q >= run.end_q) continue;
          ola_rest[size_t(q - run.begin_q)] += t_rest[size_t(i)] * stft_window_value(r, i);
          ola_sc[size_t(q - run.begin_q)] += t_sc[size_t(i)] * stft_window_value(r, i);
        }
      }
      for (int q = run.begin_q; q < run.end_q; ++q) {
        EXPECT_EQ(owner[size_t(q)], -1) << "position " << q << " owned twice";
        owner[size_t(q)] = j;
        v_rest[size_t(q)] = ola_rest[size_t(q - run.begin_q)], v_sc[size_t(q)] = ola_sc[size_t(q - run.begin_q)];
      }
      d2 += run_d2, dlog += run_dlog, band += run_band;
    }
    for (int q = 0; q < Q; ++q) EXPECT_GE(owner[size_t(q)], 0) << "position " << q << " owned by no run";
    const double scale = sc_part_scale(d2);
    for (int s = 0; s < N; ++s) v_x[size_t(s)] += fold_two_parts(s, r, P, v_rest.data(), v_sc.data(), scale);
    return resolution_terms(d2, dlog, band, t.norm_y, count, cells, s_.w_sc, s_.w_log_mag, s_.w_band_log);
  }

  LossSettings s_;
  double rate_;
  std::vector<double> y_;
};

// A decaying two-tone hit plus noise, as a target; the estimate another one.
std::vector<double> hit(int n, double f1, double f2, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.05);
  std::vector<double> x(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const double t = i / 16000.0;
    x[size_t(i)] = std::exp(-t * 30) * (0.6 * std::sin(kTwoPi * f1 * t) + 0.3 * std::sin(kTwoPi * f2 * t)) +
                   std::exp(-t * 80) * noise(rng);
  }
  return x;
}

// The loss's resolutions of one preset with the band term on and the parts
// the fused kernel leaves to other kernels (A-weighting FIR, RMS term) off.
LossSettings fused_part(const std::string& preset) {
  LossSettings s = loss_preset(preset);
  s.a_weighting = false;
  s.rms_weight = 0;
  s.w_band_log = 3.0;
  return s;
}

void expect_matches_reference(const LossSettings& s, int n_samples, int frames_per_run) {
  const double rate = 16000;
  const auto y = hit(n_samples, 180, 1250, 1), x = hit(n_samples, 190, 1170, 2);
  MrstftLoss<double> reference(s, rate, y);
  std::vector<double> v_ref;
  const double loss_ref = reference.loss_and_gradient(x, v_ref);
  const LossAndGradient fused = FusedEmulation(s, rate, y).run(x, frames_per_run);
  double scale = 0, worst = 0;
  for (size_t i = 0; i < v_ref.size(); ++i) {
    scale = std::max(scale, std::abs(v_ref[i]));
    worst = std::max(worst, std::abs(fused.v_x[i] - v_ref[i]));
  }
  EXPECT_NEAR(fused.loss, loss_ref, 1e-12 * std::abs(loss_ref)) << s.preset << " N " << n_samples;
  EXPECT_LT(worst, 1e-9 * scale) << s.preset << " N " << n_samples << " runs of " << frames_per_run;
  EXPECT_GT(scale, 0.0);
}

TEST(FusedStft, SplitGradientIsTheBinGradient) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(1e-4, 2.0);
  for (int i = 0; i < 1000; ++i) {
    const double mx = u(rng), my = u(rng), norm_y = u(rng) + 1, norm_d = i % 10 ? u(rng) : 0.0;
    const double whole = spectral_bin_grad(mx, std::log(mx), my, std::log(my), norm_y, norm_d, 1e-3, 0.7, 1.3);
    const auto g = split_spectral_bin_grad(mx, std::log(mx), my, std::log(my), norm_y, 1e-3, 0.7, 1.3);
    const double scale = norm_d > 0 ? 1.0 / norm_d : 0.0;
    EXPECT_NEAR(g.rest + scale * g.sc, whole, 1e-12 * (1 + std::abs(whole)));
  }
}

TEST(FusedStft, RunsOwnEveryPositionOnceAndSeeEveryFrameThatReachesIt) {
  for (const StftResolution r : {StftResolution{1024, 256, 1024}, {1024, 120, 600}, {512, 50, 240}, {32, 8, 32}}) {
    for (int N : {1, 100, r.fft_size, 5000}) {
      const int P = stft_padded_length(N, r), F = stft_frame_count(N, r), Q = stft_padded_positions(P, r);
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
              if (f * r.hop <= q && q < f * r.hop + r.fft_size) missed += f < run.first_frame || f >= run.end_frame;
        }
        EXPECT_EQ(owned_frames, F);
        EXPECT_EQ(covered, Q);
        EXPECT_EQ(missed, 0) << "n " << r.fft_size << " hop " << r.hop << " N " << N << " R " << R;
      }
    }
  }
}

TEST(FusedStft, RunByRunMatchesTheReferenceLossAndGradient) {
  // The `bands` preset's largest FFT is 16384: keep the sounds short here and
  // cover the long ones with the smaller auraloss resolutions.
  for (const char* preset : {"bands", "auraloss"})
    for (int n_samples : {700, 5001})
      for (int R : {0, 1, 2, 7}) expect_matches_reference(fused_part(preset), n_samples, R);
  LossSettings no_bands = fused_part("seed");
  no_bands.w_band_log = 0;
  expect_matches_reference(no_bands, 3000, 0);
}

}  // namespace
}  // namespace drumsynth
