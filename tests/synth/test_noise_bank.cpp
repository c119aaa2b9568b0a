// The noise bank: each band's power lies in its own range, together they cover
// the spectrum, and the per-sample adjoint matches finite differences.
#include <gtest/gtest.h>

#include <complex>
#include <numeric>

#include "drumsynth/synth/voice_program.hpp"
#include "gradient_check.hpp"
#include "loss/real_fft.hpp"

namespace drumsynth {
namespace {

// Each band's power, averaged over a sixth of an octave around the middle of its
// range (geometric), is the largest of all the bands there: the bands are in
// order and each covers its own part of the spectrum.
TEST(NoiseBank, EachBandHoldsItsOwnRange) {
  const int n = 1 << 16;
  const double sr = 48000;
  std::vector<double> bands(size_t(kNoiseBands) * n);
  noise_bank_filter(sr, 2, n, bands.data(), size_t(n));
  RealFft<double> fft(n);
  std::vector<std::vector<double>> power(kNoiseBands, std::vector<double>(n / 2 + 1));
  std::vector<std::complex<double>> X(n / 2 + 1);
  for (int k = 0; k < kNoiseBands; ++k) {
    fft.forward(bands.data() + size_t(k) * n, X.data());
    for (int j = 0; j <= n / 2; ++j) power[k][j] = std::norm(X[j]);
  }
  for (int k = 0; k < kNoiseBands; ++k) {
    const double lo = k == 0 ? 40.0 : noise_bank_crossover_hz(k - 1);
    const double hi = k == kNoiseBands - 1 ? 16000.0 : noise_bank_crossover_hz(k);
    const double mid = std::sqrt(lo * hi);
    const int j0 = int(mid * std::pow(2.0, -1.0 / 12) / sr * n),
              j1 = int(mid * std::pow(2.0, 1.0 / 12) / sr * n);
    std::vector<double> mean(kNoiseBands, 0.0);
    for (int b = 0; b < kNoiseBands; ++b)
      for (int j = j0; j <= j1; ++j) mean[b] += power[b][j];
    const int loudest = int(std::max_element(mean.begin(), mean.end()) - mean.begin());
    std::printf("  band %d (%.0f-%.0f Hz): at %.0f Hz it holds %.0f%% of the power\n", k + 1, lo,
                hi, mid, 100 * mean[k] / std::accumulate(mean.begin(), mean.end(), 0.0));
    EXPECT_EQ(loudest, k) << "at " << mid << " Hz";
  }
  // Together they cover the spectrum: their summed power, over third-octaves
  // from 40 Hz to 16 kHz, stays within 10 dB of the white noise's, with no
  // hole (a missing band would leave -20 dB or less). Measured at 48 kHz:
  // -2 dB at 40 Hz falling to -8.4 dB at 8-10 kHz (two skirts meet at each
  // crossover, and the one-pole high-pass x - lowpass(x) stays below 1 near
  // Nyquist, as the noise band's does). The gains absorb the tilt.
  double worst_db = 0;
  for (double f = 40; f < 16000; f *= std::pow(2.0, 1.0 / 3)) {
    const int j0 = int(f / sr * n), j1 = int(f * std::pow(2.0, 1.0 / 3) / sr * n);
    double sum = 0, count = 0;
    for (int j = j0; j < j1; ++j, ++count)
      for (int k = 0; k < kNoiseBands; ++k) sum += power[k][j];
    const double white = n;  // E|X_j|^2 of unit-variance white noise over n samples
    worst_db = std::max(worst_db, std::abs(10 * std::log10(sum / count / white)));
  }
  std::printf(
      "  summed bands vs white noise, third-octaves 40 Hz-16 kHz: worst %.1f dB (bound 10)\n",
      worst_db);
  EXPECT_LT(worst_db, 10.0);
}

TEST(NoiseBank, AdjointMatchesFiniteDifferences) {
  const int n = 3000;
  const double sr = 48000;  // every band in range (the top one starts at 15 kHz)
  std::vector<double> p(kNumParams, 0.0), w(n);
  p[P::onset_s] = 0.0101;
  p[P::noise_attack_s] = 0.002;
  std::vector<int> idx = {P::noise_attack_s, P::onset_s};
  std::vector<std::string> names = {"attack_s", "onset_s"};
  for (int k = 0; k < kNoiseBands; ++k) {
    p[P::noise_bank_gain(k)] = 0.1 + 0.05 * k, p[P::noise_bank_decay_s(k)] = 0.3 / (k + 1);
    idx.push_back(P::noise_bank_gain(k)), names.push_back("bank" + std::to_string(k + 1) + "_gain");
    idx.push_back(P::noise_bank_decay_s(k)),
        names.push_back("bank" + std::to_string(k + 1) + "_decay_s");
  }
  for (int i = 0; i < n; ++i) w[i] = std::cos(0.11 * i);
  std::vector<double> bands(size_t(kNoiseBands) * n);
  noise_bank_filter(sr, 9, n, bands.data(), size_t(n));
  const std::vector<long double> bands_l(bands.begin(), bands.end());
  auto loss = [&](const std::vector<long double>& q) {
    std::vector<long double> pp(p.begin(), p.end());
    for (size_t j = 0; j < idx.size(); ++j) pp[idx[j]] = q[j];
    long double l = 0;
    for (int i = 0; i < n; ++i) {  // (before the onset the rise is 0)
      const long double t = (long double)i / sr - pp[P::onset_s];
      const long double rise = envelope_rise(t, pp[P::noise_attack_s]);
      l += w[i] *
           block_sample<NoiseBankBlock>(pp.data(), rise, t, 0.0L, bands_l.data() + i, size_t(n));
    }
    return l;
  };
  std::vector<double> v_p(kNumParams, 0.0);
  double v_t = 0, v_S = 0;
  for (int i = 0; i < n; ++i) {
    const double t = i / sr - p[P::onset_s], rise = envelope_rise(t, p[P::noise_attack_s]);
    double v_rise = 0;
    block_sample_vjp<NoiseBankBlock>(p.data(), rise, t, 0.0, bands.data() + i, size_t(n), w[i],
                                     v_p.data(), v_rise, v_t, v_S);
    envelope_rise_vjp(t, p[P::noise_attack_s], v_rise, v_p[P::noise_attack_s], v_t);
  }
  v_p[P::onset_s] -= v_t;
  std::vector<double> q, analytic, steps;
  for (int j : idx)
    q.push_back(p[j]), analytic.push_back(v_p[j] * p[j]), steps.push_back(1e-6 * p[j]);
  auto numeric = test::numeric_gradient<long double>(loss, q, steps);
  for (size_t j = 0; j < q.size(); ++j) numeric[j] *= q[j];
  // 1e-5 relative, as the other blocks.
  test::expect_gradients_match(analytic, numeric, names, 1e-5, 1e-12, "noise bank");
}

}  // namespace
}  // namespace drumsynth
