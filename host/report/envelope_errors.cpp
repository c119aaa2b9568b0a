#include "report/envelope_errors.hpp"

#include <algorithm>
#include <cmath>
#include <complex>

#include "drumsynth/erb_bands.hpp"
#include "drumsynth/math/common.hpp"
#include "loss/real_fft.hpp"

namespace drumsynth {

namespace {

std::vector<double> rms_db(const std::vector<double>& x, int hop) {
  std::vector<double> e;
  for (size_t i = 0; i < x.size(); i += size_t(hop)) {
    double s = 0;
    const size_t m = std::min(size_t(hop), x.size() - i);
    for (size_t j = 0; j < m; ++j) s += x[i + j] * x[i + j];
    e.push_back(std::max(-80.0, 10.0 * std::log10(s / double(m) + 1e-20)));
  }
  return e;
}

}  // namespace

double rms_envelope_error_db(const std::vector<double>& estimate, const std::vector<double>& target,
                             double rate, double hop_s) {
  std::vector<double> x = estimate;
  x.resize(target.size(), 0.0);
  const int hop = std::max(1, int(hop_s * rate));
  const auto ex = rms_db(x, hop), ey = rms_db(target, hop);
  double s = 0;
  for (size_t i = 0; i < ey.size(); ++i) s += std::abs(ex[i] - ey[i]);
  return ey.empty() ? 0.0 : s / double(ey.size());
}

std::vector<std::vector<double>> tf_envelope_db(const std::vector<double>& x, double rate,
                                                const TfEnvelopeSettings& s) {
  const int win = std::max(2, int(std::lround(s.frame_s * rate))),
            hop = std::max(1, int(std::lround(s.hop_s * rate)));
  int n = 1;
  while (n < win) n *= 2;
  const RealFft<double> fft(n);
  const auto bands = erb_band_bins(n, rate, s.low_hz, s.high_hz, s.min_band_bins);
  std::vector<double> w(static_cast<size_t>(win)), frame(static_cast<size_t>(n));
  for (int i = 0; i < win; ++i) w[size_t(i)] = 0.5 - 0.5 * std::cos(2.0 * kPi * i / win);
  std::vector<std::complex<double>> X(size_t(n / 2 + 1));
  std::vector<std::vector<double>> cells;
  // Frames centred on 0, hop, 2 hop, ... (zeros outside the sound).
  for (long c = 0; c < long(x.size()); c += hop) {
    std::fill(frame.begin(), frame.end(), 0.0);
    for (int i = 0; i < win; ++i) {
      const long t = c - win / 2 + i;
      if (t >= 0 && t < long(x.size())) frame[size_t(i)] = w[size_t(i)] * x[size_t(t)];
    }
    fft.forward(frame.data(), X.data());
    std::vector<double> row;
    for (const auto& [lo, hi] : bands) {
      double e = 0;
      for (int k = lo; k < hi; ++k) e += std::norm(X[size_t(k)]);
      row.push_back(10.0 * std::log10(e + 1e-30));
    }
    cells.push_back(std::move(row));
  }
  return cells;
}

double tf_envelope_error_db(const std::vector<double>& estimate, const std::vector<double>& target,
                            double rate, const TfEnvelopeSettings& s) {
  std::vector<double> x = estimate;
  x.resize(target.size(), 0.0);
  const auto ex = tf_envelope_db(x, rate, s), ey = tf_envelope_db(target, rate, s);
  double loudest = -INFINITY;
  for (const auto& row : ey)
    for (double v : row) loudest = std::max(loudest, v);
  const double floor_db = loudest - s.range_db;
  double sum = 0;
  long count = 0;
  for (size_t f = 0; f < ey.size(); ++f)
    for (size_t b = 0; b < ey[f].size(); ++b) {
      const double a = std::max(floor_db, ex[f][b]), t = std::max(floor_db, ey[f][b]);
      if (a > floor_db || t > floor_db) sum += std::abs(a - t), ++count;
    }
  return count ? sum / double(count) : 0.0;
}

}  // namespace drumsynth
