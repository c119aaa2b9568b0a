// Bands of FFT bins on the ERB-rate scale (Glasberg and Moore: the ear's
// critical bands), shared by the time-frequency envelope error
// (host/report/envelope_errors.hpp) and the band-energy term of the fitting loss
// (CPU: host/loss/mrstft_loss.cpp; GPU: kernels/spectral_loss_kernels.cu), so that what the
// loss fits and what the metric checks are grouped the same way. Host code.
#pragma once

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace drumsynth {

inline double erb_rate(double hz) { return 21.4 * std::log10(1.0 + 0.00437 * hz); }
inline double erb_rate_hz(double e) { return (std::pow(10.0, e / 21.4) - 1.0) / 0.00437; }

// Each band's first and one-past-last bin of an FFT of fft_size at `rate`:
// bands 1 ERB wide from low_hz up to min(high_hz, 0.45 rate), or
// min_band_bins wide where an ERB holds fewer bins (the lowest bands: a band
// of few bins is a noisy estimate of its energy, a chi-square of few degrees
// of freedom). Bin 0 (DC) is never in a band.
inline std::vector<std::pair<int, int>> erb_band_bins(int fft_size, double rate, double low_hz,
                                                      double high_hz, int min_band_bins) {
  const double top = std::min(high_hz, 0.45 * rate), bin_hz = rate / fft_size;
  const int top_bin = std::min(fft_size / 2 + 1, int(std::lround(top / bin_hz)));
  std::vector<std::pair<int, int>> bands;
  int lo = std::max(1, int(std::lround(low_hz / bin_hz)));
  while (lo < top_bin) {
    const int erb_hi = int(std::lround(erb_rate_hz(erb_rate(lo * bin_hz) + 1.0) / bin_hz));
    const int hi = std::min(top_bin, std::max(lo + std::max(1, min_band_bins), erb_hi));
    bands.push_back({lo, hi});
    lo = hi;
  }
  return bands;
}

// The loss's band-energy term's bands of one resolution: 30 Hz up, at least 4
// bins each (as the metric's lowest bands).
inline std::vector<std::pair<int, int>> loss_band_bins(int fft_size, double rate) {
  return erb_band_bins(fft_size, rate, 30.0, 20000.0, 4);
}

}  // namespace drumsynth
