// The STFT of one resolution and its adjoint, the loss's inner loop on the CPU:
//   forward:  X[f] = FFT(padded[f hop, f hop + n) * window),  f < count
//   adjoint:  v_padded[f hop + i] += window[i] * FFT^T(G[f])[i]  (windowed overlap-add)
// FFT^T is RealFft's adjoint. Frames go through pocketfft's real FFT several
// at a time, one per lane of a SIMD vector (4 floats, 2 doubles), with the
// window, the transposition into lanes and the unpacking of pocketfft's
// half-complex order in one pass each way (no frame buffer in between).
//
// One object per thread: it keeps its lane buffer between calls.
#pragma once

#include <complex>
#include <memory>
#include <vector>

namespace drumsynth {

template <typename Real>
class StftFrames {
 public:
  using Complex = std::complex<Real>;
  // window: [fft_size].
  StftFrames(int fft_size, int hop, std::vector<Real> window);
  ~StftFrames();
  StftFrames(StftFrames&&) noexcept;
  int fft_size() const { return n_; }
  int bins() const { return n_ / 2 + 1; }
  // padded: [(count - 1) hop + n]; X: [count][n/2 + 1].
  void forward(const Real* padded, int count, Complex* X);
  // G: [count][n/2 + 1] (dL/dRe X + i dL/dIm X); adds into v_padded.
  void adjoint_add(const Complex* G, int count, Real* v_padded);

 private:
  struct Plan;
  int n_, hop_;
  std::vector<Real> window_;
  std::unique_ptr<Plan> plan_;
};

}  // namespace drumsynth
