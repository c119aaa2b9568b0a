// A-weighting FIR design, following auraloss 0.4.0 (perceptual.py) and
// scipy.signal.firls, so the `seed` preset matches the original's loss.
#include "loss/a_weighting.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <map>
#include <mutex>
#include <utility>

#include "cpu/cpu_clones.hpp"
#include "drumsynth/error.hpp"
#include "drumsynth/math/common.hpp"

namespace drumsynth {

namespace {

// |H(e^{jw})| of the A-weighting filter after the bilinear transform. The
// transform maps s = 2 fs (z - 1)/(z + 1), which on the unit circle is
// s = j 2 fs tan(w/2): so the digital response is the analog one at that s, and
// no polynomial expansion is needed.
double a_weighting_digital_magnitude(double freq_hz, double fs) {
  const double f1 = 20.598997, f2 = 107.65265, f3 = 737.86223, f4 = 12194.217;
  const double a1000_db = 1.9997;  // makes 1 kHz 0 dB
  const double w = kTwoPi * freq_hz / fs;
  const std::complex<double> s(0.0, 2.0 * fs * std::tan(w / 2.0));
  const double k = std::pow(kTwoPi * f4, 2) * std::pow(10.0, a1000_db / 20.0);
  auto quad = [&](double f) { return s * s + 4.0 * kPi * f * s + std::pow(kTwoPi * f, 2); };
  const std::complex<double> den = quad(f4) * quad(f1) * (s + kTwoPi * f3) * (s + kTwoPi * f2);
  return std::abs(k * s * s * s * s / den);
}

double sinc(double x) { return x == 0.0 ? 1.0 : std::sin(kPi * x) / (kPi * x); }

// Solves the symmetric positive definite system Q a = b by Cholesky, in place.
std::vector<double> solve_spd(std::vector<double> Q, std::vector<double> b, int n) {
  for (int j = 0; j < n; ++j) {
    double d = Q[j * n + j];
    for (int k = 0; k < j; ++k) d -= Q[j * n + k] * Q[j * n + k];
    if (!(d > 0)) throw Error("A-weighting FIR design: matrix not positive definite");
    Q[j * n + j] = std::sqrt(d);
    for (int i = j + 1; i < n; ++i) {
      double v = Q[i * n + j];
      for (int k = 0; k < j; ++k) v -= Q[i * n + k] * Q[j * n + k];
      Q[i * n + j] = v / Q[j * n + j];
    }
  }
  for (int i = 0; i < n; ++i) {  // L y = b
    for (int k = 0; k < i; ++k) b[i] -= Q[i * n + k] * b[k];
    b[i] /= Q[i * n + i];
  }
  for (int i = n - 1; i >= 0; --i) {  // L^T a = y
    for (int k = i + 1; k < n; ++k) b[i] -= Q[k * n + i] * b[k];
    b[i] /= Q[i * n + i];
  }
  return b;
}

// firls: minimise the integrated squared error between the FIR's amplitude and
// a desired response that is linear within each band (pairs of consecutive
// frequencies). With h symmetric around M, this is Q a = b with Q Toeplitz plus
// Hankel in q(n) = sum_bands [f sinc(f n)]_{f1}^{f2} and b(n) the integral of the
// desired line times cos(pi n f) (frequencies normalised to Nyquist = 1).
std::vector<double> design_a_weighting_fir(double fs, int n_taps) {
  DS_CHECK(n_taps % 2 == 1);
  const int M = (n_taps - 1) / 2;
  const int n_freqs = 512;  // scipy.signal.freqz(worN=512): k fs / 1024, k < 512
  std::vector<double> f(n_freqs), d(n_freqs);
  for (int k = 0; k < n_freqs; ++k) {
    f[k] = double(k) / n_freqs;  // normalised to Nyquist
    d[k] = a_weighting_digital_magnitude(f[k] * fs / 2.0, fs);
  }
  const int n_bands = n_freqs / 2;
  std::vector<double> q(static_cast<size_t>(n_taps), 0.0), b(static_cast<size_t>(M + 1), 0.0);
  for (int n = 0; n < n_taps; ++n)
    for (int j = 0; j < n_bands; ++j) {
      const double f1 = f[2 * j], f2 = f[2 * j + 1];
      q[n] += sinc(f2 * n) * f2 - sinc(f1 * n) * f1;
    }
  for (int j = 0; j < n_bands; ++j) {
    const double f1 = f[2 * j], f2 = f[2 * j + 1];
    const double m = (d[2 * j + 1] - d[2 * j]) / (f2 - f1);
    const double c = d[2 * j] - f1 * m;
    for (int n = 0; n <= M; ++n) {
      auto term = [&](double ff) {
        double v = ff * (m * ff + c) * sinc(ff * n);
        // n = 0: the integral of (m f + c) is m f^2/2 + c f (L'Hospital on the cos term)
        v += n == 0 ? -m * ff * ff / 2.0 : m * std::cos(n * kPi * ff) / std::pow(kPi * n, 2);
        return v;
      };
      b[n] += term(f2) - term(f1);
    }
  }
  std::vector<double> Q(size_t((M + 1) * (M + 1)));
  for (int i = 0; i <= M; ++i)
    for (int j = 0; j <= M; ++j) Q[i * (M + 1) + j] = q[std::abs(i - j)] + q[i + j];
  const std::vector<double> a = solve_spd(Q, b, M + 1);
  std::vector<double> taps(static_cast<size_t>(n_taps));
  taps[M] = 2.0 * a[0];
  for (int k = 1; k <= M; ++k) taps[M + k] = taps[M - k] = a[k];
  return taps;
}

}  // namespace

// The design costs about 2 ms (a 51 x 51 solve over 256 bands) and depends on
// the rate and tap count alone, while every loss of a batch asks for it: the
// last few designs are kept (a library holds a handful of rates).
std::vector<double> a_weighting_fir(double fs, int n_taps) {
  static std::mutex mutex;
  static std::map<std::pair<double, int>, std::vector<double>> designs;
  const std::pair<double, int> key{fs, n_taps};
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (const auto it = designs.find(key); it != designs.end()) return it->second;
  }
  std::vector<double> taps = design_a_weighting_fir(fs, n_taps);
  std::lock_guard<std::mutex> lock(mutex);
  if (designs.size() >= 32) designs.clear();
  designs.emplace(key, taps);
  return taps;
}

// Tap-outer loops: each pass is a contiguous axpy over the samples, which the
// compiler vectorises without reassociating any sum. The passes run over blocks
// of kFirBlock outputs, which stay in the L1 cache while the taps go by; every
// output still sums its taps in order, so blocking changes no bit.
constexpr int kFirBlock = 2048;

template <typename Real>
DS_CPU_CLONES void fir_same(const Real* x, int n, const std::vector<Real>& taps, Real* y) {
  const int nt = int(taps.size()), half = nt / 2;
  for (int b0 = 0; b0 < n; b0 += kFirBlock) {
    const int b1 = std::min(n, b0 + kFirBlock);
    std::fill(y + b0, y + b1, Real(0));
    for (int k = 0; k < nt; ++k) {
      // y[i] += taps[k] x[i + k - half] for 0 <= i + k - half < n
      const int shift = k - half, i0 = std::max(b0, -shift), i1 = std::min(b1, n - shift);
      const Real c = taps[k];
      for (int i = i0; i < i1; ++i) y[i] += c * x[i + shift];
    }
  }
}

template <typename Real>
DS_CPU_CLONES void fir_same_vjp(const Real* v_y, int n, const std::vector<Real>& taps, Real* v_x) {
  const int nt = int(taps.size()), half = nt / 2;
  for (int b0 = 0; b0 < n; b0 += kFirBlock) {
    const int b1 = std::min(n, b0 + kFirBlock);
    std::fill(v_x + b0, v_x + b1, Real(0));
    for (int k = 0; k < nt; ++k) {
      // the transpose: v_x[m] += taps[k] v_y[m - shift]
      const int shift = k - half, m0 = std::max(b0, shift), m1 = std::min(b1, n + shift);
      const Real c = taps[k];
      for (int m = m0; m < m1; ++m) v_x[m] += c * v_y[m - shift];
    }
  }
}

template void fir_same(const float*, int, const std::vector<float>&, float*);
template void fir_same(const double*, int, const std::vector<double>&, double*);
template void fir_same(const long double*, int, const std::vector<long double>&, long double*);
template void fir_same_vjp(const float*, int, const std::vector<float>&, float*);
template void fir_same_vjp(const double*, int, const std::vector<double>&, double*);

}  // namespace drumsynth
namespace drumsynth {
template void fir_same_vjp(const long double*, int, const std::vector<long double>&, long double*);
}
