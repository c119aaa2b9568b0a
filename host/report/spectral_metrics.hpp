// Two published measures of how far a render is from its target, computed as
// DrumBlender defines them (jorshi/drumblender, drumblender/metrics.py, after
// torch.stft and torchaudio.transforms.MFCC with their defaults), so our
// figures can be set beside theirs; and how loud a sound's end is.
//
// Log-spectral distance: log power spectra P = ln(|X|^2 + 1e-8) of an STFT
// with n_fft 8092, hop 64, a periodic Hann window of 8092, centred frames
// reflect-padded by n_fft / 2; per frame the root of the mean over bins of
// (P_x - P_y)^2, then the mean over frames.
//
// MFCC error: 40 MFCCs (DCT-II, orthonormal) of the power mel spectrogram in
// dB (10 log10 max(power, 1e-10), floored 80 dB under its own maximum),
// 128 HTK mel bands from 0 Hz to Nyquist, no filter normalisation, STFT n_fft
// 2048, hop 128, periodic Hann window, centred, reflect-padded; per
// coefficient the mean over frames of |X - Y|, summed over the coefficients.
// DrumBlender's sample rate is a fixed 48 kHz; here the mel bands are placed
// at the sound's own rate.
//
// A sound shorter than a frame's reflect padding (torch.stft would refuse
// it) is zero-padded at its end first, to n_fft / 2 + 1 samples.
#pragma once

#include <vector>

namespace drumsynth {

double log_spectral_distance(const std::vector<double>& estimate,
                             const std::vector<double>& target);

double mfcc_error(const std::vector<double>& estimate, const std::vector<double>& target,
                  double sample_rate);

// The level of x's last end_s seconds (RMS) relative to its peak sample, in
// dB (at least -120 dB): a sound that has died away ends far below its peak,
// one that is cut while ringing does not. before_s moves the window that far
// back from the end (the tail before a recording's own fade-out).
double end_level_db(const std::vector<double>& x, double sample_rate, double end_s = 0.005,
                    double before_s = 0.0);

}  // namespace drumsynth
