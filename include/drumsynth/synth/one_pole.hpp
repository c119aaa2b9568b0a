// The one-pole recursive low-pass, the building block of the noise band and of
// the resonator's damping, with its adjoint.
//   y[n] = y[n-1] + a (x[n] - y[n-1]),   a = 1 - exp(-2 pi cutoff_hz / sample_rate)
// (the impulse-invariant pole at the cutoff; a high-pass is x - lowpass(x)).
// Unlike the original's FIR difference x[n] - a x[n-1], this is a real IIR
// filter with its cutoff in Hz.
#pragma once

#include "drumsynth/math/common.hpp"

namespace drumsynth {

template <typename Real>
DS_HD Real one_pole_coefficient(Real cutoff_hz, Real sample_rate) {
  return Real(1) - dm::exp(-Real(kTwoPi) * cutoff_hz / sample_rate);
}

// da/dcutoff = (2 pi / sample_rate) exp(-2 pi cutoff / sample_rate)
template <typename Real>
DS_HD Real one_pole_coefficient_vjp(Real cutoff_hz, Real sample_rate, Real v_a) {
  return v_a * Real(kTwoPi) / sample_rate * dm::exp(-Real(kTwoPi) * cutoff_hz / sample_rate);
}

// The bilinear-transform one-pole low-pass (the noise bank's top bands, where
// the impulse-invariant pole above passes over half the signal at Nyquist):
//   y[n] = b (x[n] + x[n-1]) + p y[n-1],  K = tan(pi cutoff / rate),
//   b = K / (1 + K), p = (1 - K) / (1 + K)
// a zero at Nyquist and the cutoff where it is asked (prewarped); x -
// lowpass(x) is its exact complementary high-pass. Cutoffs at or above 0.49 of
// the rate are taken at 0.49.
template <typename Real>
struct BilinearPole {
  Real b, p;
};
template <typename Real>
DS_HD BilinearPole<Real> bilinear_one_pole(Real cutoff_hz, Real sample_rate) {
  const Real w = Real(kPi) * dm::fmin(cutoff_hz / sample_rate, Real(0.49));
  const Real K = dm::sin(w) / dm::cos(w);
  return {K / (Real(1) + K), (Real(1) - K) / (Real(1) + K)};
}
// One step; state: the previous input and output.
template <typename Real>
DS_HD Real bilinear_lowpass_step(Real* state, Real x, BilinearPole<Real> c) {
  const Real y = c.b * (x + state[0]) + c.p * state[1];
  state[0] = x, state[1] = y;
  return y;
}

// One step of the recurrence: the next output from the previous one and the input.
template <typename Real>
DS_HD Real one_pole_step(Real prev, Real x, Real a) {
  return prev + a * (x - prev);
}

// y[0..n): the filtered x, starting from rest.
template <typename Real>
DS_HD void one_pole_lowpass(const Real* x, Real* y, int n, Real a) {
  Real prev = Real(0);
  for (int i = 0; i < n; ++i) y[i] = prev = one_pole_step(prev, x[i], a);
}

// Adjoint of the recurrence y[n] = (1 - a) y[n-1] + a x[n], run backwards:
//   lambda[n] = v_y[n] + (1 - a) lambda[n+1]     (total gradient of y[n])
//   v_x[n]    = a lambda[n]
//   v_a      += lambda[n] (x[n] - y[n-1])
// v_x may be null when the input needs no gradient. Returns v_a.
template <typename Real>
DS_HD Real one_pole_lowpass_vjp(const Real* DS_RESTRICT x, const Real* DS_RESTRICT y, int n,
                                Real a,           // forward
                                const Real* v_y,  // output grad
                                Real* v_x) {
  Real lambda = Real(0), v_a = Real(0);
  for (int i = n - 1; i >= 0; --i) {
    lambda = v_y[i] + (Real(1) - a) * lambda;
    const Real prev = i > 0 ? y[i - 1] : Real(0);
    v_a += lambda * (x[i] - prev);
    if (v_x) v_x[i] = a * lambda;
  }
  return v_a;
}

}  // namespace drumsynth
