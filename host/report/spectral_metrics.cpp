// DrumBlender's log-spectral distance and MFCC error, and the end level
// (spectral_metrics.hpp). In double, on pocketfft (real_fft.hpp).
#include "report/spectral_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <complex>

#include "drumsynth/math/common.hpp"
#include "loss/real_fft.hpp"

namespace drumsynth {

namespace {

// Power spectra |X_k|^2 of torch.stft(x, n_fft, hop, hann_window(n_fft),
// center=True, pad_mode="reflect"): [frames][n_fft / 2 + 1], 1 + N / hop
// frames, frame f centred on sample f hop.
std::vector<std::vector<double>> power_stft(std::vector<double> x, int n_fft, int hop) {
  const int pad = n_fft / 2;
  if (int(x.size()) <= pad) x.resize(size_t(pad) + 1, 0.0);  // reflect padding needs N > pad
  const int n = int(x.size()), frames = 1 + n / hop;
  std::vector<double> window(static_cast<size_t>(n_fft)), frame(static_cast<size_t>(n_fft));
  for (int i = 0; i < n_fft; ++i)
    window[size_t(i)] = 0.5 - 0.5 * std::cos(kTwoPi * i / n_fft);  // periodic
  const RealFft<double> fft(n_fft);
  std::vector<std::complex<double>> spectrum(static_cast<size_t>(fft.bins()));
  std::vector<std::vector<double>> power(static_cast<size_t>(frames),
                                         std::vector<double>(static_cast<size_t>(fft.bins())));
  for (int f = 0; f < frames; ++f) {
    for (int i = 0; i < n_fft; ++i) {
      int s = f * hop + i - pad;
      if (s < 0) s = -s;  // reflect, the edge sample not repeated
      if (s >= n) s = 2 * (n - 1) - s;
      frame[size_t(i)] = x[size_t(s)] * window[size_t(i)];
    }
    fft.forward(frame.data(), spectrum.data());
    for (int k = 0; k < fft.bins(); ++k)
      power[size_t(f)][size_t(k)] = std::norm(spectrum[size_t(k)]);
  }
  return power;
}

// torchaudio's HTK mel scale and its triangular filters (melscale_fbanks,
// norm None): [n_mels][bins], bins spread linearly from 0 to rate // 2.
std::vector<std::vector<double>> mel_filters(int bins, int n_mels, double rate) {
  const auto mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
  const auto hz = [](double m) { return 700.0 * (std::pow(10.0, m / 2595.0) - 1.0); };
  const double top = std::floor(rate / 2);  // torchaudio: float(sample_rate // 2)
  std::vector<double> f_pts(static_cast<size_t>(n_mels) + 2);
  for (int i = 0; i < n_mels + 2; ++i) f_pts[size_t(i)] = hz(mel(top) * i / (n_mels + 1));
  std::vector<std::vector<double>> fb(static_cast<size_t>(n_mels),
                                      std::vector<double>(static_cast<size_t>(bins)));
  for (int k = 0; k < bins; ++k) {
    const double f = top * k / (bins - 1);
    for (int m = 0; m < n_mels; ++m) {
      const double down = (f - f_pts[size_t(m)]) / (f_pts[size_t(m) + 1] - f_pts[size_t(m)]);
      const double up = (f_pts[size_t(m) + 2] - f) / (f_pts[size_t(m) + 2] - f_pts[size_t(m) + 1]);
      fb[size_t(m)][size_t(k)] = std::max(0.0, std::min(down, up));
    }
  }
  return fb;
}

// The MFCCs [n_mfcc][frames] of torchaudio.transforms.MFCC(sample_rate,
// n_mfcc, melkwargs {n_fft, hop_length}) over one sound.
std::vector<std::vector<double>> mfcc(const std::vector<double>& x, double rate) {
  constexpr int kFft = 2048, kHop = 128, kMels = 128, kCoefficients = 40;
  const auto power = power_stft(x, kFft, kHop);
  const auto fb = mel_filters(kFft / 2 + 1, kMels, rate);
  const size_t frames = power.size();
  // Mel power in dB: 10 log10(max(p, 1e-10)), at least 80 dB under its maximum.
  std::vector<std::vector<double>> db(kMels, std::vector<double>(frames));
  double loudest = -INFINITY;
  for (int m = 0; m < kMels; ++m)
    for (size_t t = 0; t < frames; ++t) {
      double p = 0;
      for (size_t k = 0; k < power[t].size(); ++k) p += fb[size_t(m)][k] * power[t][k];
      db[size_t(m)][t] = 10.0 * std::log10(std::max(p, 1e-10));
      loudest = std::max(loudest, db[size_t(m)][t]);
    }
  for (auto& band : db)
    for (double& v : band) v = std::max(v, loudest - 80.0);
  // DCT-II, orthonormal (create_dct with norm "ortho").
  std::vector<std::vector<double>> c(kCoefficients, std::vector<double>(frames, 0.0));
  for (int k = 0; k < kCoefficients; ++k) {
    const double scale = std::sqrt(2.0 / kMels) * (k == 0 ? 1.0 / std::sqrt(2.0) : 1.0);
    for (int m = 0; m < kMels; ++m) {
      const double basis = scale * std::cos(kPi / kMels * (m + 0.5) * k);
      for (size_t t = 0; t < frames; ++t) c[size_t(k)][t] += basis * db[size_t(m)][t];
    }
  }
  return c;
}

// The estimate cut or zero-padded to the target's length.
std::vector<double> fitted_to(std::vector<double> estimate, size_t n) {
  estimate.resize(n, 0.0);
  return estimate;
}

}  // namespace

double log_spectral_distance(const std::vector<double>& estimate,
                             const std::vector<double>& target) {
  constexpr int kFft = 8092, kHop = 64;
  const auto px = power_stft(fitted_to(estimate, target.size()), kFft, kHop);
  const auto py = power_stft(target, kFft, kHop);
  double sum = 0;
  for (size_t f = 0; f < py.size(); ++f) {
    double d2 = 0;
    for (size_t k = 0; k < py[f].size(); ++k) {
      const double d = std::log(px[f][k] + 1e-8) - std::log(py[f][k] + 1e-8);
      d2 += d * d;
    }
    sum += std::sqrt(d2 / double(py[f].size()));
  }
  return sum / double(py.size());
}

double mfcc_error(const std::vector<double>& estimate, const std::vector<double>& target,
                  double sample_rate) {
  const auto cx = mfcc(fitted_to(estimate, target.size()), sample_rate),
             cy = mfcc(target, sample_rate);
  double error = 0;
  for (size_t k = 0; k < cy.size(); ++k) {
    double sum = 0;
    for (size_t t = 0; t < cy[k].size(); ++t) sum += std::abs(cx[k][t] - cy[k][t]);
    error += sum / double(cy[k].size());
  }
  return error;
}

double end_level_db(const std::vector<double>& x, double sample_rate, double end_s,
                    double before_s) {
  double peak = 0;
  for (double v : x) peak = std::max(peak, std::abs(v));
  const size_t last = x.size() - std::min(x.size(), size_t(std::lround(before_s * sample_rate)));
  const size_t n = std::min(last, std::max<size_t>(1, size_t(std::lround(end_s * sample_rate))));
  double sum = 0;
  for (size_t i = last - n; i < last; ++i) sum += x[i] * x[i];
  if (peak <= 0 || n == 0) return -120.0;
  return std::max(-120.0, 20.0 * std::log10(std::sqrt(sum / double(n)) / peak));
}

}  // namespace drumsynth
