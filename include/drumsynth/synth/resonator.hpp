// The resonator: a feedback comb with a fractional delay and a damping low-pass
// in its loop, excited by the transient and tones (the drum's shell ringing).
//   D = sample_rate / freq_hz = i + frac          (fractional delay in samples, i >= 1)
//   d[n] = (1 - frac) y[n - i] + frac y[n - i - 1]  (linear interpolation: frac gets a gradient)
//   h[n] = h[n-1] + a (d[n] - h[n-1])            (damping, a from damping_hz)
//   y[n] = x[n] + fb h[n],  fb = exp(-1 / (freq_hz decay_s))
//   out[n] = gain h[n]                           (resonator_out: taken from h by the mix)
// fb is the loop gain per period D/sample_rate = 1/freq_hz, so without damping the
// ringing falls by e every decay_s seconds. It starts from rest on every call
// (the original read a delay buffer left over from the previous call).
#pragma once

#include "drumsynth/synth/one_pole.hpp"
#include "drumsynth/synth/params.hpp"

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

// The resonator's output at a sample, from its saved h: not stored beside h.
template <typename Real>
DS_HD Real resonator_out(const Real* p, Real h) {
  return p[P::resonator_gain] * h;
}

template <typename Real>
DS_HD Real resonator_tap(const Real* y, int n, const ResonatorCoefficients<Real>& c) {
  const int j = n - c.delay_int;
  const Real y0 = j >= 0 ? y[j] : Real(0);
  const Real y1 = j >= 1 ? y[j - 1] : Real(0);
  return (Real(1) - c.frac) * y0 + c.frac * y1;
}

// The gradients of the loop's coefficients and gain, summed over samples.
template <typename Real>
struct ResonatorGrads {
  Real v_frac, v_a, v_fb, v_gain;
};

// One sample's share of them, given lambda (the total gradient of h[i]),
// v_y[i] and v_out[i], and the values the step read: h[i], h[i-1] and the
// taps y[i-D] (y0) and y[i-D-1] (y1). Returns v_d = a lambda, the gradient of
// the tapped value d[i] (which the caller scatters into v_y[i-D], v_y[i-D-1]).
template <typename Real>
DS_HD Real resonator_sample_vjp(const ResonatorCoefficients<Real>& c, Real lambda, Real vy, Real vo,
                                Real h_i, Real h_prev, Real y0, Real y1, ResonatorGrads<Real>& g) {
  g.v_fb += vy * h_i;
  g.v_gain += vo * h_i;
  g.v_a += lambda * ((Real(1) - c.frac) * y0 + c.frac * y1 - h_prev);
  const Real v_d = c.a * lambda;
  g.v_frac += v_d * (y1 - y0);
  return v_d;
}

// From the gradients of the loop's coefficients to the parameters':
// D = sr/f gives dfrac/df = -sr/f^2, fb = exp(-1/(f decay)) gives
// dfb/df = fb / (f^2 decay) and dfb/ddecay = fb / (f decay^2).
template <typename Real>
DS_HD void resonator_coefficients_vjp(const Real* p, Real sample_rate,
                                      const ResonatorCoefficients<Real>& c, Real v_frac, Real v_fb,
                                      Real v_a, Real v_gain, Real* v_p) {
  const Real f = p[P::resonator_freq_hz], decay = p[P::resonator_decay_s];
  v_p[P::resonator_gain] += v_gain;
  v_p[P::resonator_freq_hz] += v_frac * (-sample_rate / (f * f)) + v_fb * c.fb / (f * f * decay);
  v_p[P::resonator_decay_s] += v_fb * c.fb / (f * decay * decay);
  v_p[P::resonator_damping_hz] +=
      one_pole_coefficient_vjp(p[P::resonator_damping_hz], sample_rate, v_a);
}

// Samples are taken in blocks of kResonatorBlock: while the delay is at least
// that long, a block's taps read only samples before the block, so they are all
// loaded before any of its stores. One GPU thread runs a whole sound's loop,
// and this is what lets its loads overlap instead of waiting a memory round
// trip per sample. Shorter delays (below 8 kHz) go one sample at a time.
constexpr int kResonatorBlock = 8;

// Forward over samples [0, n): x [n] input; y, h [n] saved for the adjoint
// (and h for the output, resonator_out).
template <typename Real>
DS_HD void resonator(const Real* p, Real sample_rate, int n, const Real* DS_RESTRICT x,
                     Real* DS_RESTRICT y, Real* DS_RESTRICT h) {
  constexpr int K = kResonatorBlock;
  const auto c = resonator_coefficients(p, sample_rate);
  const int block = c.delay_int >= K ? K : 1;
  Real prev = Real(0);
  for (int i0 = 0; i0 < n; i0 += block) {
    const int m = n - i0 < block ? n - i0 : block;
    Real d[K];
    DS_UNROLL
    for (int k = 0; k < K; ++k) d[k] = k < m ? resonator_tap(y, i0 + k, c) : Real(0);
    DS_UNROLL
    for (int k = 0; k < K; ++k) {
      if (k >= m) break;
      const int i = i0 + k;
      prev = one_pole_step(prev, d[k], c.a);
      h[i] = prev;
      y[i] = x[i] + c.fb * prev;
    }
  }
}

// Adjoint, backwards in time. lambda is the total gradient of h[n]:
//   lambda[n] = gain v_out[n] + fb v_y[n] + (1 - a) lambda[n+1]
// where v_y[n] is complete when step n is reached, because y[n] is only read by
// later taps (n' = n + i or n + i + 1 > n), which have already scattered into it:
//   v_y[n - i] += a lambda (1 - frac),  v_y[n - i - 1] += a lambda frac,
//   v_frac += a lambda (y[n-i-1] - y[n-i]),  v_a += lambda (d[n] - h[n-1]),
//   v_fb += v_y[n] h[n],  v_x[n] = v_y[n].
// Then resonator_coefficients_vjp.
// Blocks as in the forward: a block's v_y is complete before it starts (its
// scatters land more than a block back), so its loads come first.
// v_y [n]: overwritten; on return it is v_x, the input's gradient (v_y[n] is
// complete at step n and never written after it), so no v_x is stored apart.
template <typename Real>
DS_HD void resonator_vjp(const Real* p, Real sample_rate, int n,                // forward inputs
                         const Real* DS_RESTRICT y, const Real* DS_RESTRICT h,  // saved
                         const Real* DS_RESTRICT v_out,                         // output gradient
                         Real* v_p, Real* DS_RESTRICT v_y) {
  constexpr int K = kResonatorBlock;
  const auto c = resonator_coefficients(p, sample_rate);
  const Real gain = p[P::resonator_gain];
  const int block = c.delay_int >= K ? K : 1;
  for (int i = 0; i < n; ++i) v_y[i] = Real(0);
  Real lambda = Real(0);
  ResonatorGrads<Real> g{Real(0), Real(0), Real(0), Real(0)};
  for (int i1 = n - 1; i1 >= 0; i1 -= block) {
    const int m = i1 + 1 < block ? i1 + 1 : block;  // steps i1, i1 - 1, ..., i1 - m + 1
    Real vy[K] = {}, vo[K] = {}, hv[K] = {}, hp[K] = {}, y0[K] = {}, y1[K] = {};
    DS_UNROLL
    for (int k = 0; k < K; ++k) {
      if (k >= m) break;
      const int i = i1 - k, j = i - c.delay_int;
      vy[k] = v_y[i], vo[k] = v_out[i], hv[k] = h[i];
      hp[k] = i > 0 ? h[i - 1] : Real(0);
      y0[k] = j >= 0 ? y[j] : Real(0);
      y1[k] = j >= 1 ? y[j - 1] : Real(0);
    }
    DS_UNROLL
    for (int k = 0; k < K; ++k) {
      if (k >= m) break;
      const int i = i1 - k, j = i - c.delay_int;
      lambda = gain * vo[k] + c.fb * vy[k] + (Real(1) - c.a) * lambda;
      const Real v_d = resonator_sample_vjp(c, lambda, vy[k], vo[k], hv[k], hp[k], y0[k], y1[k], g);
      if (j >= 0) v_y[j] += v_d * (Real(1) - c.frac);
      if (j >= 1) v_y[j - 1] += v_d * c.frac;
    }
  }
  resonator_coefficients_vjp(p, sample_rate, c, g.v_frac, g.v_fb, g.v_a, g.v_gain, v_p);
}

}  // namespace drumsynth
