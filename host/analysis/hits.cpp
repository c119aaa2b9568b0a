// Finding the hits in a recording (hits.hpp): energy in four bands over short
// frames, in dB; a hit where some band rises by rise_db within rise_within_s
// to within audible_db of its loudest.
#include "drumsynth/hits.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>

#include "drumsynth/math/common.hpp"
#include "loss/real_fft.hpp"

namespace drumsynth {

namespace {

constexpr int kBands = 4;
// Band edges in Hz: a kick's body, a snare's and a tom's, the sticks and
// wires, the cymbals.
constexpr double kBandEdgesHz[kBands + 1] = {30.0, 200.0, 1500.0, 6000.0, 22000.0};

// [frames][kBands] band energies in dB of Hann frames of `len` samples every `hop`.
std::vector<std::array<double, kBands>> band_db(const std::vector<float>& x, double rate, int len,
                                                int hop) {
  int n_fft = 64;
  while (n_fft < len) n_fft *= 2;
  const RealFft<double> fft(n_fft);
  std::vector<double> frame(static_cast<size_t>(n_fft)), window(static_cast<size_t>(len));
  for (int i = 0; i < len; ++i) window[size_t(i)] = 0.5 - 0.5 * std::cos(kTwoPi * (i + 0.5) / len);
  std::vector<std::complex<double>> spectrum(static_cast<size_t>(fft.bins()));
  std::vector<std::array<double, kBands>> db;
  for (size_t start = 0; start < x.size(); start += size_t(hop)) {
    std::fill(frame.begin(), frame.end(), 0.0);
    for (int i = 0; i < len && start + size_t(i) < x.size(); ++i)
      frame[size_t(i)] = x[start + size_t(i)] * window[size_t(i)];
    fft.forward(frame.data(), spectrum.data());
    std::array<double, kBands> e{};
    for (int k = 1; k < fft.bins(); ++k) {
      const double hz = k * rate / n_fft;
      for (int b = 0; b < kBands; ++b)
        if (hz >= kBandEdgesHz[b] && hz < kBandEdgesHz[b + 1])
          e[size_t(b)] += std::norm(spectrum[size_t(k)]);
    }
    for (double& v : e) v = 10.0 * std::log10(v + 1e-20);
    db.push_back(e);
  }
  return db;
}

}  // namespace

std::vector<Hit> find_hits(const Sound& sound, const HitSettings& s) {
  const std::vector<float>& x = sound.samples;
  const double rate = sound.sample_rate;
  const int len = std::max(32, int(std::lround(s.frame_s * rate))), hop = std::max(1, len / 2);
  const auto db = band_db(x, rate, len, hop);
  std::array<double, kBands> loudest;
  loudest.fill(-INFINITY);
  for (const auto& e : db)
    for (int b = 0; b < kBands; ++b)
      loudest[size_t(b)] = std::max(loudest[size_t(b)], e[size_t(b)]);
  const int rise = std::max(1, int(std::lround(s.rise_within_s * rate / hop)));
  const int window = std::max(1, int(std::lround(s.window_s * rate / hop)));
  const int gap = std::max(1, int(std::lround(s.min_gap_s * rate / hop)));
  // Each hit's first frame: the first of its rise at least half the rise
  // over the level before it, in the band that rose.
  std::vector<int> starts;
  for (int f = 0; f < int(db.size()); ++f) {
    if (!starts.empty() && f - starts.back() < gap) continue;
    for (int b = 0; b < kBands; ++b) {
      if (db[size_t(f)][size_t(b)] < loudest[size_t(b)] - s.audible_db) continue;
      // Above the band's loudest level over the window before the rise
      // (before the sound: silence): a decaying sound stays under it, its
      // partials' beating included; a new hit jumps over it.
      double before_db = -200.0;
      for (int g = std::max(0, f - rise - window); g < f - rise; ++g)
        before_db = std::max(before_db, db[size_t(g)][size_t(b)]);
      if (db[size_t(f)][size_t(b)] - before_db < s.rise_db) continue;
      int first = std::max(0, f - rise);
      while (first < f && db[size_t(first)][size_t(b)] < before_db + 0.5 * s.rise_db) ++first;
      starts.push_back(first);
      break;
    }
  }
  if (starts.empty()) starts.push_back(0);
  std::vector<Hit> hits;
  double loudest_peak = 0;
  for (size_t h = 0; h < starts.size(); ++h) {
    Hit hit;
    const size_t first = size_t(starts[h]) * size_t(hop);
    const size_t end = h + 1 < starts.size() ? size_t(starts[h + 1]) * size_t(hop) : x.size();
    for (size_t i = first; i < end && i < x.size(); ++i)
      hit.peak = std::max(hit.peak, double(std::abs(x[i])));
    // Out of silence, the onset is the first sample above a tenth of the
    // hit's peak, 1 ms early (as analyse's); over the ring of the hits
    // before, which may be that loud already, its first frame's start.
    const size_t from = first >= size_t(hop) ? first - size_t(hop) : 0;
    size_t i = from;
    while (i < end && i < x.size() && std::abs(x[i]) < 0.1 * hit.peak) ++i;
    hit.onset_s =
        i > from ? std::max(0.0, (double(i) - 0.001 * rate) / rate) : double(first) / rate;
    loudest_peak = std::max(loudest_peak, hit.peak);
    hits.push_back(hit);
  }
  for (Hit& hit : hits)
    hit.velocity = std::clamp(
        int(std::lround(127.0 * std::sqrt(loudest_peak > 0 ? hit.peak / loudest_peak : 1.0))), 1,
        127);
  return hits;
}

}  // namespace drumsynth
