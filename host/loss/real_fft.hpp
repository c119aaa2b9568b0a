// Real FFT of even length n and its adjoint, on pocketfft (the header-only C++
// pocketfft, BSD-3, from Debian's python3-pythran), in float for speed and in
// double and long double for the gradient tests.
// Layout: forward maps n reals to n/2 + 1 complex bins (DC ... Nyquist).
//
// The *_frames calls transform many equal-size frames in one call: pocketfft
// then runs several frames per SIMD vector (4 floats on baseline x86-64) with
// shared twiddles, which is where the loss spends its time (hundreds of frames
// per resolution).
#pragma once

#include <complex>

namespace drumsynth {

// RealFft's adjoint from an inverse real FFT: the unnormalised c2r of G counts
// each interior bin twice (k and its mirror N-k) and DC and Nyquist once,
// without their imaginary parts, while the adjoint counts every bin once:
//   dL/dx_i = (c2r(G)[i] + gRe_0 + gRe_{N/2} (-1)^i) / 2.
// C2rFixup holds the term added to c2r(G)/2 at even and at odd i.
template <typename Real>
struct C2rFixup {
  Real even, odd;
  C2rFixup(const std::complex<Real>* G, int n)
      : even(Real(0.5) * (G[0].real() + G[n / 2].real())),
        odd(Real(0.5) * (G[0].real() - G[n / 2].real())) {}
};

template <typename Real>
class RealFft {
 public:
  using Complex = std::complex<Real>;
  explicit RealFft(int n);
  int size() const { return n_; }
  int bins() const { return n_ / 2 + 1; }
  // X_k = sum_n x_n exp(-2 pi i k n / N), k = 0..N/2.  x: [n], X: [n/2 + 1].
  void forward(const Real* x, Complex* X) const { forward_frames(x, 1, X); }
  // Adjoint of forward for a real-valued loss: given G_k = dL/dRe X_k + i dL/dIm X_k,
  // writes dL/dx_n = sum_k Re(G_k exp(+2 pi i k n / N)).  G: [n/2 + 1], v_x: [n].
  void adjoint(const Complex* G, Real* v_x) const { adjoint_frames(G, 1, v_x); }
  // The same for `count` frames stored one after another: x, v_x: [count][n];
  // X, G: [count][n/2 + 1].
  void forward_frames(const Real* x, int count, Complex* X) const;
  void adjoint_frames(const Complex* G, int count, Real* v_x) const;

 private:
  int n_;
};

}  // namespace drumsynth
