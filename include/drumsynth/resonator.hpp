// The resonator: a feedback comb with a fractional delay and a damping low-pass
// in its loop, excited by the transient and tones (the drum's shell ringing).
//   D = sample_rate / freq_hz = i + frac          (fractional delay in samples, i >= 1)
//   d[n] = (1 - frac) y[n - i] + frac y[n - i - 1]  (linear interpolation: frac gets a gradient)
//   h[n] = h[n-1] + a (d[n] - h[n-1])            (damping, a from damping_hz)
//   y[n] = x[n] + fb h[n],  fb = exp(-1 / (freq_hz decay_s))
//   out[n] = gain h[n]
// fb is the loop gain per period D/sample_rate = 1/freq_hz, so without damping the
// ringing falls by e every decay_s seconds. It starts from rest on every call
// (the original read a delay buffer left over from the previous call).
#pragma once

#include "drumsynth/one_pole.hpp"
#include "drumsynth/params.hpp"

namespace drumsynth {

template <typename Real>
struct ResonatorCoefficients {
  int delay_int;  // i
  Real frac;      // D - i
  Real fb;
  Real a;
};

template <typename Real>
DS_HD ResonatorCoefficients<Real> resonator_coefficients(const Real* p, Real sample_rate) {
  const Real delay = sample_rate / p[P::resonator_freq_hz];
  ResonatorCoefficients<Real> c;
  c.delay_int = int(dm::floor(delay));
  c.frac = delay - Real(c.delay_int);
  c.fb = dm::exp(Real(-1) / (p[P::resonator_freq_hz] * p[P::resonator_decay_s]));
  c.a = one_pole_coefficient(p[P::resonator_damping_hz], sample_rate);
  return c;
}

template <typename Real>
DS_HD Real resonator_tap(const Real* y, int n, const ResonatorCoefficients<Real>& c) {
  const int j = n - c.delay_int;
  const Real y0 = j >= 0 ? y[j] : Real(0);
  const Real y1 = j >= 1 ? y[j - 1] : Real(0);
  return (Real(1) - c.frac) * y0 + c.frac * y1;
}

// Forward over samples [0, n): x [n] input; y, h [n] saved for the adjoint; out [n].
// The parameter ranges keep D >= 8 samples at 8 kHz, so i >= 1 and d[n] only reads the past.
template <typename Real>
DS_HD void resonator(const Real* p, Real sample_rate, int n, const Real* x, Real* y, Real* h,
                     Real* out) {
  const auto c = resonator_coefficients(p, sample_rate);
  Real prev = Real(0);
  for (int i = 0; i < n; ++i) {
    prev = h[i] = prev + c.a * (resonator_tap(y, i, c) - prev);
    y[i] = x[i] + c.fb * h[i];
    out[i] = p[P::resonator_gain] * h[i];
  }
}

// Adjoint, backwards in time. lambda is the total gradient of h[n]:
//   lambda[n] = gain v_out[n] + fb v_y[n] + (1 - a) lambda[n+1]
// where v_y[n] is complete when step n is reached, because y[n] is only read by
// later taps (n' = n + i or n + i + 1 > n), which have already scattered into it:
//   v_y[n - i] += a lambda (1 - frac),  v_y[n - i - 1] += a lambda frac,
//   v_frac += a lambda (y[n-i-1] - y[n-i]),  v_a += lambda (d[n] - h[n-1]),
//   v_fb += v_y[n] h[n],  v_x[n] = v_y[n].
// Then D = sr/f gives dfrac/df = -sr/f^2, and fb = exp(-1/(f decay)) gives
// dfb/df = fb / (f^2 decay), dfb/ddecay = fb / (f decay^2).
// v_y: scratch [n], overwritten. v_x: [n], written.
template <typename Real>
DS_HD void resonator_vjp(const Real* p, Real sample_rate, int n,  // forward inputs
                         const Real* y, const Real* h,            // saved
                         const Real* v_out,                       // output gradient
                         Real* v_p, Real* v_y, Real* v_x) {
  const auto c = resonator_coefficients(p, sample_rate);
  const Real gain = p[P::resonator_gain];
  for (int i = 0; i < n; ++i) v_y[i] = Real(0);
  Real lambda = Real(0), v_frac = Real(0), v_a = Real(0), v_fb = Real(0), v_gain = Real(0);
  for (int i = n - 1; i >= 0; --i) {
    lambda = gain * v_out[i] + c.fb * v_y[i] + (Real(1) - c.a) * lambda;
    v_x[i] = v_y[i];
    v_fb += v_y[i] * h[i];
    v_gain += v_out[i] * h[i];
    const Real prev = i > 0 ? h[i - 1] : Real(0);
    v_a += lambda * (resonator_tap(y, i, c) - prev);
    const Real v_d = c.a * lambda;
    const int j = i - c.delay_int;
    const Real y0 = j >= 0 ? y[j] : Real(0);
    const Real y1 = j >= 1 ? y[j - 1] : Real(0);
    if (j >= 0) v_y[j] += v_d * (Real(1) - c.frac);
    if (j >= 1) v_y[j - 1] += v_d * c.frac;
    v_frac += v_d * (y1 - y0);
  }
  const Real f = p[P::resonator_freq_hz], decay = p[P::resonator_decay_s];
  v_p[P::resonator_gain] += v_gain;
  v_p[P::resonator_freq_hz] += v_frac * (-sample_rate / (f * f)) + v_fb * c.fb / (f * f * decay);
  v_p[P::resonator_decay_s] += v_fb * c.fb / (f * decay * decay);
  v_p[P::resonator_damping_hz] += one_pole_coefficient_vjp(p[P::resonator_damping_hz],
                                                           sample_rate, v_a);
}

}  // namespace drumsynth
