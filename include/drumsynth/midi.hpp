// Standard MIDI files, as far as a drum part needs them: note-ons with their
// times and velocities. Written as format 0, 480 ticks a quarter note at
// 120 beats a minute (a tick is 1/960 s), channel 10 (GM drums); read from
// any format, channel and tempo map.
#pragma once

#include <string>
#include <vector>

#include "drumsynth/error.hpp"

namespace drumsynth {

struct NoteEvent {
  double time_s = 0;
  int note = 36;
  int velocity = 127;  // 1-127
};

// A time on the written files' grid of ticks (1/960 s), as load_midi reads it back.
double midi_tick_time(double time_s);

// Each note-on with a note-off 10 ms later (drums ignore it; sequencers want one).
void save_midi(const std::string& path, const std::vector<NoteEvent>& notes);
// The note-ons (velocity > 0) of every track, in time order. Throws
// InputError("<path>: ...") for a file that is not a standard MIDI file.
std::vector<NoteEvent> load_midi(const std::string& path);
std::vector<NoteEvent> midi_from_bytes(const std::string& bytes, const std::string& path);

}  // namespace drumsynth
