// Lanes: frame f of a group sits in lane l = f mod L of the buffer's vectors,
// buf[i][l] = sample i of that frame. pocketfft's rfftp transforms every lane
// at once and leaves the half-complex order r0, r1, i1, ..., r_{n/2} (n even).
#include "loss/stft_frames.hpp"

#include <algorithm>
#include <string>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "drumsynth/error.hpp"
#include "loss/pocketfft.hpp"
#include "loss/real_fft.hpp"

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

// Moving frames in and out of lanes, generic (one lane at a time) and, for
// float on x86-64, four lanes at once with SSE (4x4 transposes). A group's
// missing frames read zeros and write to a spare buffer, so every group is full.
template <typename Real, int L>
struct LaneMoves {
  using Complex = std::complex<Real>;
  // buf[i][l] = src[l][i] * w[i]
  static void window_in(const Real* const* src, const Real* w, int n, Real* buf) {
    for (int l = 0; l < L; ++l)
      for (int i = 0; i < n; ++i) buf[i * L + l] = src[l][i] * w[i];
  }
  // out[l][k] = bin k of lane l, from the half-complex order r0, r1, i1, ..., r_{n/2}.
  static void bins_out(const Real* buf, int n, Complex* const* out) {
    const int half = n / 2;
    for (int l = 0; l < L; ++l) {
      out[l][0] = Complex(buf[l], 0);
      for (int k = 1; k < half; ++k)
        out[l][k] = Complex(buf[(2 * k - 1) * L + l], buf[2 * k * L + l]);
      out[l][half] = Complex(buf[(n - 1) * L + l], 0);
    }
  }
  // The reverse: bins into half-complex lanes (DC's and Nyquist's imaginary parts dropped).
  static void bins_in(const Complex* const* g, int n, Real* buf) {
    const int half = n / 2;
    for (int l = 0; l < L; ++l) {
      buf[l] = g[l][0].real();
      for (int k = 1; k < half; ++k) {
        buf[(2 * k - 1) * L + l] = g[l][k].real();
        buf[2 * k * L + l] = g[l][k].imag();
      }
      buf[(n - 1) * L + l] = g[l][half].real();
    }
  }
  // dst[l][i] += w[i] (buf[i][l] + (i even ? even[l] : odd[l]))
  static void overlap_add(const Real* buf, const Real* w, int n, const Real* even, const Real* odd,
                          Real* const* dst) {
    for (int l = 0; l < L; ++l)
      for (int i = 0; i < n; i += 2) {
        dst[l][i] += w[i] * (buf[i * L + l] + even[l]);
        dst[l][i + 1] += w[i + 1] * (buf[(i + 1) * L + l] + odd[l]);
      }
  }
};

#if defined(__SSE2__)
template <>
struct LaneMoves<float, 4> {
  using Complex = std::complex<float>;
  static void window_in(const float* const* src, const float* w, int n, float* buf) {
    int i = 0;
    for (; i + 4 <= n; i += 4) {
      const __m128 wi = _mm_loadu_ps(w + i);
      __m128 a = _mm_mul_ps(_mm_loadu_ps(src[0] + i), wi),
             b = _mm_mul_ps(_mm_loadu_ps(src[1] + i), wi);
      __m128 c = _mm_mul_ps(_mm_loadu_ps(src[2] + i), wi),
             d = _mm_mul_ps(_mm_loadu_ps(src[3] + i), wi);
      _MM_TRANSPOSE4_PS(a, b, c, d);
      _mm_store_ps(buf + 4 * i, a), _mm_store_ps(buf + 4 * i + 4, b);
      _mm_store_ps(buf + 4 * i + 8, c), _mm_store_ps(buf + 4 * i + 12, d);
    }
    for (; i < n; ++i)
      for (int l = 0; l < 4; ++l) buf[4 * i + l] = src[l][i] * w[i];
  }
  static void bins_out(const float* buf, int n, Complex* const* out) {
    const int half = n / 2;
    for (int l = 0; l < 4; ++l) {
      out[l][0] = Complex(buf[l], 0);
      out[l][half] = Complex(buf[4 * (n - 1) + l], 0);
    }
    for (int k = 1; k < half; ++k) {
      const __m128 re = _mm_load_ps(buf + 4 * (2 * k - 1)), im = _mm_load_ps(buf + 8 * k);
      const __m128 lo = _mm_unpacklo_ps(re, im),
                   hi = _mm_unpackhi_ps(re, im);  // (r0 i0 r1 i1), (r2 i2 r3 i3)
      _mm_storel_pi(reinterpret_cast<__m64*>(out[0] + k), lo);
      _mm_storeh_pi(reinterpret_cast<__m64*>(out[1] + k), lo);
      _mm_storel_pi(reinterpret_cast<__m64*>(out[2] + k), hi);
      _mm_storeh_pi(reinterpret_cast<__m64*>(out[3] + k), hi);
    }
  }
  static void bins_in(const Complex* const* g, int n, float* buf) {
    const int half = n / 2;
    for (int l = 0; l < 4; ++l) {
      buf[l] = g[l][0].real();
      buf[4 * (n - 1) + l] = g[l][half].real();
    }
    for (int k = 1; k < half; ++k) {
      __m128 a = _mm_setzero_ps(), b = _mm_setzero_ps();
      a = _mm_loadl_pi(a, reinterpret_cast<const __m64*>(g[0] + k));  // (r0 i0 r1 i1)
      a = _mm_loadh_pi(a, reinterpret_cast<const __m64*>(g[1] + k));
      b = _mm_loadl_pi(b, reinterpret_cast<const __m64*>(g[2] + k));  // (r2 i2 r3 i3)
      b = _mm_loadh_pi(b, reinterpret_cast<const __m64*>(g[3] + k));
      _mm_store_ps(buf + 4 * (2 * k - 1), _mm_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)));
      _mm_store_ps(buf + 8 * k, _mm_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1)));
    }
  }
  static void overlap_add(const float* buf, const float* w, int n, const float* even,
                          const float* odd, float* const* dst) {
    int i = 0;
    __m128 fix[4];
    for (int l = 0; l < 4; ++l) fix[l] = _mm_setr_ps(even[l], odd[l], even[l], odd[l]);
    for (; i + 4 <= n; i += 4) {
      __m128 v[4] = {_mm_load_ps(buf + 4 * i), _mm_load_ps(buf + 4 * i + 4),
                     _mm_load_ps(buf + 4 * i + 8), _mm_load_ps(buf + 4 * i + 12)};
      _MM_TRANSPOSE4_PS(v[0], v[1], v[2], v[3]);  // v[l]: samples i..i+3 of lane l
      const __m128 wi = _mm_loadu_ps(w + i);
      // Lane by lane, load-add-store in order: the lanes' frames overlap in dst.
      for (int l = 0; l < 4; ++l)
        _mm_storeu_ps(dst[l] + i, _mm_add_ps(_mm_loadu_ps(dst[l] + i),
                                             _mm_mul_ps(wi, _mm_add_ps(v[l], fix[l]))));
    }
    for (; i < n; i += 2)
      for (int l = 0; l < 4; ++l) {
        dst[l][i] += w[i] * (buf[4 * i + l] + even[l]);
        dst[l][i + 1] += w[i + 1] * (buf[4 * (i + 1) + l] + odd[l]);
      }
  }
};
#endif

template <typename Real>
struct StftFrames<Real>::Plan {
  using Vector = typename Lanes<Real>::Vector;
  pocketfft::detail::pocketfft_r<Real> fft;
  std::vector<Vector> buffer;                  // [n] vectors: [i][lane]
  std::vector<Real> zeros, spare;              // [n]: a missing frame's samples, gradient
  std::vector<Complex> zero_bins, spare_bins;  // [n/2 + 1]: its gradient bins, spectrum
  explicit Plan(int n)
      : fft(static_cast<size_t>(n)),
        buffer(static_cast<size_t>(n)),
        zeros(static_cast<size_t>(n)),
        spare(static_cast<size_t>(n)),
        zero_bins(static_cast<size_t>(n / 2 + 1)),
        spare_bins(static_cast<size_t>(n / 2 + 1)) {}
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
  using Moves = LaneMoves<Real, L>;
  Plan& plan = *plan_;
  for (int f0 = 0; f0 < count; f0 += L) {
    const Real* src[L];
    Complex* out[L];
    for (int l = 0; l < L; ++l) {
      const bool frame = f0 + l < count;
      src[l] = frame ? padded + static_cast<size_t>(f0 + l) * hop_ : plan.zeros.data();
      out[l] = frame ? X + static_cast<size_t>(f0 + l) * bins() : plan.spare_bins.data();
    }
    Moves::window_in(src, window_.data(), n_, plan.lanes());
    plan.fft.exec(plan.buffer.data(), Real(1), true);
    Moves::bins_out(plan.lanes(), n_, out);
  }
}

// RealFft's adjoint per frame: pocketfft's backward half-complex transform of
// G (a c2r) scaled by 1/2, plus C2rFixup (real_fft.hpp).
template <typename Real>
void StftFrames<Real>::adjoint_add(const Complex* G, int count, Real* v_padded) {
  constexpr int L = kLanes<Real>;
  using Moves = LaneMoves<Real, L>;
  Plan& plan = *plan_;
  for (int f0 = 0; f0 < count; f0 += L) {
    const Complex* g[L];
    Real* dst[L];
    Real even[L], odd[L];
    for (int l = 0; l < L; ++l) {
      const bool frame = f0 + l < count;
      g[l] = frame ? G + static_cast<size_t>(f0 + l) * bins() : plan.zero_bins.data();
      dst[l] = frame ? v_padded + static_cast<size_t>(f0 + l) * hop_ : plan.spare.data();
      const C2rFixup<Real> fix(g[l], n_);
      even[l] = fix.even, odd[l] = fix.odd;
    }
    Moves::bins_in(g, n_, plan.lanes());
    plan.fft.exec(plan.buffer.data(), Real(0.5), false);
    Moves::overlap_add(plan.lanes(), window_.data(), n_, even, odd, dst);
  }
}

template class StftFrames<float>;
template class StftFrames<double>;
template class StftFrames<long double>;  // finite-difference side of the tests

}  // namespace drumsynth
