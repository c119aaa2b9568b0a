// The resonator block alone: its impulse response against the comb it should
// be, the fractional delay, and its adjoint against finite differences.
#include <gtest/gtest.h>

#include "drumsynth/resonator.hpp"
#include "gradient_check.hpp"

namespace drumsynth {
namespace {

std::vector<double> base_params() {
  std::vector<double> p(kNumParams, 0.0);
  p[P::resonator_freq_hz] = 500.0;
  p[P::resonator_decay_s] = 0.1;
  p[P::resonator_damping_hz] = 20000.0;  // at 8 kHz: a = 1 - 1.5e-7, no damping to speak of
  p[P::resonator_gain] = 0.5;
  return p;
}

std::vector<double> impulse_response(const std::vector<double>& p, double sr, int n) {
  std::vector<double> x(static_cast<size_t>(n), 0.0), y(x), h(x), out(x);
  x[0] = 1.0;
  resonator(p.data(), sr, n, x.data(), y.data(), h.data(), out.data());
  return out;
}

TEST(Resonator, ImpulseResponseIsADecayingComb) {
  const auto p = base_params();
  const auto out = impulse_response(p, 8000.0, 100);  // delay 8000/500 = 16 samples
  const double fb = std::exp(-1.0 / (500.0 * 0.1));
  EXPECT_NEAR(out[16], 0.5, 1e-6);
  EXPECT_NEAR(out[32], 0.5 * fb, 1e-6);
  EXPECT_NEAR(out[48], 0.5 * fb * fb, 1e-6);
  EXPECT_NEAR(out[15], 0.0, 1e-12);
  EXPECT_NEAR(out[17], 0.0, 1e-6);
  // decay_s is the time for the ringing to fall by e: f * decay_s = 50 periods.
  const auto long_out = impulse_response(p, 8000.0, 16 * 52);
  EXPECT_NEAR(long_out[16 * 51] / long_out[16], std::exp(-1.0), 1e-4);
}

TEST(Resonator, FractionalDelayInterpolates) {
  auto p = base_params();
  p[P::resonator_freq_hz] = 8000.0 / 16.25;  // 16.25 samples
  const auto out = impulse_response(p, 8000.0, 40);
  EXPECT_NEAR(out[16], 0.5 * 0.75, 1e-6);
  EXPECT_NEAR(out[17], 0.5 * 0.25, 1e-6);
}

TEST(Resonator, DampingLowersTheHighEchoes) {
  auto p = base_params();
  p[P::resonator_damping_hz] = 300.0;
  const auto out = impulse_response(p, 8000.0, 100);
  double first_echo = 0;
  for (int i = 10; i < 30; ++i) first_echo = std::max(first_echo, out[i]);
  EXPECT_LT(first_echo, 0.5 * 0.3);  // a one-pole at 300 Hz smears the click over ~4 samples
}

// L = sum w[n] out[n] for an input x; gradient w.r.t. the four parameters and x.
TEST(Resonator, AdjointMatchesFiniteDifferences) {
  const int n = 1500;
  const double sr = 11025.0;
  std::vector<double> x(n), w(n);
  for (int i = 0; i < n; ++i) {
    x[i] = std::sin(0.05 * i) * std::exp(-i / 300.0);
    w[i] = std::cos(0.37 * i + 1.0);
  }
  const auto& t = param_table();
  for (int end = 0; end < 3; ++end) {  // mid-range, all at min, all at max
    auto p = base_params();
    for (int i : {int(P::resonator_freq_hz), int(P::resonator_decay_s),
                  int(P::resonator_damping_hz), int(P::resonator_gain)}) {
      if (end == 1) p[i] = t[i].min;
      if (end == 2) p[i] = t[i].max;
    }
    if (end == 0) p[P::resonator_freq_hz] = 317.0;  // 34.78 samples: off the grid
    auto loss = [&](const std::vector<long double>& q) {
      // q: the 4 parameters, then x
      std::vector<long double> pp(p.begin(), p.end());
      pp[P::resonator_freq_hz] = q[0], pp[P::resonator_decay_s] = q[1];
      pp[P::resonator_damping_hz] = q[2], pp[P::resonator_gain] = q[3];
      std::vector<long double> xx(q.begin() + 4, q.end()), y(n), h(n), out(n);
      resonator(pp.data(), (long double)sr, n, xx.data(), y.data(), h.data(), out.data());
      long double l = 0;
      for (int i = 0; i < n; ++i) l += w[i] * out[i];
      return l;
    };
    std::vector<double> y(n), h(n), out(n), v_y(n), v_x(n), v_p(kNumParams, 0.0);
    resonator(p.data(), sr, n, x.data(), y.data(), h.data(), out.data());
    resonator_vjp(p.data(), sr, n, y.data(), h.data(), w.data(), v_p.data(), v_y.data(), v_x.data());
    std::vector<double> q = {p[P::resonator_freq_hz], p[P::resonator_decay_s],
                             p[P::resonator_damping_hz], p[P::resonator_gain]};
    q.insert(q.end(), x.begin(), x.end());
    std::vector<double> analytic = {v_p[P::resonator_freq_hz], v_p[P::resonator_decay_s],
                                    v_p[P::resonator_damping_hz], v_p[P::resonator_gain]};
    analytic.insert(analytic.end(), v_x.begin(), v_x.end());
    std::vector<double> steps(q.size(), 1e-6);
    for (int i = 0; i < 4; ++i) steps[i] = 1e-6 * q[i];
    auto numeric = test::numeric_gradient<long double>(loss, q, steps);
    // scale parameter components by their values (dL per relative change)
    for (int i = 0; i < 4; ++i) analytic[i] *= q[i], numeric[i] *= q[i];
    double largest = 0;
    for (double g : numeric) largest = std::max(largest, std::abs(g));
    // 1e-5 relative; worst seen 1.8e-8 (x86-64). Floor: 1e-9 of the largest (0/0 guard).
    test::expect_gradients_match(analytic, numeric, {"freq_hz", "decay_s", "damping_hz", "gain"},
                                 1e-5, 1e-9 * largest,
                                 end == 0 ? "resonator mid-range" : end == 1 ? "resonator at min" : "resonator at max");
  }
}

}  // namespace
}  // namespace drumsynth
