#include "analysis/dechirp.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>

#include "cpu/cpu_clones.hpp"
#include "drumsynth/math/common.hpp"
#include "drumsynth/param_table.hpp"
#include "loss/real_fft.hpp"

namespace drumsynth {

namespace {

double swept(double t, const PitchSweep& s) {
  return t + (s.ratio - 1.0) * s.sweep_s * (1.0 - std::exp(-t / s.sweep_s));
}

// Lanczos kernel (a = 8 lobes each side) tabulated at kPhases fractional
// offsets: reading a sample between two others costs 16 multiply-adds. The
// nearest phase is off by at most 1/1024 of a sample, a phase error of 0.003
// rad at 0.45 of the rate.
constexpr int kLobes = 8, kPhases = 512;

double lanczos(double d) {
  if (d == 0.0) return 1.0;
  if (std::abs(d) >= kLobes) return 0.0;
  const double a = M_PI * d;
  return std::sin(a) / a * std::sin(a / kLobes) / (a / kLobes);
}

const std::vector<std::array<double, 2 * kLobes>>& lanczos_table() {
  static const auto table = [] {
    std::vector<std::array<double, 2 * kLobes>> t(kPhases);
    for (int p = 0; p < kPhases; ++p)  // tap j reads x[floor(pos) - kLobes + 1 + j]
      for (int j = 0; j < 2 * kLobes; ++j) t[p][j] = lanczos(double(p) / kPhases + kLobes - 1 - j);
    return t;
  }();
  return table;
}

// x divided by its RMS over +-4 ms (floored at 1e-4 of the peak): the search
// below should weigh every part of the hit by how steady its pitch is, not by
// how loud it is, or a glide that squeezes the loud first milliseconds into the
// analysed span would win.
std::vector<float> level_flattened(const std::vector<float>& x, double sr) {
  const long half = std::max(1L, long(0.004 * sr)), n = long(x.size());
  std::vector<double> energy(x.size() + 1, 0.0);  // prefix sums of x^2
  double peak = 0;
  for (long i = 0; i < n; ++i) {
    energy[size_t(i + 1)] = energy[size_t(i)] + double(x[size_t(i)]) * x[size_t(i)];
    peak = std::max(peak, double(std::abs(x[size_t(i)])));
  }
  std::vector<float> out(x.size());
  for (long i = 0; i < n; ++i) {
    const long a = std::max(0L, i - half), b = std::min(n, i + half + 1);
    const double rms = std::sqrt((energy[size_t(b)] - energy[size_t(a)]) / double(b - a));
    out[size_t(i)] = float(x[size_t(i)] / std::max(rms, 1e-4 * peak));
  }
  return out;
}

// Inverse participation ratio of the power spectrum, sum p^2 / (sum p)^2:
// 1 for a single bin, 1/bins for white noise. The segment is tapered in over
// its first 5% (no edge click) and out over its second half.
class Concentration {
 public:
  Concentration(int points, int fft_size)
      : fft_(fft_size),
        frame_(size_t(fft_size), 0.0),
        spectrum_(size_t(fft_size / 2 + 1)),
        window_(size_t(points)) {
    for (int i = 0; i < points; ++i) {
      const double x = double(i) / points;
      window_[size_t(i)] = x < 0.05  ? 0.5 - 0.5 * std::cos(M_PI * x / 0.05)
                           : x > 0.5 ? 0.5 + 0.5 * std::cos(M_PI * (x - 0.5) / 0.5)
                                     : 1.0;
    }
  }
  int points() const { return int(window_.size()); }
  double operator()(const std::vector<double>& segment) {
    std::fill(frame_.begin(), frame_.end(), 0.0);
    for (size_t i = 0; i < window_.size() && i < segment.size(); ++i)
      frame_[i] = window_[i] * segment[i];
    fft_.forward(frame_.data(), spectrum_.data());
    double s2 = 0, s4 = 0;
    for (const auto& c : spectrum_) {
      const double p = std::norm(c);
      s2 += p, s4 += p * p;
    }
    return s2 > 0 ? s4 / (s2 * s2) : 0.0;
  }

 private:
  RealFft<double> fft_;
  std::vector<double> frame_;
  std::vector<std::complex<double>> spectrum_;
  std::vector<double> window_;
};

struct Scored {
  PitchSweep sweep;
  double score;
};

}  // namespace

// Newton's error after a step: by Taylor's remainder, e' = S''(xi) / (2 S'(t)) e^2
// for the error e before it, and |e| <= max S' / min S' |step| = ratio |step|,
// with |S''| <= (ratio - 1) / sweep_s and S' >= 1: so |e'| <= m step^2, m as
// below. Stopping on that bound instead of on a step below the tolerance saves
// the last, confirming step (and its exp).
namespace {

constexpr double kTimeTolerance = 1e-11;  // 1e-6 of a sample at 96 kHz

struct NewtonStep {
  double m;  // the bound's factor above
  explicit NewtonStep(const PitchSweep& s)
      : m(s.ratio * s.ratio * (s.ratio - 1.0) / (2.0 * s.sweep_s)) {}
  // Newton's step towards S(t) = u from t: (u - S(t)) / S'(t).
  static double step(double u, double t, const PitchSweep& s) {
    const double e = std::exp(-t / s.sweep_s);
    return (u - (t + (s.ratio - 1.0) * s.sweep_s * (1.0 - e))) / (1.0 + (s.ratio - 1.0) * e);
  }
  // True when t, after a step of this size, is within the tolerance.
  bool converged(double step) const {
    return m * step * step <= kTimeTolerance || std::abs(step) <= kTimeTolerance;
  }
};

}  // namespace

double unswept_time(double u, const PitchSweep& sweep, double t_guess) {
  const NewtonStep newton(sweep);
  double t = std::min(t_guess, u);  // S(t) >= t, so t = u is never below the root
  for (int it = 0; it < 60; ++it) {
    const double step = NewtonStep::step(u, t, sweep);
    t += step;
    if (newton.converged(step)) break;
  }
  return t;
}

namespace {

// unswept_times: each point by Newton from the linear extrapolation of the two
// before it, which is one step (and the bound above) for nearly every point.
// That makes each point wait for the one before (an exp and a division, ~60
// cycles), so the points are cut into kChains runs of `run` walked side by side,
// a run to a vector lane, the lanes' exps one call of glibc's vector exp. Lane k
// holds points k run + i, at lanes[i kChains + k]. Every run starts from t = 0,
// below every root, from which Newton converges monotonically (S is increasing
// and concave). 4.5 times faster than one point after another with scalar exp
// (the development set's glide searches, 141 -> 31 ms a sound, this project's
// 2-core machine with AVX-512).
constexpr int kChains = 16;

DS_CPU_CLONES void unswept_chains(const PitchSweep& sweep, int run, double du_s, double u0_s,
                                  double* lanes) {
  const NewtonStep newton(sweep);
  double now[kChains], before[kChains];
  for (int k = 0; k < kChains; ++k) before[k] = now[k] = 0.0;
  for (int i = 0; i < run; ++i) {
    double u[kChains], t[kChains];
#pragma omp simd
    for (int k = 0; k < kChains; ++k) {
      u[k] = u0_s + (k * run + i) * du_s;
      t[k] = std::min(u[k], std::max(0.0, 2.0 * now[k] - before[k]));
    }
    for (int it = 0; it < 60; ++it) {
      double largest = 0.0;
#pragma omp simd reduction(max : largest)
      for (int k = 0; k < kChains; ++k) {
        const double step = NewtonStep::step(u[k], t[k], sweep);
        t[k] += step;
        largest = std::max(largest, std::abs(step));
      }
      if (newton.converged(largest)) break;  // every lane: the bound grows with |step|
    }
#pragma omp simd
    for (int k = 0; k < kChains; ++k) {
      before[k] = i == 0 ? t[k] : now[k];
      now[k] = t[k];
      lanes[size_t(i) * kChains + size_t(k)] = t[k];
    }
  }
}

}  // namespace

std::vector<double> unswept_times(const PitchSweep& sweep, int len, double du_s, double u0_s) {
  const int run = (std::max(0, len) + kChains - 1) / kChains;
  std::vector<double> lanes(size_t(run) * kChains), t(size_t(std::max(0, len)));
  if (run == 0) return t;
  unswept_chains(sweep, run, du_s, u0_s, lanes.data());
  for (int k = 0, i = 0; k < kChains; ++k)
    for (int j = 0; j < run && i < len; ++j, ++i)
      t[size_t(i)] = lanes[size_t(j) * kChains + size_t(k)];
  return t;
}

namespace {

// out[i] = x read at onset + t[i] rate, i < len, while that is within reach of
// x (Lanczos taps vectorised, 16 to a point).
DS_CPU_CLONES void read_at(const double* x, long n, const double* t, int len, double onset_samples,
                           double sample_rate, double* out) {
  const auto* table = lanczos_table().data();
  for (int i = 0; i < len; ++i) {
    const double pos = onset_samples + t[i] * sample_rate;
    if (pos >= double(n) + kLobes) return;  // and so are all later points
    const double fl = std::floor(pos);
    const long base = long(fl) - kLobes + 1;
    const double* taps = table[std::min(kPhases - 1, int((pos - fl) * kPhases + 0.5))].data();
    double s = 0.0;
    if (base >= 0 && base + 2 * kLobes <= n) {
      const double* xb = x + base;
#pragma omp simd reduction(+ : s)
      for (int j = 0; j < 2 * kLobes; ++j) s += taps[j] * xb[j];
    } else {
      for (int j = 0; j < 2 * kLobes; ++j)
        if (base + j >= 0 && base + j < n) s += taps[j] * x[base + j];
    }
    out[i] = s;
  }
}

// dechirp on x widened to double once (the search reads it 2,000 times).
std::vector<double> dechirp_wide(const std::vector<double>& x, double onset_samples,
                                 double sample_rate, const PitchSweep& sweep, int len, double du_s,
                                 double u0_s) {
  std::vector<double> out(size_t(std::max(0, len)), 0.0);
  const auto t = unswept_times(sweep, len, du_s, u0_s);
  read_at(x.data(), long(x.size()), t.data(), len, onset_samples, sample_rate, out.data());
  return out;
}

}  // namespace

std::vector<double> dechirp(const std::vector<float>& x, double onset_samples, double sample_rate,
                            const PitchSweep& sweep, int len, double du_s, double u0_s) {
  return dechirp_wide(std::vector<double>(x.begin(), x.end()), onset_samples, sample_rate, sweep,
                      len, du_s, u0_s);
}

// The search. Every candidate reads the same span of real time, from 5 ms to
// T = min(0.4 s, what the hit has) after the onset, resampled onto a fixed
// number of points evenly spaced in its own swept time [S(5 ms), S(T)]: so every
// candidate's spectrum has the same resolution in bins, and only a glide that
// is corrected too much or too little smears a partial's peak (a fixed span of
// swept time instead favours strong glides, which squeeze more of the hit into
// it). The score is multimodal in (ratio, sweep_s): a coarse grid, 48 ratios x
// 36 time constants (log spaced, the parameter table's ranges) on 1024 points,
// then the best four refined on up to 6144 points by six rounds of a 3 x 3
// pattern whose steps halve each round (these sizes, and how close the end
// frequencies come, were measured against smaller and larger ones:
// bench/results/quality-experiments.md).
// The first 5 ms are left out: a strong glide stretches a click there into a
// low, concentrated bump, and on real kicks the search chose ratio 8 for
// glides the fits then undid (bench/results/quality-experiments.md).
constexpr double kSkipS = 0.005;

// A glide is taken only if it concentrates the spectrum at least 1.5 times as
// much as none. Dechirping compresses the early part's spectrum towards low
// frequencies, so even white noise scores higher under some strong glide:
// decaying white noise, 180 hits, best glide / none a median 1.19, p90 1.39,
// p99 1.57; finger snaps 1.18, at ratio 8. Real glides score far higher (the
// development set's kicks 2.0-7.3, gliding snares 1.6-7.5, random presets up
// to 400). On the tuning part (bench/results/quality-experiments.md) a gate
// of 1.5 beat 1.25 and none on the envelope errors; its claps improved.
constexpr double kMinGlideGain = 1.5;

PitchSweep estimate_pitch_sweep(const std::vector<float>& x, double onset_s, double sample_rate) {
  const double onset = onset_s * sample_rate;
  const double span_s = std::min(0.4, (double(x.size()) - onset) / sample_rate - 0.001);
  if (!(span_s > 0.02)) return PitchSweep{};
  const auto flat_float = level_flattened(x, sample_rate);
  const std::vector<double> flat(flat_float.begin(), flat_float.end());
  const auto& table = param_table();
  const auto& r_spec = table[P::sweep_ratio];
  const auto& s_spec = table[P::sweep_s];
  const auto score = [&](const PitchSweep& s, Concentration& c) {
    const int m = c.points();
    const double u0 = swept(kSkipS, s);
    return c(dechirp_wide(flat, onset, sample_rate, s, m, (swept(span_s, s) - u0) / m, u0));
  };
  constexpr int kRatios = 48, kTimes = 36, kKept = 4, kRounds = 6;
  const double r_step = std::log(r_spec.max / r_spec.min) / kRatios;
  const double s_step = std::log(s_spec.max / s_spec.min) / (kTimes - 1);
  Concentration coarse(1024, 1024);
  std::vector<Scored> grid;
  grid.push_back({PitchSweep{}, score(PitchSweep{}, coarse)});
  for (int i = 1; i <= kRatios; ++i)
    for (int j = 0; j < kTimes; ++j) {
      const PitchSweep s{r_spec.min * std::exp(i * r_step), s_spec.min * std::exp(j * s_step)};
      grid.push_back({s, score(s, coarse)});
    }
  std::partial_sort(grid.begin(), grid.begin() + kKept, grid.end(),
                    [](const Scored& a, const Scored& b) { return a.score > b.score; });
  Concentration fine(std::min(6144, int(span_s * sample_rate)), 8192);
  Scored best{PitchSweep{}, -1.0};
  for (int c = 0; c < kKept; ++c) {
    Scored here{grid[size_t(c)].sweep, score(grid[size_t(c)].sweep, fine)};
    double dr = r_step, ds = s_step;
    for (int round = 0; round < kRounds; ++round) {
      dr *= 0.5, ds *= 0.5;
      Scored next = here;
      for (int a = -1; a <= 1; ++a)
        for (int b = -1; b <= 1; ++b) {
          if (a == 0 && b == 0) continue;
          const PitchSweep s{
              std::clamp(here.sweep.ratio * std::exp(a * dr), r_spec.min, r_spec.max),
              std::clamp(here.sweep.sweep_s * std::exp(b * ds), s_spec.min, s_spec.max)};
          const double v = score(s, fine);
          if (v > next.score) next = {s, v};
        }
      here = next;
    }
    if (here.score > best.score) best = here;
  }
  return best.score >= kMinGlideGain * score(PitchSweep{}, fine) ? best.sweep : PitchSweep{};
}

}  // namespace drumsynth
