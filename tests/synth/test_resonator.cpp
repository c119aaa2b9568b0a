// The resonator block alone: its impulse response against the comb it should
// be, the fractional delay, and its adjoint against finite differences.
#include <gtest/gtest.h>

#include "drumsynth/synth/resonator.hpp"
#include "drumsynth/synth/resonator_scan.hpp"
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

// The resonator's output, gain h (resonator_out), at every sample.
template <typename Real>
std::vector<Real> outputs(const std::vector<Real>& p, const std::vector<Real>& h) {
  std::vector<Real> out(h.size());
  for (size_t i = 0; i < h.size(); ++i) out[i] = resonator_out(p.data(), h[i]);
  return out;
}

std::vector<double> impulse_response(const std::vector<double>& p, double sr, int n) {
  std::vector<double> x(static_cast<size_t>(n), 0.0), y(x), h(x);
  x[0] = 1.0;
  resonator(p.data(), sr, n, x.data(), y.data(), h.data());
  return outputs(p, h);
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
      std::vector<long double> xx(q.begin() + 4, q.end()), y(n), h(n);
      resonator(pp.data(), (long double)sr, n, xx.data(), y.data(), h.data());
      const auto out = outputs(pp, h);
      long double l = 0;
      for (int i = 0; i < n; ++i) l += w[i] * out[i];
      return l;
    };
    std::vector<double> y(n), h(n), v_x(n), v_p(kNumParams, 0.0);
    resonator(p.data(), sr, n, x.data(), y.data(), h.data());
    resonator_vjp(p.data(), sr, n, y.data(), h.data(), w.data(), v_p.data(),
                  v_x.data());  // v_y, then v_x
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
                                 end == 0   ? "resonator mid-range"
                                 : end == 1 ? "resonator at min"
                                            : "resonator at max");
  }
}

// The blocked form the GPU's warps scan (resonator_scan.hpp) against the
// sequential loop, forward and adjoint, for delays of 8 samples (the shortest
// at 8 kHz) to 1600 (30 Hz at 48 kHz), heavy and light damping, in double
// (only the order of the products differs) and in float (as the GPU runs it).
TEST(Resonator, BlockedScanMatchesTheLoopForwardAndAdjoint) {
  struct Case {
    double sr, freq_hz, damping_hz;
  };
  // Lanes of 1 sample (blocks of at most 32), 3 and 8 (blocks of up to 96 and
  // 256, lanes of fewer samples at the end of a block and of a sound).
  for (const int lane_samples : {1, 3, kResonatorLaneSamples}) {
    SCOPED_TRACE("lanes of " + std::to_string(lane_samples) + " samples");
    double worst_out = 0, worst_vx = 0, worst_vp = 0, worst_float = 0, worst_float_loop = 0;
    for (const Case cs : {Case{8000, 1000, 300}, Case{8000, 990, 4000}, Case{48000, 30, 20000},
                          Case{44100, 173.3, 900}, Case{96000, 440, 100}, Case{48000, 187, 5000}}) {
      const int n = int(cs.sr * 0.5);
      std::vector<double> p(kNumParams, 0.0);
      p[P::resonator_freq_hz] = cs.freq_hz, p[P::resonator_decay_s] = 0.4;
      p[P::resonator_damping_hz] = cs.damping_hz, p[P::resonator_gain] = 0.7;
      std::vector<double> x(n), v_out(n);
      for (int i = 0; i < n; ++i)
        x[i] = std::sin(0.013 * i) * std::exp(-i / (0.05 * cs.sr)) + (i % 97 == 0),
        v_out[i] = std::cos(0.007 * i);
      std::vector<double> y(n), h(n), yb(n), hb(n);
      resonator(p.data(), cs.sr, n, x.data(), y.data(), h.data());
      resonator_blocked(p.data(), cs.sr, n, x.data(), yb.data(), hb.data(), lane_samples);
      const auto out = outputs(p, h), outb = outputs(p, hb);
      double scale = 0;
      for (int i = 0; i < n; ++i)
        scale = std::max(scale, std::abs(out[i])),
        worst_out = std::max(worst_out, std::abs(out[i] - outb[i]));
      worst_out /= std::max(scale, 1e-300);
      std::vector<double> vp(kNumParams, 0.0), vpb(kNumParams, 0.0), vx(n),
          vxb(n);  // v_y, then v_x
      resonator_vjp(p.data(), cs.sr, n, y.data(), h.data(), v_out.data(), vp.data(), vx.data());
      resonator_blocked_vjp(p.data(), cs.sr, n, y.data(), h.data(), v_out.data(), vpb.data(),
                            vxb.data(), lane_samples);
      double vx_scale = 0;
      for (int i = 0; i < n; ++i) vx_scale = std::max(vx_scale, std::abs(vx[i]));
      for (int i = 0; i < n; ++i)
        worst_vx = std::max(worst_vx, std::abs(vx[i] - vxb[i]) / vx_scale);
      for (int k :
           {P::resonator_freq_hz, P::resonator_decay_s, P::resonator_damping_hz, P::resonator_gain})
        worst_vp = std::max(worst_vp, std::abs(vp[k] - vpb[k]) / std::max(std::abs(vp[k]), 1e-12));
      // float, against the double loop
      std::vector<float> pf(p.begin(), p.end()), xf(x.begin(), x.end()), yf(n), hf(n);
      resonator_blocked(pf.data(), float(cs.sr), n, xf.data(), yf.data(), hf.data(), lane_samples);
      const auto of = outputs(pf, hf);
      for (int i = 0; i < n; ++i)
        worst_float = std::max(worst_float, std::abs(of[i] - out[i]) / scale);
      resonator(pf.data(), float(cs.sr), n, xf.data(), yf.data(), hf.data());
      const auto ol = outputs(pf, hf);
      for (int i = 0; i < n; ++i)
        worst_float_loop = std::max(worst_float_loop, std::abs(ol[i] - out[i]) / scale);
    }
    // Double: measured 1e-13 or less. Float: as far from the double loop as the
    // float loop is (the float parameters' own rounding moves a long ring-out),
    // within a factor of 2.
    std::printf(
        "  blocked vs loop (double): out %.1e, v_x %.1e, v_params %.1e; from the double loop: "
        "float blocked %.1e, float loop %.1e\n",
        worst_out, worst_vx, worst_vp, worst_float, worst_float_loop);
    EXPECT_LT(worst_out, 1e-10);
    EXPECT_LT(worst_vx, 1e-10);
    EXPECT_LT(worst_vp, 1e-9);
    EXPECT_LT(worst_float, 2 * worst_float_loop + 1e-6);
  }
}

}  // namespace
}  // namespace drumsynth
