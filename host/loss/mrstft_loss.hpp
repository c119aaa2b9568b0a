// The multi-resolution STFT loss (auraloss semantics) for one sound, on the CPU,
// and its gradient with respect to the estimate's samples. The target's spectra
// are computed once, at construction.
//
// Sounds shorter than an FFT: a resolution whose FFT size n exceeds the sound's
// length N zero-pads both signals at their end to n samples before framing, so
// every resolution sees the whole hit in at least one frame and the reflect
// padding (n/2) always stays inside the signal. For N >= n this is exactly
// auraloss (torch.stft, center=True, reflect padding).
#pragma once

#include <complex>
#include <type_traits>
#include <vector>

#include "drumsynth/error.hpp"
#include "drumsynth/loss_settings.hpp"
#include "loss/stft_frames.hpp"

namespace drumsynth {

template <typename Real>
class MrstftLoss {
 public:
  MrstftLoss(const LossSettings& settings, double sample_rate, std::vector<Real> target,
             int n_threads = 1);
  // Loss of estimate x (same length as the target).
  Real loss(const std::vector<Real>& x);
  // Loss, and dL/dx written into v_x (resized to x's length).
  Real loss_and_gradient(const std::vector<Real>& x, std::vector<Real>& v_x);
  int n_samples() const { return int(target_.size()); }
  const LossSettings& settings() const { return settings_; }

 private:
  struct Resolution {
    StftResolution res;
    int padded_len;                      // max(N, n)
    int n_frames;                        // 1 + padded_len / hop
    int n_bins;                          // n/2 + 1
    StftFrames<Real> stft;               // window: Hann of win_length centred
    std::vector<Real> mag_y, log_mag_y;  // [n_frames * n_bins]
    Real norm_y = 0;
    // forward values kept for the gradient
    std::vector<std::complex<Real>> spec_x;  // [n_frames * n_bins]
    std::vector<Real> mag_x, log_mag_x;
    Real norm_diff = 0;
    std::vector<Real> padded;  // [padded_len + n]
    // The band-energy term (settings.w_band_log != 0): ERB bands of this FFT.
    int n_bands = 0;
    std::vector<int> band_of_bin;          // [n_bins], -1 outside every band
    Real band_floor = 0;                   // f: the target's loudest cell, band_range_db down
    std::vector<Real> log_band_y;          // [n_frames * n_bands] ln(E_y + f)
    std::vector<Real> band_x, log_band_x;  // the estimate's E_x, ln(E_x + f)
    std::vector<Real> band_v_mag;          // [n_frames * n_bins] the term's dL/d|X|
    Resolution(const StftResolution& r, int n_samples);
  };
  void spectrum(Resolution& r, const Real* x, std::vector<std::complex<Real>>& out);
  static void magnitudes(const std::vector<std::complex<Real>>& spec, Real eps,
                         std::vector<Real>& mag, std::vector<Real>& log_mag);
  void set_bands(Resolution& r, double sample_rate) const;
  static void band_energies(const Resolution& r, const std::vector<Real>& mag, std::vector<Real>& e,
                            std::vector<Real>& log_e);
  Real band_loss(Resolution& r) const;
  void band_gradient(Resolution& r, Real w) const;
  Real resolution_loss(Resolution& r, const Real* x);
  void resolution_gradient(Resolution& r);
  Real evaluate(const std::vector<Real>& x, std::vector<Real>* v_x);
  // The envelope term (settings.w_env_log != 0): its value, each frame's c
  // (band_cell_grad) kept in env_c_ for envelope_gradient.
  Real envelope_loss(const std::vector<Real>& x);
  void envelope_gradient(const std::vector<Real>& x, std::vector<Real>& v_x) const;

  LossSettings settings_;
  std::vector<Real> target_;
  std::vector<Real> fir_;            // A-weighting taps, empty when off
  std::vector<Real> pre_y_, pre_x_;  // pre-filtered target and estimate
  Real rms_y_ = 0;
  int env_len_ = 0;              // the envelope term's frame, samples
  Real env_floor_ = 0;           // f: the target's loudest frame, env_range_db down
  std::vector<Real> log_env_y_;  // [frames] ln(E_y + f)
  std::vector<Real> env_c_;      // [frames] the estimate's dEN/dE_x
  std::vector<Resolution> resolutions_;
  std::vector<Real> losses_;  // [resolution]
  std::vector<Real> v_pre_;   // dL/d(pre-filtered estimate)
  int n_threads_;
};

}  // namespace drumsynth
