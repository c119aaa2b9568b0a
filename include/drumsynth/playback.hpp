// A preset played back: what `drumsynth render`, the fit's render and
// Python's Preset.render give. A drum rings until it has died away, so by
// default a preset plays to its natural length: until it has fallen
// kNaturalEndDb below its peak, and no longer. Cut shorter, it ends with a
// release fade, as a sampler's note does, rather than a click.
#pragma once

#include <vector>

#include "drumsynth/preset.hpp"

namespace drumsynth {

// How far below its peak a sound has died away.
inline constexpr double kNaturalEndDb = 90.0;
// The release fade's length (a raised cosine), at most a quarter of the sound.
inline constexpr double kReleaseFadeS = 0.01;

// The preset rendered at sample_rate (0: its own) for `seconds` (0: its
// natural length). A length shorter than the natural one ends with the
// release fade. In double; throws Error for a rate outside 8-192 kHz.
std::vector<double> play_preset(const Preset& p, double sample_rate = 0, double seconds = 0);

// The length in seconds at which the preset, rendered at sample_rate (0: its
// own), has fallen kNaturalEndDb below its peak for good (at most max_s).
double natural_length_s(const Preset& p, double sample_rate = 0, double max_s = 60.0);

// A length surely past the natural one, from the parameters alone
// [kNumParams] (no render; allocates nothing).
double length_bound_s(const double* params);

// The release fade over the last min(kReleaseFadeS, a quarter) of x.
void release_fade(std::vector<double>& x, double sample_rate);

}  // namespace drumsynth
