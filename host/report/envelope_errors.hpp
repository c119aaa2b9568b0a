// How far a render's envelope is from its target's, the figures the quality
// benchmark and the listening report give beside the loss.
//
// The broadband envelope error: 10 ms RMS frames in dB (floor -80 dB),
// their mean absolute difference.
//
// The time-frequency envelope error: band energies on the
// ERB-rate scale (the ear's critical bands) over short frames, compared in dB
// over the cells the ear can hear. Unlike the MRSTFT loss it ignores the fine
// structure inside a cell, so two noise realisations with the same envelope
// score near 0 dB while a wrong decay, a wrong tilt or a missing band do not
// (tests/report/test_envelope_errors.cpp). The quality benchmark (bench/quality.cpp)
// reports it beside the loss and the broadband envelope.
#pragma once

#include <vector>

namespace drumsynth {

// Mean |dB| difference of the hop_s RMS envelopes; the estimate is cut or
// zero-padded to the target's length.
double rms_envelope_error_db(const std::vector<double>& estimate, const std::vector<double>& target,
                             double rate, double hop_s = 0.01);

struct TfEnvelopeSettings {
  double frame_s = 0.04;  // Hann window (25 Hz bins: two or more in the lowest bands)
  double hop_s = 0.01;
  double low_hz = 40.0;  // bands 1 ERB wide from low_hz to min(high_hz, 0.45 rate)
  double high_hz = 16000.0;
  double range_db = 60.0;  // cells more than this below the target's loudest cell are inaudible
  int min_band_bins = 4;   // the lowest bands widened to this many bins
};

// Band energies in dB, [frames][bands], of x at `rate`.
std::vector<std::vector<double>> tf_envelope_db(const std::vector<double>& x, double rate,
                                                const TfEnvelopeSettings& s = {});

// Mean |dB(estimate) - dB(target)| over the cells where either is audible
// (within range_db of the target's loudest cell; quieter values are raised to
// that floor). The estimate is cut or zero-padded to the target's length.
double tf_envelope_error_db(const std::vector<double>& estimate, const std::vector<double>& target,
                            double rate, const TfEnvelopeSettings& s = {});

}  // namespace drumsynth
