// Finite-difference helpers for the adjoint tests: central differences with one
// Richardson step (error O(h^4)), and a comparison that prints how close each
// check came to its tolerance.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "drumsynth/param_table.hpp"

namespace drumsynth::test {

// d f / d x_i by (4 D(h/2) - D(h)) / 3, D(h) = (f(x + h e_i) - f(x - h e_i)) / 2h,
// evaluated in the precision F works in (double, or long double for the synth).
template <typename Real = double>
std::vector<double> numeric_gradient(const std::function<Real(const std::vector<Real>&)>& f,
                                     const std::vector<double>& x,
                                     const std::vector<double>& steps) {
  std::vector<double> g(x.size());
  const std::vector<Real> xr(x.begin(), x.end());
  for (size_t i = 0; i < x.size(); ++i) {
    auto d = [&](Real h) {
      std::vector<Real> a = xr, b = xr;
      a[i] += h;
      b[i] -= h;
      return (f(a) - f(b)) / (2 * h);
    };
    g[i] = double((4 * d(Real(steps[i]) / 2) - d(Real(steps[i]))) / 3);
  }
  return g;
}

// Steps relative to each value (with a floor for values near 0).
inline std::vector<double> relative_steps(const std::vector<double>& x, double rel, double floor) {
  std::vector<double> h(x.size());
  for (size_t i = 0; i < x.size(); ++i) h[i] = rel * std::max(std::abs(x[i]), floor);
  return h;
}

// Relative error |a - n| / max(|a|, |n|, floor_abs) per component must stay below tol.
// floor_abs keeps components that are zero in both (a parameter the loss does not
// reach) from dividing 0 by 0; callers state why their floor is safe.
inline void expect_gradients_match(const std::vector<double>& analytic,
                                   const std::vector<double>& numeric,
                                   const std::vector<std::string>& names, double tol,
                                   double floor_abs, const std::string& what) {
  ASSERT_EQ(analytic.size(), numeric.size());
  double worst = 0;
  size_t worst_i = 0;
  for (size_t i = 0; i < analytic.size(); ++i) {
    const double denom = std::max({std::abs(analytic[i]), std::abs(numeric[i]), floor_abs});
    const double rel = std::abs(analytic[i] - numeric[i]) / denom;
    EXPECT_LT(rel, tol) << what << ": " << (i < names.size() ? names[i] : std::to_string(i))
                        << " analytic " << analytic[i] << " numeric " << numeric[i];
    if (rel > worst) worst = rel, worst_i = i;
  }
  std::printf("  %-40s max rel err %.2e (%s), %.0f%% of tolerance %.0e\n", what.c_str(), worst,
              worst_i < names.size() ? names[worst_i].c_str() : "-", 100 * worst / tol, tol);
}

// A preset inside every range: standard normal logits of this seed times
// `spread` (small spreads keep away from the range ends).
inline std::vector<double> random_params(uint64_t seed, double spread) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> g(0.0, spread);
  std::vector<double> z(kNumParams);
  for (auto& v : z) v = g(rng);
  return params_from_logits(z);
}

// Finite-difference steps for the synth's parameters. Oscillator frequencies,
// the onset and the pitch sweep move the phase of every later sample, so their
// steps are sized to turn the largest phase by about 1e-3 rad (at 12 kHz x 8
// sweep a relative step of 1e-5 would turn it by radians, and the difference
// quotient would mean nothing); the resonator rings at its frequency for the
// whole signal, the same argument. The others step by `rel` of their value.
inline std::vector<double> synth_steps(const std::vector<double>& p, double seconds, double rel) {
  const double dphi = 1e-3;
  double f_max = p[P::transient_freq_hz];
  for (int k = 0; k < kNumPartials; ++k) f_max = std::max(f_max, p[P::tone_freq_hz(k)]);
  const double ratio = p[P::sweep_ratio], tau = p[P::sweep_s];
  const double s_max = seconds + (ratio - 1) * tau;  // largest swept time
  std::vector<double> h(kNumParams);
  for (int i = 0; i < kNumParams; ++i)
    h[i] = rel * std::max(std::abs(p[i]), param_table()[i].max * 1e-3);
  h[P::transient_freq_hz] = dphi / (kTwoPi * s_max);
  for (int k = 0; k < kNumPartials; ++k) h[P::tone_freq_hz(k)] = dphi / (kTwoPi * s_max);
  h[P::onset_s] = dphi / (kTwoPi * f_max * ratio);
  h[P::sweep_ratio] = dphi / (kTwoPi * f_max * tau);
  h[P::sweep_s] = dphi / (kTwoPi * f_max * ratio);
  h[P::resonator_freq_hz] = dphi / (kTwoPi * seconds);
  return h;
}

}  // namespace drumsynth::test
