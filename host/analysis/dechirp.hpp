// Dechirping a drum hit. The model's partials all glide by one pitch envelope
// (pitch_sweep.hpp): partial k has phase 2 pi f_k S(t), with the swept time
//   S(t) = t + (ratio - 1) sweep_s (1 - exp(-t / sweep_s)).
// Read at equal steps of S instead of t, every gliding partial is a steady
// sinusoid at its end frequency f_k, which one long spectrum then resolves to
// a fraction of a bin; read at equal steps of t, a glide smears each partial
// over a band as wide as ratio, and the end frequency is lost.
// The glide itself is found by that property: the (ratio, sweep_s) whose
// dechirped hit has the most concentrated spectrum.
#pragma once

#include <vector>

namespace drumsynth {

struct PitchSweep {
  double ratio = 1.0;     // start frequency / end frequency
  double sweep_s = 0.03;  // time constant of the glide
};

// The real time t >= 0 at which S(t) = u, by Newton's method from t_guess (S
// is increasing and concave, so from any guess at or below the root it
// converges monotonically, and from a close guess above it in a step or two).
double unswept_time(double u, const PitchSweep& sweep, double t_guess = 0.0);

// unswept_time of u_i = u0_s + i du_s for every i < len, each to the same
// tolerance, in one pass for all of them (dechirp.cpp says how).
std::vector<double> unswept_times(const PitchSweep& sweep, int len, double du_s, double u0_s = 0.0);

// x read at the swept times u_i = u0_s + i du_s (i < len) after onset_samples,
// by band-limited (windowed sinc) interpolation; zero past the end of x.
std::vector<double> dechirp(const std::vector<float>& x, double onset_samples, double sample_rate,
                            const PitchSweep& sweep, int len, double du_s, double u0_s = 0.0);

// The glide of the hit starting at onset_s: the (ratio, sweep_s), within the
// parameter table's ranges, whose dechirped first 0.4 s has the most
// concentrated spectrum (dechirp.cpp says how it is searched). ratio 1 (no
// glide) for a hit too short or too quiet to tell, and where the best glide
// concentrates it less than kMinGlideGain (1.5) times as much as none.
PitchSweep estimate_pitch_sweep(const std::vector<float>& x, double onset_s, double sample_rate);

}  // namespace drumsynth
