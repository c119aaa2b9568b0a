// Kit files (kit.hpp): JSON in and out, checked; the velocity curve; the
// General MIDI drum map.
#include "drumsynth/kit.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "drumsynth/error.hpp"
#include "drumsynth/synth/params.hpp"
#include "io/write_atomic.hpp"

namespace drumsynth {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

int json_int_in(const json& v, int lo, int hi, const char* what) {
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
    throw std::runtime_error(std::string(what) + " must be an integer from " + std::to_string(lo) +
                             " to " + std::to_string(hi));
  return int(v.get<int64_t>());
}

double json_number_in(const json& p, const char* key, double fallback, double lo, double hi) {
  if (!p.contains(key)) return fallback;
  const json& v = p[key];
  if (!v.is_number() || !(v.get<double>() >= lo && v.get<double>() <= hi))
    throw std::runtime_error(std::string(key) + " must be a number from " + std::to_string(lo) +
                             " to " + std::to_string(hi));
  return v.get<double>();
}

Pad pad_from_json(const json& p) {
  if (!p.is_object()) throw std::runtime_error("a pad is not an object");
  Pad pad;
  pad.name = p.value("name", "");
  pad.note = json_int_in(p.at("note"), 0, 127, "a pad's note");
  pad.choke_group =
      p.contains("choke_group") ? json_int_in(p["choke_group"], 0, 127, "choke_group") : 0;
  pad.level_db = json_number_in(p, "level_db", 0.0, -120.0, 24.0);
  pad.tune_semitones = json_number_in(p, "tune_semitones", 0.0, -24.0, 24.0);
  pad.decay_scale = json_number_in(p, "decay_scale", 1.0, 0.05, 20.0);
  pad.tone_noise_balance = json_number_in(p, "tone_noise_balance", 0.0, -1.0, 1.0);
  if (!p.contains("layers") || !p["layers"].is_array() || p["layers"].empty())
    throw std::runtime_error("pad on note " + std::to_string(pad.note) + " has no layers");
  for (const json& l : p["layers"]) {
    if (!l.is_object() || !l.contains("preset") || !l["preset"].is_string())
      throw std::runtime_error("a layer of the pad on note " + std::to_string(pad.note) +
                               " names no preset");
    pad.layers.push_back(
        {l["preset"].get<std::string>(),
         l.contains("velocity") ? json_int_in(l["velocity"], 1, 127, "a layer's velocity") : 127});
  }
  std::sort(pad.layers.begin(), pad.layers.end(),
            [](const KitLayer& a, const KitLayer& b) { return a.velocity < b.velocity; });
  return pad;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Whether the name holds `word`: a word of four letters or more anywhere
// ("floortom" holds "floor", "hatsemiopen" "open"), a shorter one as a word
// of its own or at a word's end or start ("BD_", "kick2", "floortom"'s
// "tom"; not "bdx" for "bd").
bool has_word(const std::string& name, const std::string& word) {
  for (size_t at = name.find(word); at != std::string::npos; at = name.find(word, at + 1)) {
    if (word.size() > 3) return true;
    const size_t end = at + word.size();
    const bool starts = at == 0 || !std::isalpha(static_cast<unsigned char>(name[at - 1]));
    const bool ends = end == name.size() || !std::isalpha(static_cast<unsigned char>(name[end]));
    if (starts || ends) return true;
  }
  return false;
}

int note_from_name(const std::string& file_name) {
  const std::string n = lower(fs::path(file_name).stem().string());
  // A General MIDI drum note leading the name ("41-FloorTom"), as sample kits number their files.
  size_t digits = 0;
  while (digits < n.size() && std::isdigit(static_cast<unsigned char>(n[digits]))) ++digits;
  if (digits >= 2 && digits <= 3 && digits < n.size() &&
      !std::isalpha(static_cast<unsigned char>(n[digits]))) {
    const int note = std::stoi(n.substr(0, digits));
    if (note >= 27 && note <= 87) return note;
  }
  const auto any = [&](std::initializer_list<const char*> words) {
    for (const char* w : words)
      if (has_word(n, w)) return true;
    return false;
  };
  const bool high = any({"hi", "high", "hightom"}), low = any({"lo", "low", "floor"});
  if (any({"kick", "bd", "bassdrum", "kck"})) return 36;
  if (any({"clap"})) return 39;
  if (any({"rim", "sidestick", "stick"})) return 37;
  if (any({"snare", "sd", "snr"})) return 38;
  if (any({"hat", "hh", "hihat"}))
    return any({"open", "op"}) ? 46 : any({"pedal", "ped", "foot"}) ? 44 : 42;
  if (any({"crash"})) return 49;
  if (any({"ride"})) return any({"bell"}) ? 53 : 51;
  if (any({"china"})) return 52;
  if (any({"splash"})) return 55;
  if (any({"cymbal", "cym"})) return 49;
  if (any({"tom"})) return low ? 41 : high ? 50 : any({"mid"}) ? 47 : 45;
  if (any({"cowbell", "bell"})) return 56;
  if (any({"tamb", "tambourine"})) return 54;
  if (any({"bongo"})) return low ? 61 : 60;
  if (any({"conga"})) return low ? 64 : high ? 62 : 63;
  if (any({"timbale"})) return low ? 66 : 65;
  if (any({"agogo"})) return low ? 68 : 67;
  if (any({"shaker", "maraca", "cabasa", "shake"})) return 70;
  if (any({"whistle"})) return 72;
  if (any({"clave"})) return 75;
  if (any({"woodblock", "block", "wood"})) return low ? 77 : 76;
  if (any({"triangle"})) return 81;
  return -1;
}

// From the preset: where its energy lies (the loudest partial against the
// noise) and how long it rings.
int note_from_preset(const Preset& p) {
  const auto& v = p.params;
  int loudest = 0;
  for (int k = 1; k < kNumPartials; ++k)
    if (v[P::tone_gain(k)] > v[P::tone_gain(loudest)]) loudest = k;
  const double tone = v[P::tone_gain(loudest)], f = v[P::tone_freq_hz(loudest)];
  double noise = v[P::noise_gain], high_noise = 0;
  for (int k = 0; k < kNoiseBands; ++k) {
    noise = std::max(noise, v[P::noise_bank_gain(k)]);
    if (k >= kNoiseBands - 2) high_noise = std::max(high_noise, v[P::noise_bank_gain(k)]);
  }
  double ring_s = 0;
  for (int k = 0; k < kNoiseBands; ++k) ring_s = std::max(ring_s, v[P::noise_bank_decay_s(k)]);
  if (tone >= noise) {
    if (f < 100) return 36;                                // kick
    if (f < 330) return f < 130 ? 41 : f < 190 ? 45 : 48;  // toms, low to high
    return 38;
  }
  if (high_noise >= 0.5 * noise)
    return ring_s > 1.0 ? 49 : ring_s > 0.25 ? 46 : 42;  // crash, open, closed hat
  return 38;                                             // a noisy mid: a snare
}

}  // namespace

Kit kit_from_json(const std::string& text, const std::string& path) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception& e) {
    throw InputError(path, std::string("not valid JSON (") + e.what() + ")");
  }
  if (!j.is_object() || !j.contains("format") || !j["format"].is_string() ||
      j["format"] != "drumsynth-kit")
    throw InputError(path, "not a drumsynth kit (no \"format\": \"drumsynth-kit\")");
  if (!j.contains("format_version") || !j["format_version"].is_number_integer() ||
      j["format_version"].get<int64_t>() < 1 ||
      j["format_version"].get<int64_t>() > kKitFormatVersion)
    throw InputError(path, "unknown kit format version (this drumsynth reads version " +
                               std::to_string(kKitFormatVersion) + ")");
  Kit kit;
  kit.path = path;
  try {
    kit.name = j.value("name", "");
    if (!j.contains("pads") || !j["pads"].is_array()) throw std::runtime_error("no pads");
    std::set<int> notes;
    for (const json& p : j["pads"]) {
      kit.pads.push_back(pad_from_json(p));
      if (!notes.insert(kit.pads.back().note).second)
        throw std::runtime_error("two pads on note " + std::to_string(kit.pads.back().note));
    }
  } catch (const std::exception& e) {  // json's type and range errors too
    throw InputError(path, std::string("malformed kit (") + e.what() + ")");
  }
  return kit;
}

std::string kit_to_json(const Kit& kit, const std::string& dir) {
  json pads = json::array();
  for (const Pad& pad : kit.pads) {
    json layers = json::array();
    for (const KitLayer& l : pad.layers) {
      std::error_code ec;
      fs::path preset = l.preset;
      if (!dir.empty() && preset.is_absolute()) {
        const fs::path rel = fs::relative(preset, dir, ec);
        if (!ec && !rel.empty()) preset = rel;
      }
      layers.push_back({{"preset", preset.generic_string()}, {"velocity", l.velocity}});
    }
    pads.push_back({{"name", pad.name},
                    {"note", pad.note},
                    {"choke_group", pad.choke_group},
                    {"level_db", pad.level_db},
                    {"tune_semitones", pad.tune_semitones},
                    {"decay_scale", pad.decay_scale},
                    {"tone_noise_balance", pad.tone_noise_balance},
                    {"layers", layers}});
  }
  const json j = {{"format", "drumsynth-kit"},
                  {"format_version", kKitFormatVersion},
                  {"name", kit.name},
                  {"pads", pads}};
  return j.dump(2) + "\n";
}

Kit load_kit(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(path, "no such file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  return kit_from_json(ss.str(), path);
}

void save_kit(const std::string& path, const Kit& kit) {
  write_text_atomic(path, kit_to_json(kit, fs::absolute(path).parent_path().string()));
}

std::string layer_path(const Kit& kit, const KitLayer& layer) {
  const fs::path p = layer.preset;
  if (p.is_absolute() || kit.path.empty()) return p.string();
  return (fs::path(kit.path).parent_path() / p).string();
}

double velocity_gain(int velocity, int layer_velocity) {
  const double r =
      double(std::clamp(velocity, 1, 127)) / double(std::clamp(layer_velocity, 1, 127));
  return r * r;
}

int general_midi_note(const std::string& file_name, const Preset& preset) {
  const int by_name = note_from_name(file_name);
  return by_name >= 0 ? by_name : note_from_preset(preset);
}

std::string general_midi_name(int note) {
  static const char* names[] = {"kick 2",
                                "kick",
                                "side stick",
                                "snare",
                                "clap",
                                "snare 2",
                                "low floor tom",
                                "closed hat",
                                "high floor tom",
                                "pedal hat",
                                "low tom",
                                "open hat",
                                "low-mid tom",
                                "high-mid tom",
                                "crash",
                                "high tom",
                                "ride",
                                "china",
                                "ride bell",
                                "tambourine",
                                "splash",
                                "cowbell",
                                "crash 2",
                                "vibraslap",
                                "ride 2",
                                "high bongo",
                                "low bongo",
                                "mute high conga",
                                "open high conga",
                                "low conga",
                                "high timbale",
                                "low timbale",
                                "high agogo",
                                "low agogo",
                                "cabasa",
                                "maracas",
                                "short whistle",
                                "long whistle",
                                "short guiro",
                                "long guiro",
                                "claves",
                                "high wood block",
                                "low wood block",
                                "mute cuica",
                                "open cuica",
                                "mute triangle",
                                "open triangle"};
  return note >= 35 && note <= 81 ? names[note - 35] : "";
}

}  // namespace drumsynth
