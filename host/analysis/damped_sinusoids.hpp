// Damped sinusoids in a signal by the matrix pencil method (Hua and Sarkar,
// 1990; a subspace method of the ESPRIT family): from the onset-aligned start
// of a drum hit, the frequencies, decays and amplitudes of its strongest
// modes, resolved beyond the FFT's bin width and with their decays measured
// directly rather than from two spectra. The analysis (analysis.cpp) starts
// the tones from them.
#pragma once

#include <vector>

namespace drumsynth {

struct DampedSinusoid {
  double freq_hz;
  double decay_s;    // time constant of the amplitude; large for a steady tone
  double amplitude;  // at the segment's first sample
};

// x ~ sum_k a_k exp(-t / tau_k) cos(2 pi f_k t + phi_k): the modes among
// `order` complex poles (a real mode is a conjugate pair) with 0 < f < max_hz,
// strongest first. Uses at most the first max_samples samples.
std::vector<DampedSinusoid> matrix_pencil(const std::vector<double>& x, double sample_rate,
                                          int order, double min_hz, double max_hz,
                                          int max_samples = 1536);

}  // namespace drumsynth
