// The hits in a recording: one for a one-shot, several for a fragment of a
// beat. A hit is a sudden rise of energy in some band of the spectrum above
// the loudest that band was just before, so a hi-hat over a ringing kick
// counts, and the kick's own decay, its partials' beating included, does not.
#pragma once

#include <vector>

#include "drumsynth/audio_io.hpp"

namespace drumsynth {

struct Hit {
  double onset_s = 0;  // where its rise begins
  double peak = 0;     // its loudest sample (|x|) before the next hit
  int velocity =
      127;  // its loudness as a MIDI velocity, the loudest hit's 127 (kit.hpp's level curve)
};

struct HitSettings {
  double frame_s = 0.005;        // energy frames (Hann, hop frame_s / 2)
  double rise_db = 12.0;         // a band's rise over its loudest level in the window before
  double rise_within_s = 0.005;  // the rise's span
  double window_s = 0.05;        // the window before it
  double audible_db = 25.0;      // the rising band within this much of that band's loudest frame
  double min_gap_s =
      0.06;  // hits closer than this are one (a flam's two strokes are ~20-50 ms apart: one hit)
};

// The hits of a sound, in time order; at least one (the onset of a
// one-shot). Deterministic.
std::vector<Hit> find_hits(const Sound& sound, const HitSettings& settings = {});

}  // namespace drumsynth
