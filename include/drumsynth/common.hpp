// Shared definitions for host and device code: the __host__ __device__ marker,
// small math helpers, and the error type with its CHECK macro.
#pragma once

#include <math.h>

#include <cmath>
#include <stdexcept>
#include <string>

#if defined(__CUDACC__)
#define DS_HD __host__ __device__ __forceinline__
#else
#define DS_HD inline
#endif

namespace drumsynth {

constexpr double kPi = 3.14159265358979323846;
constexpr double kTwoPi = 2.0 * kPi;

// Error raised by library code; the command line catches it at main and prints
// its message as one line. Library code never calls exit().
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Overloads that pick the float or double libm function on host and device
// alike, so the templated model math compiles unchanged under g++ and nvcc.
namespace dm {
DS_HD float exp(float x) { return ::expf(x); }
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
#endif
}  // namespace dm

template <typename Real>
DS_HD Real sigmoid(Real z) {
  return Real(1) / (Real(1) + dm::exp(-z));
}

}  // namespace drumsynth

#define DS_STRINGIFY2(x) #x
#define DS_STRINGIFY(x) DS_STRINGIFY2(x)
// Internal invariant check: throws drumsynth::Error with file, line and expression.
#define DS_CHECK(cond)                                                                    \
  do {                                                                                    \
    if (!(cond))                                                                          \
      throw ::drumsynth::Error(std::string(__FILE__ ":" DS_STRINGIFY(__LINE__) ": check " \
                                           "failed: ") +                                  \
                               #cond);                                                    \
  } while (0)
