// MRSTFT loss and gradient on the CPU. Per resolution: reflect-pad, frame,
// window, real FFT, per-bin loss terms; the gradient runs the same chain
// backwards: per-bin dL/dX, adjoint FFT, window, overlap-add, un-pad.
#include "loss/mrstft_loss.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>
#include <type_traits>

#include "cpu/cpu_clones.hpp"
#include "cpu/flush_denormals.hpp"
#include "drumsynth/erb_bands.hpp"
#include "drumsynth/error.hpp"
#include "drumsynth/spectral/spectral_loss_math.hpp"
#include "loss/a_weighting.hpp"

namespace drumsynth {

namespace {
// Sums over frames and bins: double for float and double, long double for the
// tests' long double instantiation.
template <typename Real>
using Acc = std::common_type_t<Real, double>;

template <typename Real>
Real rms(const std::vector<Real>& x) {
  Acc<Real> s = 0;
  for (Real v : x) s += Acc<Real>(v) * Acc<Real>(v);
  return Real(std::sqrt(s / Acc<Real>(x.size())));
}

// torch.stft's reflect padding by n/2 = half on both sides of a signal
// zero-extended from N to padded_len samples (stft_framing.hpp):
//   padded[j] = x[reflect_index(j - half, padded_len)], 0 where that index >= N.
// The middle is a copy; only the two edges reflect.
template <typename Real>
void reflect_pad(const Real* x, int N, int padded_len, int half, Real* padded) {
  const auto at = [&](int j) {
    const int s = reflect_index(j - half, padded_len);
    return s < N ? x[s] : Real(0);
  };
  for (int j = 0; j < half; ++j) padded[j] = at(j);
  std::copy(x, x + N, padded + half);
  std::fill(padded + half + N, padded + half + padded_len, Real(0));
  for (int j = half + padded_len; j < padded_len + 2 * half; ++j) padded[j] = at(j);
}

// Its adjoint: v_x[s] += the v_padded entries that read sample s.
template <typename Real>
void reflect_pad_adjoint_add(const Real* v_padded, int N, int padded_len, int half, Real* v_x) {
  const auto add = [&](int j) {
    const int s = reflect_index(j - half, padded_len);
    if (s < N) v_x[s] += v_padded[j];
  };
  for (int j = 0; j < half; ++j) add(j);
  for (int s = 0; s < N; ++s) v_x[s] += v_padded[half + s];
  for (int j = half + padded_len; j < padded_len + 2 * half; ++j) add(j);
}

// Mean squares of frames of len samples (the last may be shorter).
template <typename Real>
std::vector<Acc<Real>> frame_mean_squares(const std::vector<Real>& x, int len) {
  const int n = int(x.size());
  std::vector<Acc<Real>> e(size_t(envelope_frame_count(n, len)));
  for (int j = 0; j < int(e.size()); ++j)
    e[size_t(j)] = envelope_frame_mean_square<Acc<Real>>(x.data(), n, len, j);
  return e;
}
}  // namespace

template <typename Real>
MrstftLoss<Real>::MrstftLoss(const LossSettings& settings, double sample_rate,
                             std::vector<Real> target, int n_threads)
    : settings_(settings), target_(std::move(target)), n_threads_(std::max(1, n_threads)) {
  // The target's side in the same floating-point mode as the estimate's
  // (evaluate), so a sound against itself gives exactly 0 even where its
  // spectra pass through the denormal range.
  const FlushDenormals flush;
  const int N = int(target_.size());
  if (N < 1) throw Error("loss: empty target");
  if (settings_.resolutions.empty()) throw Error("loss: no resolutions");
  if (settings_.a_weighting) {
    for (double t : a_weighting_fir(sample_rate)) fir_.push_back(Real(t));
    pre_y_.resize(size_t(N));
    fir_same(target_.data(), N, fir_, pre_y_.data());
  } else {
    pre_y_ = target_;
  }
  rms_y_ = rms(target_);
  if (settings_.w_env_log != 0) {
    env_len_ = std::max(1, int(std::lround(settings_.env_frame_s * sample_rate)));
    const auto e = frame_mean_squares(target_, env_len_);
    const Acc<Real> loudest = *std::max_element(e.begin(), e.end());
    env_floor_ = envelope_floor(loudest, settings_.env_range_db, std::numeric_limits<Real>::min());
    for (const auto v : e) log_env_y_.push_back(Real(std::log(Real(v) + env_floor_)));
  }
  std::vector<std::complex<Real>> spec_y;
  for (const auto& rs : settings_.resolutions) {
    if (rs.fft_size < 2 || rs.fft_size % 2 || rs.hop < 1 || rs.win_length < 1 ||
        rs.win_length > rs.fft_size)
      throw Error("loss: bad resolution (fft " + std::to_string(rs.fft_size) + ", hop " +
                  std::to_string(rs.hop) + ", window " + std::to_string(rs.win_length) + ")");
    resolutions_.emplace_back(rs, N);
  }
  for (auto& r : resolutions_) {
    spectrum(r, pre_y_.data(), spec_y);
    magnitudes(spec_y, Real(settings_.eps), r.mag_y, r.log_mag_y);
    Acc<Real> ss = 0;
    for (Real m : r.mag_y) ss += Acc<Real>(m) * Acc<Real>(m);
    r.norm_y = Real(std::sqrt(ss));
    if (settings_.w_band_log != 0) set_bands(r, sample_rate);
  }
}

// The band-energy term's tables: its bands (loss_band_bins),
// the floor from the target's loudest cell, the target's ln(E_y + f).
template <typename Real>
void MrstftLoss<Real>::set_bands(Resolution& r, double sample_rate) const {
  const auto bands = loss_band_bins(r.res.fft_size, sample_rate);
  r.n_bands = int(bands.size());
  r.band_of_bin.assign(size_t(r.n_bins), -1);
  for (int b = 0; b < r.n_bands; ++b)
    for (int k = bands[size_t(b)].first; k < bands[size_t(b)].second; ++k)
      r.band_of_bin[size_t(k)] = b;
  // The floor is not known until E_y is: this pass's logs are overwritten below.
  // (Kept in this form: the measured figures in bench/results were fitted with
  // it, and fits are chaotic, so a change in how these loops compile would
  // move every preset by float rounding.)
  r.band_floor = 0;
  std::vector<Real> e_y;
  band_energies(r, r.mag_y, e_y, r.log_band_y);
  Real loudest = 0;
  for (Real e : e_y) loudest = std::max(loudest, e);
  r.band_floor = std::max(Real(loudest * std::pow(10.0, -settings_.band_range_db / 10.0)),
                          std::numeric_limits<Real>::min());
  for (size_t c = 0; c < e_y.size(); ++c) r.log_band_y[c] = dm::log(e_y[c] + r.band_floor);
}

// E[f, b] = sum of |X_k|^2 over band b's bins in frame f, and ln(E + floor).
template <typename Real>
void MrstftLoss<Real>::band_energies(const Resolution& r, const std::vector<Real>& mag,
                                     std::vector<Real>& e, std::vector<Real>& log_e) {
  e.assign(size_t(r.n_frames) * size_t(r.n_bands), Real(0));
  log_e.resize(e.size());
  for (int f = 0; f < r.n_frames; ++f) {
    Real* cell = e.data() + size_t(f) * size_t(r.n_bands);
    const Real* m = mag.data() + size_t(f) * size_t(r.n_bins);
    for (int k = 0; k < r.n_bins; ++k)
      if (const int b = r.band_of_bin[size_t(k)]; b >= 0) cell[b] += m[k] * m[k];
  }
  for (size_t c = 0; c < e.size(); ++c) log_e[c] = dm::log(e[c] + r.band_floor);
}

template <typename Real>
Real MrstftLoss<Real>::band_loss(Resolution& r) const {
  band_energies(r, r.mag_x, r.band_x, r.log_band_x);
  Acc<Real> sum = 0;
  for (size_t c = 0; c < r.band_x.size(); ++c)
    sum += std::abs(Acc<Real>(r.log_band_y[c]) - Acc<Real>(r.log_band_x[c]));
  return r.band_x.empty() ? Real(0) : Real(sum / Acc<Real>(r.band_x.size()));
}

// The term's dL/d|X_k| = 2 |X_k| c[f, band of k] (band_cell_grad), 0 outside the bands.
template <typename Real>
void MrstftLoss<Real>::band_gradient(Resolution& r, Real w) const {
  const Real inv_cells = Real(1.0 / double(std::max<size_t>(1, r.band_x.size())));
  r.band_v_mag.assign(size_t(r.n_frames) * size_t(r.n_bins), Real(0));
  std::vector<Real> c(size_t(r.n_bands));
  for (int f = 0; f < r.n_frames; ++f) {
    const size_t cell0 = size_t(f) * size_t(r.n_bands), bin0 = size_t(f) * size_t(r.n_bins);
    for (int b = 0; b < r.n_bands; ++b)
      c[size_t(b)] = band_cell_grad(r.band_x[cell0 + b], r.log_band_x[cell0 + b],
                                    r.log_band_y[cell0 + b], r.band_floor, inv_cells, w);
    for (int k = 0; k < r.n_bins; ++k)
      if (const int b = r.band_of_bin[size_t(k)]; b >= 0)
        r.band_v_mag[bin0 + size_t(k)] = Real(2) * r.mag_x[bin0 + size_t(k)] * c[size_t(b)];
  }
}

// One function for the target's bins and the estimate's, so that a sound
// against itself gives exactly 0 whichever CPU clone runs.
template <typename Real>
DS_CPU_CLONES void MrstftLoss<Real>::magnitudes(const std::vector<std::complex<Real>>& spec,
                                                Real eps, std::vector<Real>& mag,
                                                std::vector<Real>& log_mag) {
  const size_t count = spec.size();
  mag.resize(count);
  log_mag.resize(count);
  const Real* re_im = reinterpret_cast<const Real*>(spec.data());  // (re, im) pairs
  for (size_t i = 0; i < count; ++i) {
    mag[i] = clamped_magnitude(re_im[2 * i], re_im[2 * i + 1], eps);
    log_mag[i] = dm::log(mag[i]);
  }
}

namespace {
template <typename Real>
std::vector<Real> window_of(const StftResolution& rs) {
  std::vector<Real> w;
  for (double v : stft_window(rs)) w.push_back(Real(v));
  return w;
}
}  // namespace

template <typename Real>
MrstftLoss<Real>::Resolution::Resolution(const StftResolution& rs, int n_samples)
    : res(rs),
      padded_len(stft_padded_length(n_samples, rs)),
      n_frames(stft_frame_count(n_samples, rs)),
      n_bins(rs.fft_size / 2 + 1),
      stft(rs.fft_size, rs.hop, window_of<Real>(rs)),
      padded(static_cast<size_t>(padded_len + rs.fft_size)) {}

template <typename Real>
DS_CPU_CLONES void MrstftLoss<Real>::spectrum(Resolution& r, const Real* x,
                                              std::vector<std::complex<Real>>& out) {
  reflect_pad(x, n_samples(), r.padded_len, r.res.fft_size / 2, r.padded.data());
  out.resize(size_t(r.n_frames) * r.n_bins);
  r.stft.forward(r.padded.data(), r.n_frames, out.data());
}

template <typename Real>
DS_CPU_CLONES Real MrstftLoss<Real>::resolution_loss(Resolution& r, const Real* x) {
  spectrum(r, x, r.spec_x);
  magnitudes(r.spec_x, Real(settings_.eps), r.mag_x, r.log_mag_x);
  const size_t count = r.spec_x.size();
  using A = Acc<Real>;
  A sum_d2 = 0, sum_log = 0;
  for (size_t i = 0; i < count; ++i) {
    const A d = A(r.mag_y[i]) - A(r.mag_x[i]);
    sum_d2 += d * d;
    sum_log += std::abs(A(r.log_mag_y[i]) - A(r.log_mag_x[i]));
  }
  r.norm_diff = Real(std::sqrt(sum_d2));
  const A band = settings_.w_band_log != 0 ? A(settings_.w_band_log) * A(band_loss(r)) : A(0);
  return Real(spectral_convergence_term(A(settings_.w_sc), A(std::sqrt(sum_d2)), A(r.norm_y)) +
              mean_term(A(settings_.w_log_mag), sum_log, A(count)) + band);
}

// This resolution's dL/d(padded signal) (already divided by the number of
// resolutions), left in r.padded.
// First dL/dX for every bin of every frame (one flat, vectorisable pass, written
// over the spectrum), then the adjoint of the windowed frames' FFTs, overlap-added.
template <typename Real>
DS_CPU_CLONES void MrstftLoss<Real>::resolution_gradient(Resolution& r) {
  const Real scale = Real(1.0 / double(resolutions_.size()));
  const Real inv_count = Real(1.0 / double(r.spec_x.size()));
  const Real eps = Real(settings_.eps), w_sc = Real(settings_.w_sc) * scale,
             w_lm = Real(settings_.w_log_mag) * scale;
  Real* spec = reinterpret_cast<Real*>(r.spec_x.data());  // (re, im) pairs, overwritten by dL/dX
  const size_t count = r.spec_x.size();
  const bool bands = settings_.w_band_log != 0;
  if (bands) band_gradient(r, Real(settings_.w_band_log) * scale);
  for (size_t i = 0; i < count; ++i) {
    Real v_mag = spectral_bin_grad(r.mag_x[i], r.log_mag_x[i], r.mag_y[i], r.log_mag_y[i], r.norm_y,
                                   r.norm_diff, inv_count, w_sc, w_lm);
    if (bands) v_mag += r.band_v_mag[i];
    Real v_re, v_im;
    clamped_magnitude_vjp(spec[2 * i], spec[2 * i + 1], eps, r.mag_x[i], v_mag, v_re, v_im);
    spec[2 * i] = v_re;
    spec[2 * i + 1] = v_im;
  }
  std::vector<Real>& v_padded = r.padded;  // reuse: the forward's padded copy is no longer needed
  std::fill(v_padded.begin(), v_padded.end(), Real(0));
  r.stft.adjoint_add(r.spec_x.data(), r.n_frames, v_padded.data());
}

template <typename Real>
Real MrstftLoss<Real>::envelope_loss(const std::vector<Real>& x) {
  const auto e = frame_mean_squares(x, env_len_);
  const Real w = Real(settings_.w_env_log), inv_frames = Real(1) / Real(e.size());
  env_c_.resize(e.size());
  Acc<Real> sum = 0;
  for (size_t j = 0; j < e.size(); ++j) {
    const Real log_e = Real(std::log(Real(e[j]) + env_floor_));
    sum += std::abs(Acc<Real>(log_env_y_[j]) - Acc<Real>(log_e));
    env_c_[j] = band_cell_grad(Real(e[j]), log_e, log_env_y_[j], env_floor_, inv_frames, w);
  }
  return Real(mean_term(Acc<Real>(w), sum, Acc<Real>(e.size())));
}

template <typename Real>
void MrstftLoss<Real>::envelope_gradient(const std::vector<Real>& x, std::vector<Real>& v_x) const {
  const size_t N = x.size();
  for (size_t j = 0; j < env_c_.size(); ++j) {
    const size_t start = j * size_t(env_len_);
    const int len = envelope_frame_length(int(N), env_len_, int(j));
    const Real inv_len = Real(1) / Real(len);
    for (size_t n = start; n < start + size_t(len); ++n)
      v_x[n] += envelope_sample_grad(env_c_[j], x[n], inv_len);
  }
}

template <typename Real>
Real MrstftLoss<Real>::evaluate(const std::vector<Real>& x, std::vector<Real>* v_x) {
  const FlushDenormals flush;
  const int N = n_samples();
  if (int(x.size()) != N)
    throw Error("loss: estimate has " + std::to_string(x.size()) + " samples, target " +
                std::to_string(N));
  const Real* pre = x.data();
  if (!fir_.empty()) {
    pre_x_.resize(size_t(N));
    fir_same(x.data(), N, fir_, pre_x_.data());
    pre = pre_x_.data();
  }
  const int R = int(resolutions_.size());
  const int T = std::min(n_threads_, R);
  losses_.resize(static_cast<size_t>(R));
  auto work = [&](int t) {
    const FlushDenormals flush_this_thread;
    for (int i = t; i < R; i += T) {
      losses_[i] = resolution_loss(resolutions_[i], pre);
      if (v_x) resolution_gradient(resolutions_[i]);
    }
  };
  if (T == 1) {
    work(0);
  } else {
    std::vector<std::thread> threads;
    for (int t = 1; t < T; ++t) threads.emplace_back(work, t);
    work(0);
    for (auto& th : threads) th.join();
  }
  Acc<Real> total = 0;
  for (Real l : losses_) total += l;
  total /= R;
  const Real rms_x = rms(x);
  total += rms_term(rms_x, rms_y_, Acc<Real>(settings_.rms_weight));
  if (settings_.w_env_log != 0) total += envelope_loss(x);
  if (v_x) {
    // The resolutions' gradients summed in resolution order, whichever thread
    // made them, so the result does not depend on the number of threads (fits
    // are chaotic: a last-bit difference in one gradient grows into another
    // local minimum).
    std::vector<Real>& v_pre = v_pre_;
    v_pre.assign(static_cast<size_t>(N), Real(0));
    for (const auto& r : resolutions_)
      reflect_pad_adjoint_add(r.padded.data(), N, r.padded_len, r.res.fft_size / 2, v_pre.data());
    v_x->resize(size_t(N));
    if (!fir_.empty())
      fir_same_vjp(v_pre.data(), N, fir_, v_x->data());
    else
      *v_x = v_pre;
    if (settings_.rms_weight != 0 && rms_x > Real(0)) {
      const Real c = rms_term_grad_scale(rms_x, rms_y_, Real(settings_.rms_weight), N);
      for (int i = 0; i < N; ++i) (*v_x)[i] += c * x[i];
    }
    if (settings_.w_env_log != 0) envelope_gradient(x, *v_x);
  }
  return Real(total);
}

template <typename Real>
Real MrstftLoss<Real>::loss(const std::vector<Real>& x) {
  return evaluate(x, nullptr);
}

template <typename Real>
Real MrstftLoss<Real>::loss_and_gradient(const std::vector<Real>& x, std::vector<Real>& v_x) {
  return evaluate(x, &v_x);
}

template class MrstftLoss<float>;
template class MrstftLoss<double>;
template class MrstftLoss<long double>;  // finite-difference side of the tests

}  // namespace drumsynth
