// Real FFT and its adjoint through pocketfft's batched r2c and c2r.
#include "loss/real_fft.hpp"

#include <cstddef>
#include <string>

#include "drumsynth/error.hpp"
#include "loss/pocketfft.hpp"

namespace drumsynth {

namespace {
// pocketfft describes a batch as a 2-D array [count][length] with byte strides.
template <typename T>
pocketfft::stride_t row_strides(int row_length) {
  return {static_cast<std::ptrdiff_t>(sizeof(T)) * row_length,
          static_cast<std::ptrdiff_t>(sizeof(T))};
}
}  // namespace

template <typename Real>
RealFft<Real>::RealFft(int n) : n_(n) {
  if (n < 2 || n % 2) throw Error("FFT size must be even and at least 2, got " + std::to_string(n));
}

template <typename Real>
void RealFft<Real>::forward_frames(const Real* x, int count, Complex* X) const {
  if (count < 1) return;
  const pocketfft::shape_t shape{static_cast<size_t>(count), static_cast<size_t>(n_)};
  pocketfft::r2c(shape, row_strides<Real>(n_), row_strides<Complex>(bins()), 1, pocketfft::FORWARD,
                 x, X, Real(1));
}

// dL/dx_n = gRe_0 + gRe_{N/2} (-1)^n + sum_{0<k<N/2} Re(G_k exp(+2 pi i k n/N)):
// c2r(G) / 2 and C2rFixup (real_fft.hpp).
template <typename Real>
void RealFft<Real>::adjoint_frames(const Complex* G, int count, Real* v_x) const {
  if (count < 1) return;
  const pocketfft::shape_t shape{static_cast<size_t>(count), static_cast<size_t>(n_)};
  pocketfft::c2r(shape, row_strides<Complex>(bins()), row_strides<Real>(n_), 1, pocketfft::BACKWARD,
                 G, v_x, Real(0.5));
  for (int f = 0; f < count; ++f) {
    const C2rFixup<Real> fix(G + static_cast<size_t>(f) * bins(), n_);
    Real* v = v_x + static_cast<size_t>(f) * n_;
    for (int i = 0; i < n_; i += 2) {
      v[i] += fix.even;
      v[i + 1] += fix.odd;
    }
  }
}

template class RealFft<float>;
template class RealFft<double>;
template class RealFft<long double>;  // finite-difference side of the tests

}  // namespace drumsynth
