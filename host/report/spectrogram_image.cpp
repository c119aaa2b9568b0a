#include "report/spectrogram_image.hpp"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <complex>

#include "drumsynth/error.hpp"
#include "drumsynth/math/common.hpp"
#include "io/write_atomic.hpp"
#include "loss/real_fft.hpp"

namespace drumsynth {

namespace {

constexpr int kFft = 2048;
constexpr double kLowHz = 30.0;

// A perceptually ordered map (dark violet -> red -> pale yellow, like
// matplotlib's magma): linear between these stops.
const uint8_t kStops[][3] = {{0, 0, 4},      {59, 15, 112},   {140, 41, 129},
                             {222, 73, 104}, {254, 159, 109}, {252, 253, 191}};

void colour(double t, uint8_t* out) {
  t = std::clamp(t, 0.0, 1.0) * 5.0;
  const int i = std::min(4, int(t));
  const double f = t - i;
  for (int c = 0; c < 3; ++c)
    out[c] = uint8_t(std::lround(kStops[i][c] + f * (kStops[i + 1][c] - kStops[i][c])));
}

}  // namespace

std::vector<std::vector<float>> log_spectrogram_db(const std::vector<double>& x, double rate,
                                                   int width, int height) {
  const RealFft<double> fft(kFft);
  std::vector<double> window(kFft), frame(kFft);
  for (int i = 0; i < kFft; ++i) window[size_t(i)] = 0.5 - 0.5 * std::cos(kTwoPi * i / kFft);
  std::vector<std::complex<double>> X(kFft / 2 + 1);
  const double top_hz = rate / 2, bin_hz = rate / kFft;
  std::vector<std::vector<float>> db(static_cast<size_t>(height),
                                     std::vector<float>(static_cast<size_t>(width)));
  for (int c = 0; c < width; ++c) {
    const long centre = long((c + 0.5) / width * double(x.size()));
    for (int i = 0; i < kFft; ++i) {
      const long t = centre - kFft / 2 + i;
      frame[size_t(i)] = t >= 0 && t < long(x.size()) ? window[size_t(i)] * x[size_t(t)] : 0.0;
    }
    fft.forward(frame.data(), X.data());
    // Row r covers [f(r), f(r + 1)) on the log axis; its value is the
    // strongest bin there (or the nearest bin where the row is narrower).
    for (int r = 0; r < height; ++r) {
      const double lo = kLowHz * std::pow(top_hz / kLowHz, double(height - 1 - r) / height);
      const double hi = kLowHz * std::pow(top_hz / kLowHz, double(height - r) / height);
      const int k0 = std::min(kFft / 2, int(lo / bin_hz)),
                k1 = std::min(kFft / 2, std::max(k0, int(hi / bin_hz)));
      double p = 0;
      for (int k = k0; k <= k1; ++k) p = std::max(p, std::norm(X[size_t(k)]));
      db[size_t(r)][size_t(c)] = float(10.0 * std::log10(p + 1e-20));
    }
  }
  return db;
}

double spectrogram_peak_db(const std::vector<std::vector<float>>& db) {
  double peak = -INFINITY;
  for (const auto& row : db)
    for (float v : row) peak = std::max(peak, double(v));
  return peak;
}

RgbImage colour_spectrogram(const std::vector<std::vector<float>>& db, double top_db,
                            double range_db) {
  RgbImage im;
  im.height = int(db.size());
  im.width = db.empty() ? 0 : int(db[0].size());
  im.rgb.resize(size_t(im.width) * size_t(im.height) * 3);
  for (int r = 0; r < im.height; ++r)
    for (int c = 0; c < im.width; ++c)
      colour((db[size_t(r)][size_t(c)] - (top_db - range_db)) / range_db,
             &im.rgb[(size_t(r) * size_t(im.width) + size_t(c)) * 3]);
  return im;
}

void write_png(const std::string& path, const RgbImage& image) {
  write_atomic(path, [&](const std::string& tmp) {
    png_image png{};
    png.version = PNG_IMAGE_VERSION;
    png.width = png_uint_32(image.width), png.height = png_uint_32(image.height);
    png.format = PNG_FORMAT_RGB;
    if (!png_image_write_to_file(&png, tmp.c_str(), 0, image.rgb.data(), image.width * 3, nullptr))
      throw Error(path + ": cannot write the PNG (" + png.message + ")");
  });
}

}  // namespace drumsynth
