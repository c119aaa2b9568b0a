// Shared definitions for host and device code: the __host__ __device__ marker
// and small math helpers. Device-safe: no host-only types here (the error
// type and its CHECK macro are in error.hpp).
#pragma once

#include <math.h>

#if defined(__CUDACC__)
#define DS_HD __host__ __device__ __forceinline__
#else
#define DS_HD inline
#endif

// No-alias pointers for the recurrences: without it a store to one buffer
// orders every later load from another behind it, and a GPU thread walking a
// recurrence waits a memory round trip per sample.
#define DS_RESTRICT __restrict__

// Full unrolling of a short fixed-count loop (its arrays then stay in
// registers): nvcc's pragma in device code, GCC's in host code; none in
// nvcc's host pass of a .cu file (which runs none of this math, and where
// either pragma is a warning).
#if defined(__CUDA_ARCH__)
#define DS_UNROLL _Pragma("unroll")
#elif defined(__CUDACC__)
#define DS_UNROLL
#else
#define DS_UNROLL _Pragma("GCC unroll 16")
#endif

namespace drumsynth {

constexpr double kPi = 3.14159265358979323846;
constexpr double kTwoPi = 2.0 * kPi;

// Overloads that pick the float or double libm function on host and device
// alike, so the templated model math compiles unchanged under g++ and nvcc.
namespace dm {
// float exp with its argument clamped to [-87, 88]: beyond, the result is 0 or
// inf in float anyway (exp(-87) = 1.6e-38 is the smallest normal's order), and a
// decay long past its end would otherwise send glibc's vector expf down its slow
// underflow path for the whole vector.
DS_HD float exp(float x) { return ::expf(fminf(fmaxf(x, -87.0f), 88.0f)); }
DS_HD double exp(double x) { return ::exp(x); }
DS_HD float log(float x) { return ::logf(x); }
DS_HD double log(double x) { return ::log(x); }
DS_HD float sin(float x) { return ::sinf(x); }
DS_HD double sin(double x) { return ::sin(x); }
DS_HD float cos(float x) { return ::cosf(x); }
DS_HD double cos(double x) { return ::cos(x); }
DS_HD float tanh(float x) { return ::tanhf(x); }
DS_HD double tanh(double x) { return ::tanh(x); }
DS_HD float sqrt(float x) { return ::sqrtf(x); }
DS_HD double sqrt(double x) { return ::sqrt(x); }
DS_HD float floor(float x) { return ::floorf(x); }
DS_HD double floor(double x) { return ::floor(x); }
DS_HD float fmin(float a, float b) { return ::fminf(a, b); }
DS_HD double fmin(double a, double b) { return ::fmin(a, b); }
DS_HD float fmax(float a, float b) { return ::fmaxf(a, b); }
DS_HD double fmax(double a, double b) { return ::fmax(a, b); }
DS_HD float abs(float x) { return ::fabsf(x); }
DS_HD double abs(double x) { return ::fabs(x); }
#if !defined(__CUDACC__)
// long double: host only, for the finite-difference side of the gradient tests
// (three more digits than double, so rounding does not hide small components).
inline long double exp(long double x) { return ::expl(x); }
inline long double log(long double x) { return ::logl(x); }
inline long double sin(long double x) { return ::sinl(x); }
inline long double cos(long double x) { return ::cosl(x); }
inline long double tanh(long double x) { return ::tanhl(x); }
inline long double sqrt(long double x) { return ::sqrtl(x); }
inline long double floor(long double x) { return ::floorl(x); }
inline long double abs(long double x) { return ::fabsl(x); }
inline long double fmin(long double a, long double b) { return ::fminl(a, b); }
inline long double fmax(long double a, long double b) { return ::fmaxl(a, b); }
#endif

// sin and cos of an angle given in turns (cycles): sin(2 pi x), cos(2 pi x).
// Oscillator phases x = f * S in turns come in the wide type W (double for a
// float model, see Wide below) and leave as Real once the whole turns are off:
// a float phase of a 5 kHz partial 0.4 s in (2000 turns) would carry 1e-4 turns
// of rounding, 1e-3 of the partial's amplitude, and differ between the CPU's
// and the GPU's roundings by as much. The reduced argument lies in [-pi, pi],
// where glibc's vector sinf stays on its fast path. The cos is sin(x + 1/4
// turn): g++ would fuse sin(x) and cos(x) into a sincos call with pointer
// outputs, which keeps the sample loops from vectorising.
// x - round(x) for x >= 0 (phases are f * S >= 0, well below 2^31 turns): the
// int conversion truncates, which is floor here, and unlike floor it
// vectorises on baseline x86-64 (SSE2 has no roundpd).
template <typename Real, typename W>
DS_HD Real reduce_turns(W x) {
  return Real(x - W(int(x + W(0.5))));
}
template <typename Real, typename W>
DS_HD Real sin_turns(W x) {
  return sin(Real(6.283185307179586476925286766559L) * reduce_turns<Real>(x));
}
template <typename Real, typename W>
DS_HD void sin_cos_turns(W x, Real& s, Real& c) {
  const Real r = reduce_turns<Real>(x);
  s = sin(Real(6.283185307179586476925286766559L) * r);
  c = sin(Real(6.283185307179586476925286766559L) * (r + Real(0.25)));
}
}  // namespace dm

// The precision of oscillator time and phase for a model computed in Real:
// double for float and double, long double for the tests' long double.
template <typename Real>
struct Wide {
  using type = double;
};
template <>
struct Wide<long double> {
  using type = long double;
};
template <typename Real>
using wide_t = typename Wide<Real>::type;

template <typename Real>
DS_HD Real sigmoid(Real z) {
  return Real(1) / (Real(1) + dm::exp(-z));
}

}  // namespace drumsynth
