// Lanes: frame f of a group sits in lane l = f mod L of the buffer's vectors,
// buf[i][l] = sample i of that frame. pocketfft's rfftp transforms every lane
// at once and leaves the half-complex order r0, r1, i1, ..., r_{n/2} (n even).
#include "stft_frames.hpp"

#include <algorithm>
#include <string>

#include "drumsynth/error.hpp"
#include "pocketfft.hpp"

namespace drumsynth {

namespace {
// The vector a group of frames travels in: GCC's vector extension (what
// pocketfft itself uses), the 16 bytes every x86-64 CPU has.
template <typename Real>
struct Lanes {
  using Vector = Real;  // long double: one frame at a time
};
#if defined(__GNUC__) && defined(__SSE2__)
template <>
struct Lanes<float> {
  using Vector = float __attribute__((vector_size(16)));
};
template <>
struct Lanes<double> {
  using Vector = double __attribute__((vector_size(16)));
};
#endif
template <typename Real>
constexpr int kLanes = int(sizeof(typename Lanes<Real>::Vector) / sizeof(Real));
}  // namespace

template <typename Real>
struct StftFrames<Real>::Plan {
  using Vector = typename Lanes<Real>::Vector;
  pocketfft::detail::pocketfft_r<Real> fft;
  std::vector<Vector> buffer;  // [n] vectors: [i][lane]
  explicit Plan(int n) : fft(static_cast<size_t>(n)), buffer(static_cast<size_t>(n)) {}
  Real* lanes() { return reinterpret_cast<Real*>(buffer.data()); }
};

template <typename Real>
StftFrames<Real>::StftFrames(int fft_size, int hop, std::vector<Real> window)
    : n_(fft_size), hop_(hop), window_(std::move(window)) {
  if (n_ < 2 || n_ % 2 || hop_ < 1 || int(window_.size()) != n_)
    throw Error("STFT: bad frames (fft " + std::to_string(n_) + ", hop " + std::to_string(hop_) +
                ", window " + std::to_string(window_.size()) + ")");
  plan_ = std::make_unique<Plan>(n_);
}
template <typename Real>
StftFrames<Real>::~StftFrames() = default;
template <typename Real>
StftFrames<Real>::StftFrames(StftFrames&&) noexcept = default;

template <typename Real>
void StftFrames<Real>::forward(const Real* padded, int count, Complex* X) {
  constexpr int L = kLanes<Real>;
  const int n = n_, half = n / 2;
  Real* buf = plan_->lanes();
  for (int f0 = 0; f0 < count; f0 += L) {
    const int in_group = std::min(L, count - f0);
    for (int l = 0; l < in_group; ++l) {
      const Real* src = padded + static_cast<size_t>(f0 + l) * hop_;
      for (int i = 0; i < n; ++i) buf[i * L + l] = src[i] * window_[i];
    }
    for (int l = in_group; l < L; ++l)
      for (int i = 0; i < n; ++i) buf[i * L + l] = Real(0);
    plan_->fft.exec(plan_->buffer.data(), Real(1), true);
    for (int l = 0; l < in_group; ++l) {
      Complex* out = X + static_cast<size_t>(f0 + l) * bins();
      out[0] = Complex(buf[l], 0);
      for (int k = 1; k < half; ++k) out[k] = Complex(buf[(2 * k - 1) * L + l], buf[2 * k * L + l]);
      out[half] = Complex(buf[(n - 1) * L + l], 0);
    }
  }
}

// RealFft's adjoint per frame: the inverse real FFT (pocketfft's backward
// half-complex transform) of G counts each interior bin twice and DC and
// Nyquist once without their imaginary parts, so
//   FFT^T(G)[i] = (c2r(G)[i] + gRe_0 + gRe_{n/2} (-1)^i) / 2.
template <typename Real>
void StftFrames<Real>::adjoint_add(const Complex* G, int count, Real* v_padded) {
  constexpr int L = kLanes<Real>;
  const int n = n_, half = n / 2;
  Real* buf = plan_->lanes();
  for (int f0 = 0; f0 < count; f0 += L) {
    const int in_group = std::min(L, count - f0);
    for (int l = 0; l < in_group; ++l) {
      const Complex* g = G + static_cast<size_t>(f0 + l) * bins();
      buf[l] = g[0].real();
      for (int k = 1; k < half; ++k) {
        buf[(2 * k - 1) * L + l] = g[k].real();
        buf[2 * k * L + l] = g[k].imag();
      }
      buf[(n - 1) * L + l] = g[half].real();
    }
    for (int l = in_group; l < L; ++l)
      for (int i = 0; i < n; ++i) buf[i * L + l] = Real(0);
    plan_->fft.exec(plan_->buffer.data(), Real(0.5), false);
    for (int l = 0; l < in_group; ++l) {
      const Complex* g = G + static_cast<size_t>(f0 + l) * bins();
      const Real even = Real(0.5) * (g[0].real() + g[half].real());
      const Real odd = Real(0.5) * (g[0].real() - g[half].real());
      Real* dst = v_padded + static_cast<size_t>(f0 + l) * hop_;
      for (int i = 0; i < n; i += 2) {
        dst[i] += window_[i] * (buf[i * L + l] + even);
        dst[i + 1] += window_[i + 1] * (buf[(i + 1) * L + l] + odd);
      }
    }
  }
}

template class StftFrames<float>;
template class StftFrames<double>;
template class StftFrames<long double>;  // finite-difference side of the tests

}  // namespace drumsynth
