// Real FFT through a complex FFT of half the length (the standard packing:
// u_m = x_2m + i x_2m+1), and its adjoint through the inverse of that packing.
#include "real_fft.hpp"

#include <kissfft/kissfft.hh>

#include "drumsynth/common.hpp"
#include "drumsynth/error.hpp"

namespace drumsynth {

template <typename Real>
struct RealFft<Real>::Impl {
  kissfft<Real> half_forward;  // transform_real: n reals via an n/2 complex FFT
  kissfft<Real> half_inverse;  // unnormalised inverse of size n/2
  std::vector<Complex> twiddle;  // exp(+2 pi i j / n), j < n/2
  mutable std::vector<Complex> work, work2;
  explicit Impl(int n) : half_forward(size_t(n / 2), false), half_inverse(size_t(n / 2), true) {
    const int m = n / 2;
    twiddle.resize(size_t(m));
    for (int j = 0; j < m; ++j)
      twiddle[j] = std::polar(Real(1), Real(kTwoPi * double(j) / double(n)));
    work.resize(size_t(m));
    work2.resize(size_t(m));
  }
};

template <typename Real>
RealFft<Real>::RealFft(int n) : n_(n) {
  if (n < 2 || n % 2) throw Error("FFT size must be even and at least 2, got " + std::to_string(n));
  impl_ = std::make_unique<Impl>(n);
}
template <typename Real>
RealFft<Real>::~RealFft() = default;
template <typename Real>
RealFft<Real>::RealFft(RealFft&&) noexcept = default;

template <typename Real>
void RealFft<Real>::forward(const Real* x, Complex* X) const {
  // kissfft packs DC and Nyquist into bin 0 (real, imag); unpack them.
  const int m = n_ / 2;
  impl_->half_forward.transform_real(x, impl_->work.data());
  for (int k = 1; k < m; ++k) X[k] = impl_->work[k];
  X[0] = Complex(impl_->work[0].real(), 0);
  X[m] = Complex(impl_->work[0].imag(), 0);
}

// dL/dx_n = sum_{k=0}^{n/2} (gRe_k cos(2 pi k n/N) - gIm_k sin(2 pi k n/N)) is the
// unnormalised inverse real DFT of the Hermitian spectrum Z with Z_0 = gRe_0,
// Z_{N/2} = gRe_{N/2}, Z_k = G_k / 2 otherwise. With M = N/2, the inverse of the
// packing gives u_m = x_2m + i x_2m+1 = IFFT_M(U) where
//   U_j = (Z_j + conj(Z_{M-j})) + i (Z_j - conj(Z_{M-j})) exp(+2 pi i j / N).
template <typename Real>
void RealFft<Real>::adjoint(const Complex* G, Real* v_x) const {
  const int m = n_ / 2;
  auto Z = [&](int k) -> Complex {
    if (k == 0 || k == m) return Complex(G[k].real(), 0);
    return Real(0.5) * G[k];
  };
  auto& U = impl_->work;
  const Complex i1(0, 1);
  for (int j = 0; j < m; ++j) {
    const Complex a = Z(j), b = std::conj(Z(m - j));
    U[j] = (a + b) + i1 * (a - b) * impl_->twiddle[j];
  }
  impl_->half_inverse.transform(U.data(), impl_->work2.data());
  for (int j = 0; j < m; ++j) {
    v_x[2 * j] = impl_->work2[j].real();
    v_x[2 * j + 1] = impl_->work2[j].imag();
  }
}

template class RealFft<float>;
template class RealFft<double>;
template class RealFft<long double>;  // finite-difference side of the tests

}  // namespace drumsynth
