// Analysis of a drum hit for the fit's starting point. Simple, robust
// measurements: an RMS envelope in 10 ms frames, the pitch glide, and windowed
// spectra of the hit's first part and of a later part (zero-padded to 16384
// points), of the hit as recorded for the noise, dechirped for the partials.
#include "drumsynth/analysis.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstdlib>

#include "analysis/damped_sinusoids.hpp"
#include "analysis/dechirp.hpp"
#include "drumsynth/param_table.hpp"
#include "drumsynth/synth/noise_bank.hpp"
#include "drumsynth/synth/noise_rng.hpp"
#include "loss/real_fft.hpp"

namespace drumsynth {

namespace {

constexpr int kFft = 16384;

// Symmetric Hann window of len samples, sample i (no zero at either end).
double hann(int i, int len) { return 0.5 - 0.5 * std::cos(kTwoPi * (i + 0.5) / len); }

// Sum of w and of w^2 over the window.
std::pair<double, double> hann_sums(int len) {
  double s1 = 0, s2 = 0;
  for (int i = 0; i < len; ++i) s1 += hann(i, len), s2 += hann(i, len) * hann(i, len);
  return {s1, s2};
}

// Magnitude spectrum (kFft/2 + 1 bins) of x[start, start + len) under a Hann window,
// scaled so a sinusoid of amplitude A shows a peak of about A.
std::vector<double> spectrum(const std::vector<float>& x, int start, int len) {
  len = std::max(2, std::min({len, kFft, int(x.size()) - start}));
  std::vector<double> frame(kFft, 0.0);
  double wsum = 0;
  for (int i = 0; i < len; ++i) {
    frame[i] = hann(i, len) * x[start + i];
    wsum += hann(i, len);
  }
  RealFft<double> fft(kFft);
  std::vector<std::complex<double>> X(kFft / 2 + 1);
  fft.forward(frame.data(), X.data());
  std::vector<double> mag(X.size());
  for (size_t k = 0; k < X.size(); ++k) mag[k] = 2.0 * std::abs(X[k]) / wsum;
  return mag;
}

// Local maxima of mag, strongest first, at least min_octaves apart, with the
// frequency refined by a parabola through the log magnitudes.
std::vector<std::pair<double, double>> spectral_peaks(const std::vector<double>& mag, double bin_hz,
                                                      int max_peaks, double min_hz, double max_hz,
                                                      double min_octaves) {
  std::vector<int> cand;
  for (int k = 2; k + 2 < int(mag.size()); ++k)
    if (mag[k] > mag[k - 1] && mag[k] >= mag[k + 1] && k * bin_hz >= min_hz && k * bin_hz <= max_hz)
      cand.push_back(k);
  std::sort(cand.begin(), cand.end(), [&](int a, int b) { return mag[a] > mag[b]; });
  std::vector<std::pair<double, double>> peaks;  // (hz, magnitude)
  std::vector<int> taken;
  for (int k : cand) {
    // one peak per min_octaves: neighbours of a taken peak are its skirt
    bool near = false;
    for (int t : taken) near |= std::abs(std::log2(double(k) / t)) < min_octaves;
    if (near) continue;
    const double a = std::log(mag[k - 1] + 1e-12), b = std::log(mag[k] + 1e-12),
                 c = std::log(mag[k + 1] + 1e-12);
    const double d = a - 2 * b + c;
    const double offset = d < 0 ? 0.5 * (a - c) / d : 0.0;
    peaks.push_back({(k + std::clamp(offset, -0.5, 0.5)) * bin_hz, mag[k]});
    taken.push_back(k);
    if (int(peaks.size()) == max_peaks) break;
  }
  return peaks;
}

double clamp_param(int i, double v) {
  const auto& s = param_table()[i];
  return std::clamp(v, s.min, s.max);
}

}  // namespace

namespace {

// Onset: 1 ms before the first sample above a tenth of the peak.
double find_onset_s(const std::vector<float>& x, double sr, double peak) {
  const int n = int(x.size());
  int first = 0;
  while (first < n && std::abs(x[first]) < 0.1 * peak) ++first;
  return std::max(0.0, (first - 0.001 * sr) / sr);
}

// RMS envelope in frames of hop samples from `start` (a small floor keeps its log finite).
std::vector<double> rms_envelope(const std::vector<float>& x, int start, int hop) {
  const int n = int(x.size());
  std::vector<double> env;
  for (int i = start; i < n; i += hop) {
    double s = 0;
    const int m = std::min(hop, n - i);
    for (int j = 0; j < m; ++j) s += double(x[i + j]) * x[i + j];
    env.push_back(std::sqrt(s / m) + 1e-9);
  }
  return env;
}

// Decay: least-squares slope of log RMS (frames of hop samples) from the peak
// down to 40 dB below it; the time constant in which the amplitude falls by e.
double envelope_decay_s(const std::vector<double>& env, int peak_frame, int hop, double sr) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  int m = 0;
  for (int f = peak_frame; f < int(env.size()) && env[f] > env[peak_frame] * 0.01; ++f, ++m) {
    const double t = f * hop / sr, y = std::log(env[f]);
    sx += t, sy += y, sxx += t * t, sxy += t * y;
  }
  const double slope = m >= 2 ? (m * sxy - sx * sy) / (m * sxx - sx * sx) : -1.0 / 0.05;
  return slope < 0 ? -1.0 / slope : 1.0;
}

// Each peak (its frequency) of the dechirped hit becomes a partial: its levels
// in the spectra of the dechirped hit's start (`early`, early_len samples) and
// later_s later, within 1.5% of its frequency (a dechirped partial stays put),
// give its decay; its level at the onset is the early one divided by the
// window-weighted mean of exp(-t / decay) (the window saw it decaying), at most
// the whole hit's peak.
void measure_steady_partials(const std::vector<double>& early, const std::vector<double>& later,
                             double later_s, double sr, int early_len,
                             const std::vector<std::pair<double, double>>& peaks, Analysis& a) {
  const double bin_hz = sr / kFft;
  const auto level = [&](const std::vector<double>& mag, double hz) {
    const int k0 = std::max(0, std::min(int(hz * 0.985 / bin_hz), int(hz / bin_hz) - 2));
    const int k1 =
        std::min(int(mag.size()) - 1, std::max(int(hz * 1.015 / bin_hz) + 1, int(hz / bin_hz) + 2));
    double m = 0;
    for (int j = k0; j <= k1; ++j) m = std::max(m, mag[size_t(j)]);
    return m;
  };
  for (const auto& peak : peaks) {
    const double hz = peak.first;
    const double m = level(early, hz), m2 = level(later, hz);
    a.peak_hz.push_back(hz);
    const double ratio = m / std::max(m2, 1e-9);
    const double tau = ratio > 1.0001 && later_s > 0 ? later_s / std::log(ratio) : a.decay_s;
    a.peak_decay_s.push_back(tau);
    double sw = 0, swe = 0;
    for (int i = 0; i < early_len; ++i)
      sw += hann(i, early_len), swe += hann(i, early_len) * std::exp(-i / sr / tau);
    a.peak_gain.push_back(std::min(m * sw / swe, a.peak));
  }
}

// Partials by the matrix pencil (damped_sinusoids.hpp) on the first 1536
// samples of the dechirped hit (an experiment, DRUMSYNTH_PARTIALS=pencil):
// frequencies, decays and levels at the onset, the kNumPartials of most
// energy (amplitude^2 x decay: a ringing mode before a brief click of the same
// level).
void pencil_partials(const std::vector<float>& x, double sr, Analysis& a) {
  const std::vector<double> seg(x.begin(), x.begin() + std::min(x.size(), size_t(1536)));
  auto modes = matrix_pencil(seg, sr, 2 * kNumPartials + 8, 25.0, std::min(11000.0, 0.45 * sr));
  std::sort(modes.begin(), modes.end(), [](const auto& p, const auto& q) {
    return p.amplitude * p.amplitude * std::min(p.decay_s, 10.0) >
           q.amplitude * q.amplitude * std::min(q.decay_s, 10.0);
  });
  for (size_t k = 0; k < modes.size() && int(k) < kNumPartials; ++k) {
    a.peak_hz.push_back(modes[k].freq_hz);
    a.peak_decay_s.push_back(std::min(modes[k].decay_s, a.decay_s * 4));
    a.peak_gain.push_back(std::min(modes[k].amplitude, a.peak));
  }
}

// Noise band: centroid, spread and flatness of the early spectrum.
void measure_spectral_shape(const std::vector<double>& early, double bin_hz, Analysis& a) {
  double s0 = 0, s1 = 0, s2 = 0, logsum = 0;
  int count = 0;
  for (size_t k = 1; k < early.size(); ++k) {
    const double p = early[k] * early[k], f = k * bin_hz;
    s0 += p, s1 += p * f, s2 += p * f * f;
    logsum += std::log(p + 1e-20), ++count;
  }
  if (s0 > 0) {
    a.centroid_hz = s1 / s0;
    a.spread_hz = std::sqrt(std::max(0.0, s2 / s0 - a.centroid_hz * a.centroid_hz));
    a.flatness = std::exp(logsum / count) / (s0 / count);
  }
}

// Noise floor: the lower quartile of the magnitudes from lo_hz to hi_hz (at
// most 45% of the rate), robust to the partials' peaks and their skirts (a
// band only as wide as the spectrum's spread would lie in a single partial's
// main lobe). Returns the per-sample standard deviation of white noise that
// shows that floor.
double noise_floor_level(const std::vector<double>& early, double sr, int early_len, double peak,
                         double lo_hz = 50.0, double hi_hz = INFINITY) {
  const double bin_hz = sr / kFft;
  const int lo = std::max(1, int(lo_hz / bin_hz));
  const int hi = std::min(
      {int(early.size()) - 1, int(0.45 * sr / bin_hz), int(std::min(hi_hz, 1e9) / bin_hz)});
  if (hi <= lo) return 0.0;
  std::vector<double> band(early.begin() + lo, early.begin() + hi + 1);
  std::nth_element(band.begin(), band.begin() + band.size() / 4, band.end());
  const auto [sw, sw2] = hann_sums(early_len);
  // White noise of standard deviation g shows magnitudes of Rayleigh scale
  // 2 g sqrt(sum w^2) / sum w here; their lower quartile is 0.536 of that.
  return std::min(0.5 * peak, band[band.size() / 4] * sw / (2.0 * std::sqrt(sw2) * 0.536));
}

// The noise bank's bands: the noise floor within each band's range (between
// its crossovers, noise_bank.hpp) early and later_s later; the decay is the
// time constant of that fall, at most the whole sound's (a floor that falls
// slower is the partials' skirts or the room, not the noise). A least-squares
// slope over 50 ms frames was tried too: on the tuning subset it fitted no
// better (bench/results/quality-experiments.md).
void measure_noise_bank(const std::vector<double>& early, const std::vector<double>& later,
                        double later_s, double sr, int early_len, Analysis& a) {
  for (int k = 0; k < kNoiseBands; ++k) {
    const double lo = k == 0 ? 20.0 : noise_bank_crossover_hz(k - 1);
    const double hi = k == kNoiseBands - 1 ? INFINITY : noise_bank_crossover_hz(k);
    const double now = noise_floor_level(early, sr, early_len, a.peak, lo, hi);
    const double then = noise_floor_level(later, sr, early_len, a.peak, lo, hi);
    a.bank_level[k] = now;
    const double ratio = now / std::max(then, 1e-12);
    a.bank_decay_s[k] =
        ratio > 1.0001 && later_s > 0 ? std::min(later_s / std::log(ratio), a.decay_s) : a.decay_s;
  }
}

// The partials: the glide first (dechirp.hpp), then the hit read at equal
// steps of swept time, where every partial is a steady sinusoid at its end
// frequency. Its peaks over the first 0.4 s (a 2.5 Hz resolution; peaks at
// least 1/24 octave apart) give the frequencies to a fraction of a bin,
// spectra of 100 ms give the levels and decays.
void measure_partials(const std::vector<float>& x, int start, double sr, bool by_pencil,
                      Analysis& a) {
  const PitchSweep sweep = estimate_pitch_sweep(x, a.onset_s, sr);
  a.glide_ratio = sweep.ratio;
  a.sweep_s = sweep.sweep_s;
  const double rest_s =
      double(int(x.size()) - start) / sr;  // S(rest) <= rest + (ratio - 1) sweep_s
  const auto read = dechirp(x, a.onset_s * sr, sr, sweep,
                            int((rest_s + (sweep.ratio - 1) * sweep.sweep_s) * sr), 1.0 / sr);
  const std::vector<float> steady(read.begin(), read.end());
  const int n = int(steady.size());
  if (by_pencil) return pencil_partials(steady, sr, a);
  const double bin_hz = sr / kFft;
  const auto whole = spectrum(steady, 0, std::min(n, std::max(int(0.4 * sr), 64)));
  const auto peaks =
      spectral_peaks(whole, bin_hz, kNumPartials, 25.0, std::min(11000.0, 0.45 * sr), 1.0 / 24);
  const int early_len = std::min(n, std::max(int(0.1 * sr), 64));
  const double later_s = std::min(0.1, 0.5 * n / sr);
  const int later_start = int(later_s * sr);
  measure_steady_partials(spectrum(steady, 0, early_len),
                          spectrum(steady, later_start, std::min(early_len, n - later_start)),
                          later_s, sr, early_len, peaks, a);
}

double peak_of(const std::vector<float>& x) {
  double peak = 0;
  for (float v : x) peak = std::max(peak, double(std::abs(v)));
  return peak;
}

// A fade-out at the recording's end (an editor's fade or gate): the log RMS
// envelope in 5 ms frames, its trend a least-squares line over the window
// before the last quarter (at most the last 100 ms) of the hit, and the
// last frame's fall under that line. A drum's own decay slows as its high
// partials die (the envelope in dB bends up, above a line fitted before), so
// a fall under the line is the fade's. The fade starts at the first frame of
// the end region from which every frame sits 3 dB or more under the line;
// its rate, the last frame's fall over the time from the fade's start to
// that frame's middle.
void measure_end_fade(const std::vector<float>& x, int start, double sr, Analysis& a) {
  constexpr double kMinDropDb = 12.0, kBelowDb = 3.0;
  const int hop = std::max(1, int(0.005 * sr));
  const auto env = rms_envelope(x, start, hop);
  const int frames = int(env.size()) - 1;  // (the last may be short: left out)
  const int tail = std::min(frames / 4, int(0.1 * sr / hop));
  if (tail < 4) return;
  const int first = std::max(0, frames - tail - std::max(3 * tail, int(0.3 * sr / hop)));
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  const int m = frames - tail - first;
  for (int f = first; f < frames - tail; ++f) {
    const double t = f, y = 20.0 * std::log10(env[size_t(f)]);
    sx += t, sy += y, sxx += t * t, sxy += t * y;
  }
  const double slope = (m * sxy - sx * sy) / (m * sxx - sx * sx), at0 = (sy - slope * sx) / m;
  const auto under = [&](int f) { return at0 + slope * f - 20.0 * std::log10(env[size_t(f)]); };
  const double drop = under(frames - 1);
  if (!(drop >= kMinDropDb)) return;
  int from = frames - 1;
  while (from > frames - tail && under(from - 1) >= kBelowDb) --from;
  a.fade_start_s = double(from) * hop / sr;
  a.fade_db_per_s = drop / std::max(double(frames - 1 - from) + 0.5, 0.5) / (hop / sr);
}

}  // namespace

double onset_s(const Sound& target) {
  return find_onset_s(target.samples, target.sample_rate, peak_of(target.samples));
}

Analysis analyse(const Sound& target, bool partials_by_pencil) {
  const auto& x = target.samples;
  const double sr = target.sample_rate;
  const int n = int(x.size());
  Analysis a;
  a.peak = peak_of(x);
  a.onset_s = find_onset_s(x, sr, a.peak);
  const int hop = std::max(1, int(0.01 * sr));  // 10 ms frames
  const int start = int(a.onset_s * sr);
  const auto env = rms_envelope(x, start, hop);
  const int peak_frame = int(std::max_element(env.begin(), env.end()) - env.begin());
  a.attack_s = std::max(0.0005, (peak_frame + 0.5) * hop / sr / 3.0);
  a.decay_s = envelope_decay_s(env, peak_frame, hop, sr);
  a.length_s = std::max(1.0 / sr, (n - start) / sr);
  // Spectra of the first 100 ms and of 100 ms later (or half-way through a
  // short hit), for the noise's measures.
  const double bin_hz = sr / kFft;
  const int early_len = std::min(n - start, std::max(int(0.1 * sr), 64));
  const auto early = spectrum(x, start, early_len);
  const double later_s = std::min(0.1, 0.5 * (n - start) / sr);
  const int later_start = start + int(later_s * sr);
  const auto later = spectrum(x, later_start, std::min(early_len, n - later_start));
  measure_partials(x, start, sr, partials_by_pencil, a);
  measure_spectral_shape(early, bin_hz, a);
  a.noise_level = noise_floor_level(early, sr, early_len, a.peak);
  measure_noise_bank(early, later, later_s, sr, early_len, a);
  measure_end_fade(x, start, sr, a);
  return a;
}

std::vector<double> params_from_analysis(const Analysis& a, double sr) {
  std::vector<double> p(kNumParams);
  const auto& t = param_table();
  // The default: a block newer than the first model starts as older presets
  // load it (silent or off: param_table.cpp's `absent`), the rest at the
  // geometric middle of their range; the analysis sets what it measures.
  for (int i = 0; i < kNumParams; ++i)
    p[i] = t[i].since_version > 1 && t[i].absent_from < 0 ? clamp_param(i, t[i].absent)
           : t[i].map == ParamMap::log                    ? std::sqrt(t[i].min * t[i].max)
                                                          : 0.5 * (t[i].min + t[i].max);
  auto set = [&](int i, double v) { p[i] = clamp_param(i, v); };
  set(P::onset_s, a.onset_s);
  set(P::sweep_ratio, a.glide_ratio);
  set(P::sweep_s, a.sweep_s);
  set(P::tone_attack_s, a.attack_s);
  for (int k = 0; k < kNumPartials; ++k) {
    if (k < int(a.peak_hz.size())) {
      set(P::tone_freq_hz(k), a.peak_hz[k]);
      set(P::tone_decay_s(k), a.peak_decay_s[k]);
      set(P::tone_gain(k), a.peak_gain[k]);
    } else {  // fewer peaks than partials: silent spares spread over the spectrum
      set(P::tone_freq_hz(k), 100.0 * std::pow(2.0, 0.7 * k));
      set(P::tone_decay_s(k), a.decay_s);
      set(P::tone_gain(k), 1e-4);
    }
  }
  const double main_hz = a.peak_hz.empty() ? 200.0 : a.peak_hz[0];
  set(P::transient_freq_hz, main_hz);
  set(P::transient_attack_s, 0.0005);
  set(P::transient_decay_s, 0.01);
  set(P::transient_drive, 1.0);
  set(P::transient_gain, 0.02 * a.peak);  // a faint click; the fit raises it where the hit has one
  set(P::resonator_freq_hz, main_hz);
  set(P::resonator_decay_s, 0.05);
  set(P::resonator_damping_hz, 4000.0);
  set(P::resonator_gain, 1e-3);
  set(P::noise_attack_s, 0.001);
  set(P::noise_decay_s, std::min(a.decay_s, 0.5));
  set(P::noise_low_hz, std::max(20.0, a.centroid_hz - a.spread_hz));
  set(P::noise_high_hz, std::min(0.45 * sr, a.centroid_hz + a.spread_hz));
  // The noise band's output is gain * envelope * filtered unit noise. The floor
  // estimate errs high when partials glide (their skirts fill the band), and
  // too much noise costs more loss than too little, so no envelope correction.
  // The bank carries most of the floor, band by band with its own decays; the
  // band keeps a quarter (its filters can still narrow it onto a resonance).
  set(P::noise_gain, 0.25 * a.noise_level);
  for (int k = 0; k < kNoiseBands; ++k) {
    set(P::noise_bank_gain(k), 0.75 * a.bank_level[k]);
    set(P::noise_bank_decay_s(k), a.bank_decay_s[k]);
  }
  // The release starts inside the recording, mild (-3.5 dB at its end), so
  // that the loss's gradient reaches it: a recording faded or gated at its
  // end pulls it in, one that rings out pushes it away.
  set(P::release_start_s, 0.8 * a.length_s);
  set(P::release_s, 0.5 * a.length_s);
  // The gate: the recording's own fade-out, starting as it and falling as
  // fast (20 log10(e) / tau dB a second); off (past any end) where it has none.
  set(P::gate_start_s, param_table()[P::gate_start_s].max);
  set(P::gate_s, param_table()[P::gate_s].max);
  if (a.fade_db_per_s > 0) {
    set(P::gate_start_s, a.fade_start_s);
    set(P::gate_s, 20.0 * std::log10(std::exp(1.0)) / a.fade_db_per_s);
  }
  return p;
}

std::vector<float> analysis_logits(const Sound& target, int k, uint64_t seed, double spread,
                                   bool partials_by_pencil) {
  const auto p = params_from_analysis(analyse(target, partials_by_pencil), target.sample_rate);
  std::vector<float> base(kNumParams);
  for (int i = 0; i < kNumParams; ++i) base[i] = float(logit_from_param(p[i], param_table()[i]));
  std::vector<float> out;
  for (int r = 0; r < k; ++r) {
    for (int i = 0; i < kNumParams; ++i) {
      double z = base[i];
      if (r > 0) z += spread * standard_normal(seed + uint64_t(r), uint64_t(i));
      out.push_back(float(z));
    }
  }
  return out;
}

}  // namespace drumsynth
