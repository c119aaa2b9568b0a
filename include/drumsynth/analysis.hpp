// Initial parameters from an analysis of the target, instead of random logits:
// the onset, the loudness envelope's decay, the pitch glide, the strongest
// spectral peaks of the dechirped hit (tone partials: end frequency, level,
// decay), the noise band's centre and width, and the noise floor's level and
// decay in each band of the noise bank. Deterministic.
#pragma once

#include <stdint.h>

#include <vector>

#include "drumsynth/audio_io.hpp"
#include "drumsynth/synth/params.hpp"

namespace drumsynth {

struct Analysis {
  double onset_s = 0;
  double peak = 0;          // max |x|
  double decay_s = 0.2;     // loudness envelope's time constant (amplitude falls by e)
  double attack_s = 0.002;  // onset to envelope peak
  std::vector<double> peak_hz, peak_gain,
      peak_decay_s;        // strongest partials (end frequencies), loudest first
  double glide_ratio = 1;  // the pitch sweep's ratio: start / end frequency (dechirp.hpp)
  double sweep_s = 0.03;   // and its time constant
  double centroid_hz = 1000, spread_hz = 1000, flatness = 0.1;
  double noise_level = 0;  // per-sample standard deviation of the noise floor under the partials
  // The noise floor in each band of the noise bank (noise_bank.hpp): its level
  // (as noise_level) and how fast it falls.
  double bank_level[kNoiseBands] = {};
  double bank_decay_s[kNoiseBands] = {};
  double length_s = 1;  // from the onset to the end of the recording
  // The recording's own fade-out, if it ends with one (an editor's fade or
  // gate): its envelope falls away from its decay's trend from fade_start_s
  // (from the onset) on, by fade_db_per_s on average to its end (0: no fade).
  double fade_start_s = 0, fade_db_per_s = 0;
};

// partials_by_pencil: the partials read by the matrix pencil
// (damped_sinusoids.hpp), a developer switch (run_plan.hpp), instead of the
// dechirped peaks.
Analysis analyse(const Sound& target, bool partials_by_pencil = false);

// analyse(target).onset_s alone (1 ms before the first sample above a tenth
// of the peak), without the rest of the analysis (whose glide search
// takes ~30 ms a sound).
double onset_s(const Sound& target);

// Physical parameters [kNumParams] from an analysis (each within its range).
std::vector<double> params_from_analysis(const Analysis& a, double sample_rate);

// K starting logits: the analysis' own, then K-1 perturbations of it
// (Gaussian, standard deviation `spread` in logit units, seeded).
std::vector<float> analysis_logits(const Sound& target, int k, uint64_t seed, double spread = 0.5,
                                   bool partials_by_pencil = false);

}  // namespace drumsynth
