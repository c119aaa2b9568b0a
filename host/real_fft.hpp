// Real FFT of even length n and its adjoint, on kissfft's C++ template (so the
// same code runs in float for speed and in double for gradient tests).
// Layout: forward maps n reals to n/2 + 1 complex bins (DC ... Nyquist).
#pragma once

#include <complex>
#include <memory>
#include <vector>

namespace drumsynth {

template <typename Real>
class RealFft {
 public:
  using Complex = std::complex<Real>;
  explicit RealFft(int n);
  ~RealFft();
  RealFft(RealFft&&) noexcept;
  int size() const { return n_; }
  // X_k = sum_n x_n exp(-2 pi i k n / N), k = 0..N/2.  x: [n], X: [n/2 + 1].
  void forward(const Real* x, Complex* X) const;
  // Adjoint of forward for a real-valued loss: given G_k = dL/dRe X_k + i dL/dIm X_k,
  // writes dL/dx_n = sum_k Re(G_k exp(+2 pi i k n / N)).  G: [n/2 + 1], v_x: [n].
  void adjoint(const Complex* G, Real* v_x) const;

 private:
  struct Impl;
  int n_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace drumsynth
