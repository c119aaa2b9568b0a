// The drumsynth kit instrument (DPF: LV2, VST3, CLAP): plays a kit file
// (kit.hpp) on MIDI notes with the engine of kit_player.hpp. Its state is
// the kit file's path; with none saved it plays the kit named by the
// DRUMSYNTH_KIT environment variable (for headless hosts and tests). Kits
// load on a thread of their own; run() only hands notes to the engine.
// Parameters: for each of the first kPadSlots pads of the kit (by note), its
// level, tune, decay scale and tone/noise balance, applied on top of the
// kit file's own (the host saves them with its project).
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "DistrhoPlugin.hpp"
#include "drumsynth/kit_player.hpp"

START_NAMESPACE_DISTRHO

namespace ds = drumsynth;

constexpr int kPadSlots = 16;
constexpr int kControls = 4;  // level, tune, decay, balance
const char* const kControlName[kControls] = {"level", "tune", "decay", "balance"};
const char* const kControlUnit[kControls] = {"dB", "st", "x", ""};
const float kControlMin[kControls] = {-60.0f, -24.0f, 0.1f, -1.0f};
const float kControlMax[kControls] = {12.0f, 24.0f, 4.0f, 1.0f};
const float kControlDefault[kControls] = {0.0f, 0.0f, 1.0f, 0.0f};

class DrumsynthKit : public Plugin {
 public:
  DrumsynthKit() : Plugin(kPadSlots * kControls, 0, 1) {
    for (int s = 0; s < kPadSlots; ++s) {
      slot_note_[s] = -1;
      for (int c = 0; c < kControls; ++c) param_[s][c] = kControlDefault[c];
    }
    player_ = std::make_unique<ds::KitPlayer>(getSampleRate(), 64);
    if (const char* kit = std::getenv("DRUMSYNTH_KIT")) load(kit);
  }
  ~DrumsynthKit() override {
    if (loader_.joinable()) loader_.join();
  }

 protected:
  const char* getLabel() const override { return "drumsynth_kit"; }
  const char* getDescription() const override {
    return "Plays a drumsynth kit: fitted drum presets on MIDI notes, with velocity layers and "
           "choke groups.";
  }
  const char* getMaker() const override { return "drumsynth"; }
  const char* getLicense() const override { return "MIT"; }
  uint32_t getVersion() const override { return d_version(0, 1, 0); }
  int64_t getUniqueId() const override { return d_cconst('d', 's', 'K', 't'); }

  void initParameter(uint32_t index, Parameter& p) override {
    const int slot = int(index) / kControls, c = int(index) % kControls;
    p.hints = kParameterIsAutomatable;
    p.name = String("Pad ") + String(slot + 1) + " " + kControlName[c];
    p.symbol = String("pad") + String(slot + 1) + "_" + kControlName[c];
    p.unit = kControlUnit[c];
    p.ranges.min = kControlMin[c], p.ranges.max = kControlMax[c], p.ranges.def = kControlDefault[c];
  }
  float getParameterValue(uint32_t index) const override {
    return param_[index / kControls][index % kControls].load();
  }
  // May run on the audio thread (LV2 control ports): atomics only.
  void setParameterValue(uint32_t index, float value) override {
    param_[index / kControls][index % kControls] = value;
    apply_slot(int(index) / kControls);
  }

  void initState(uint32_t, State& state) override {
    state.key = "kit";
    state.label = "Kit file";
    state.defaultValue = "";
    state.hints = kStateIsFilenamePath;
  }
  String getState(const char* key) const override {
    if (std::string(key) != "kit") return String();
    std::lock_guard<std::mutex> lock(path_mutex_);
    return String(kit_path_.c_str());
  }
  void setState(const char* key, const char* value) override {
    if (std::string(key) == "kit" && value && *value) load(value);
  }

  // Not on the audio thread (the host calls it while the plug-in is
  // inactive): a player for the new rate, the kit prepared again at once.
  void sampleRateChanged(double rate) override {
    if (loader_.joinable()) loader_.join();
    player_ = std::make_unique<ds::KitPlayer>(rate, 64);
    std::shared_ptr<const ds::LoadedKit> kit;
    {
      std::lock_guard<std::mutex> lock(path_mutex_);
      kit = loaded_;
    }
    if (kit) {
      player_->swap_kit(ds::prepare_kit(*kit));
      for (int s = 0; s < kPadSlots; ++s) apply_slot(s);
    }
  }

  void run(const float**, float** outputs, uint32_t frames, const MidiEvent* events,
           uint32_t count) override {
    for (uint32_t e = 0; e < count; ++e) {
      const uint8_t* d = events[e].size > MidiEvent::kDataSize ? events[e].dataExt : events[e].data;
      if (events[e].size >= 3 && (d[0] & 0xF0) == 0x90)
        player_->note_on(d[1], d[2], int(events[e].frame));
    }
    player_->process(outputs[0], int(frames));
    std::copy(outputs[0], outputs[0] + frames, outputs[1]);
  }

 private:
  // The kit file read, prepared and handed to the engine on a thread of its
  // own; a missing or broken kit or preset is a message and silence.
  void load(const std::string& path) {
    {
      std::lock_guard<std::mutex> lock(path_mutex_);
      kit_path_ = path;
    }
    if (loader_.joinable()) loader_.join();
    loader_ = std::thread([this, path] {
      try {
        auto loaded =
            std::make_shared<const ds::LoadedKit>(ds::load_kit_presets(ds::load_kit(path)));
        const ds::LoadedKit& kit = *loaded;
        for (const std::string& problem : kit.problems)
          std::fprintf(stderr, "drumsynth kit: %s\n", problem.c_str());
        std::unique_ptr<ds::PreparedKit> prepared = ds::prepare_kit(kit);
        for (int s = 0; s < kPadSlots; ++s) {
          slot_note_[s] = s < int(kit.kit.pads.size()) ? sorted_note(kit.kit, s) : -1;
          for (int c = 0; c < kControls; ++c) slot_kit_[s][c] = kControlDefault[c];
          for (const ds::Pad& pad : kit.kit.pads)
            if (pad.note == slot_note_[s])
              slot_kit_[s][0] = float(pad.level_db), slot_kit_[s][1] = float(pad.tune_semitones),
              slot_kit_[s][2] = float(pad.decay_scale),
              slot_kit_[s][3] = float(pad.tone_noise_balance);
        }
        {
          std::lock_guard<std::mutex> lock(path_mutex_);
          loaded_ = loaded;
        }
        player_->swap_kit(
            std::move(prepared));  // the kit it replaces is freed here, off the audio thread
        for (int s = 0; s < kPadSlots; ++s) apply_slot(s);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "drumsynth kit: %s (the instrument stays silent)\n", e.what());
      }
    });
  }

  static int sorted_note(const ds::Kit& kit, int rank) {
    std::vector<int> notes;
    for (const ds::Pad& p : kit.pads) notes.push_back(p.note);
    std::sort(notes.begin(), notes.end());
    return notes[size_t(rank)];
  }

  // A slot's controls: the kit file's, then the parameters on top.
  void apply_slot(int s) {
    const int note = slot_note_[s];
    if (note < 0) return;
    ds::PadControls c;
    c.level_db = slot_kit_[s][0] + param_[s][0];
    c.tune_semitones = slot_kit_[s][1] + param_[s][1];
    c.decay_scale = slot_kit_[s][2] * param_[s][2];
    c.tone_noise_balance = std::max(-1.0f, std::min(1.0f, slot_kit_[s][3] + param_[s][3]));
    player_->set_controls(note, c);
  }

  std::unique_ptr<ds::KitPlayer> player_;
  std::atomic<float> param_[kPadSlots][kControls];
  std::atomic<float> slot_kit_[kPadSlots][kControls];
  std::atomic<int> slot_note_[kPadSlots];
  mutable std::mutex path_mutex_;  // never taken by run()
  std::string kit_path_;
  std::shared_ptr<const ds::LoadedKit> loaded_;  // the kit read, to prepare again at another rate
  std::thread loader_;

  DISTRHO_DECLARE_NON_COPYABLE_WITH_LEAK_DETECTOR(DrumsynthKit)
};

Plugin* createPlugin() { return new DrumsynthKit(); }

END_NAMESPACE_DISTRHO
