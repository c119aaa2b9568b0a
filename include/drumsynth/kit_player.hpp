// The kit instrument's engine: notes in, a block of samples out, real-time
// safe. Each sounding note is a voice synthesised a block at a time with the
// model's own per-sample math (include/drumsynth/synth/), from rest at its
// note: the streaming form of render (playback.hpp), equal to it within
// float rounding. Nothing on the audio thread (note_on, process) allocates,
// locks or touches a file: the voices and their delay lines are made with
// the player, a kit is prepared on another thread (PreparedKit) and handed
// over through an atomic pointer.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "drumsynth/kit_render.hpp"
#include "drumsynth/synth/params.hpp"

namespace drumsynth {

// Pad controls a player can turn while it plays (automatable), per pad.
struct PadControls {
  float level_db = 0, tune_semitones = 0, decay_scale = 1, tone_noise_balance = 0;
};
constexpr int kMaxPads = 128;  // one per MIDI note

// A kit ready to play: each pad's layers' parameters, their partials put in
// one order across layers (matched by frequency and level, so blending two
// layers never sweeps a partial across the spectrum), by note. Made off the
// audio thread (it allocates).
struct PreparedKit {
  struct PadLayers {
    bool present = false;
    int choke_group = 0;
    std::vector<int> velocity;                // ascending
    std::vector<std::vector<double>> params;  // [layer][kNumParams], partials matched
    std::vector<uint64_t> seed;               // [layer]
    PadControls controls;                     // the kit file's
  };
  PadLayers pads[kMaxPads];
  std::vector<std::string> problems;  // layers that could not be read (they are silent)
};
std::unique_ptr<PreparedKit> prepare_kit(const LoadedKit& kit);

// A pad's controls on a voice's parameters [kNumParams]: every frequency
// times 2^(tune / 12), every decay time times decay_scale, the tones' and the
// transient's gains times 1 - max(0, balance), the noise's times
// 1 + min(0, balance). (The level is the voice's gain.)
void apply_pad_controls(const PadControls& controls, double* params);

// A pad's sound at a velocity: between two layers, their parameters blended
// (log-linearly for the log-mapped ones), level 1; below the softest or
// above the loudest layer, that layer at velocity_gain. Then the pad's
// controls (pad_params). params: [kNumParams]; returns the gain.
double voice_at_velocity(const PreparedKit::PadLayers& pad, int velocity,
                         const PadControls& controls, double* params, uint64_t* seed);

class KitPlayer {
 public:
  // Voices in all (each pad at most kVoicesPerPad), their delay lines sized
  // for sample_rate. Allocates; not on the audio thread.
  KitPlayer(double sample_rate, int max_voices = 64);
  ~KitPlayer();
  KitPlayer(const KitPlayer&) = delete;
  KitPlayer& operator=(const KitPlayer&) = delete;

  // Any thread: the kit to play from the next process() on. Returns the kit
  // it replaces, once the audio thread has let go of it (or null), to be
  // freed off the audio thread.
  std::unique_ptr<PreparedKit> swap_kit(std::unique_ptr<PreparedKit> kit);
  // Any thread: a pad's controls (note 0-127), read at each note-on.
  void set_controls(int note, const PadControls& controls);
  PadControls controls(int note) const;
  bool has_kit() const;

  // Audio thread. A note at `frame` of the next process() block (events in
  // time order). Velocity 0 is a note-off, which drums ignore.
  void note_on(int note, int velocity, int frame);
  // Adds nothing but writes: out[0, frames) is the sum of the voices.
  void process(float* out, int frames);
  int sounding_voices() const;

  struct Voice;  // the engine's own (kit_player.cpp)

 private:
  struct Pending {
    int note, velocity, frame;
  };
  void start_voice(int note, int velocity);
  void render_voices(float* out, int frames);
  double rate_;
  std::vector<Voice> voices_;
  std::atomic<PreparedKit*> incoming_{nullptr};
  std::atomic<PreparedKit*> retired_{nullptr};
  PreparedKit* kit_ = nullptr;  // the audio thread's
  std::atomic<float> controls_[kMaxPads][4];
  std::vector<Pending> pending_;  // reserved: note_on never grows it past its capacity
  long age_ = 0;
};

}  // namespace drumsynth
