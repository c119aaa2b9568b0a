// Preset JSON (nlohmann-json) and its validation.
#include "drumsynth/preset.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "drumsynth/error.hpp"
#include "drumsynth/param_table.hpp"
#include "io/write_atomic.hpp"

namespace drumsynth {

using nlohmann::json;

namespace {
// An integer field: a JSON integer, or a number with an integral value, in
// int's range. (nlohmann's get<int> casts any double, and a cast of 4e71 to
// int is undefined behaviour: found by fuzz_preset with UBSan.)
int json_int(const json& v) {
  const double x = v.get<double>();
  if (!(x >= -2147483648.0 && x <= 2147483647.0) || x != std::floor(x))
    throw json::type_error::create(302, "not an integer in range", &v);
  return int(x);
}

// The noise seed: a JSON integer from 0 to 2^64 - 1. (get<uint64_t> casts a
// double too, and a cast of 3e69 is undefined behaviour: found by
// fuzz_preset with UBSan, tests/data/fuzz-regressions/preset-seed-overflow.json.)
uint64_t json_seed(const json& v) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return uint64_t(v.get<int64_t>());
  throw json::type_error::create(302, "the noise seed is not an integer from 0 to 2^64 - 1", &v);
}

json loss_to_json(const LossSettings& s) {
  json res = json::array();
  for (const auto& r : s.resolutions)
    res.push_back({{"fft_size", r.fft_size}, {"hop", r.hop}, {"win_length", r.win_length}});
  json j = {{"preset", name_of(s.preset)}, {"resolutions", res}, {"a_weighting", s.a_weighting}};
  for (const LossNumber& n : kLossNumbers)
    if (!n.written_with || s.*n.written_with != 0) j[n.name] = s.*n.value;
  return j;
}

LossSettings loss_from_json(const json& j) {
  LossSettings s;
  // The settings below are the loss; the name only labels them, and one this
  // drumsynth does not know (an edited file's) labels them custom.
  const std::string name = j.at("preset").get<std::string>();
  s.preset = LossPreset::custom;
  for (const auto& [known, preset] : Names<LossPreset>::table)
    if (name == known) s.preset = preset;
  for (const auto& r : j.at("resolutions"))
    s.resolutions.push_back(
        {json_int(r.at("fft_size")), json_int(r.at("hop")), json_int(r.at("win_length"))});
  s.a_weighting = j.at("a_weighting").get<bool>();
  for (const LossNumber& n : kLossNumbers)
    s.*n.value = n.written_with ? j.value(n.name, s.*n.value) : j.at(n.name).get<double>();
  return s;
}
}  // namespace

std::string preset_to_json(const Preset& p) {
  json params = json::object();
  const auto& table = param_table();
  for (int i = 0; i < kNumParams; ++i) {
    const auto& s = table[i];
    params[s.name] = {{"value", p.params[i]},
                      {"unit", s.unit},
                      {"min", s.min},
                      {"max", s.max},
                      {"map", s.map == ParamMap::log ? "log" : "linear"},
                      {"logit", logit_from_param(p.params[i], s)}};
  }
  json j = {
      {"format", "drumsynth-preset"},
      {"format_version", kPresetFormatVersion},
      {"model",
       {{"name", "drumsynth-voice"}, {"n_partials", kNumPartials}, {"n_noise_bands", kNoiseBands}}},
      {"sample_rate", p.sample_rate},
      {"n_samples", p.n_samples},
      {"seconds", p.sample_rate > 0 ? p.n_samples / p.sample_rate : 0.0},
      {"noise_seed", p.noise_seed},
      {"loss", loss_to_json(p.loss)},
      {"fit",
       {{"initial_loss", p.initial_loss},
        {"final_loss", p.final_loss},
        {"iterations", p.iterations},
        {"partials_dropped", p.partials_dropped},
        {"source", p.source}}},
      {"parameters", params}};
  return j.dump(2) + "\n";
}

Preset preset_from_json(const std::string& text, const std::string& path) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception&
               e) {  // parse_error, and out_of_range for a number like 1e999 (fuzz_preset)
    throw InputError(path, std::string("not valid JSON (") + e.what() + ")");
  }
  // (json::value would throw a type_error for a "format" that is not a string:
  // found by fuzz_preset, tests/data/fuzz-regressions/.)
  if (!j.is_object() || !j.contains("format") || !j["format"].is_string() ||
      j["format"].get<std::string>() != "drumsynth-preset")
    throw InputError(path, "not a drumsynth preset (no \"format\": \"drumsynth-preset\")");
  if (!j.contains("format_version") || !j["format_version"].is_number_integer())
    throw InputError(path, "preset has no integer format_version");
  const int64_t version = j["format_version"].get<int64_t>();
  if (version < 1 || version > kPresetFormatVersion)
    throw InputError(path, "unknown preset format version " + std::to_string(version) +
                               " (this drumsynth reads versions 1 to " +
                               std::to_string(kPresetFormatVersion) + ")");
  Preset p;
  try {
    p.sample_rate = j.at("sample_rate").get<double>();
    p.n_samples = json_int(j.at("n_samples"));
    p.noise_seed = json_seed(j.at("noise_seed"));
    if (j.contains("loss")) p.loss = loss_from_json(j["loss"]);
    if (j.contains("fit")) {
      const auto& f = j["fit"];
      p.initial_loss = f.value("initial_loss", 0.0);
      p.final_loss = f.value("final_loss", 0.0);
      p.iterations = f.contains("iterations") ? json_int(f["iterations"]) : 0;
      p.partials_dropped = f.contains("partials_dropped") ? json_int(f["partials_dropped"]) : 0;
      p.source = f.value("source", "");
    }
  } catch (const json::exception& e) {
    throw InputError(path, std::string("malformed preset (") + e.what() + ")");
  }
  if (!(p.sample_rate >= 8000 && p.sample_rate <= 192000))
    throw InputError(path, "sample_rate must be 8000-192000 Hz");
  if (p.n_samples < 1) throw InputError(path, "n_samples must be at least 1");
  const json& params = j.contains("parameters") ? j["parameters"] : json();
  if (!params.is_object()) throw InputError(path, "preset has no \"parameters\" object");
  p.params.resize(kNumParams);
  const auto& table = param_table();
  for (int i = 0; i < kNumParams; ++i) {
    const auto& s = table[size_t(i)];
    if (version < s.since_version) continue;
    if (!params.contains(s.name)) throw InputError(path, "missing parameter '" + s.name + "'");
    const json& e = params[s.name];
    const json& v = e.is_object() ? e.value("value", json()) : e;  // {"value": x} or a bare x
    if (!v.is_number()) throw InputError(path, "parameter '" + s.name + "' has no numeric value");
    const double x = v.get<double>();
    if (!std::isfinite(x) || x < s.min || x > s.max) {
      std::ostringstream m;
      m << "parameter '" << s.name << "' = " << x << " is outside its range [" << s.min << ", "
        << s.max << "]";
      throw InputError(path, m.str());
    }
    p.params[i] = x;
  }
  // A parameter newer than the file's version takes its `absent` value (or,
  // after it is read, that of its absent_from), which leaves the sound as it
  // was (param_table.cpp says each).
  for (int i = 0; i < kNumParams; ++i) {
    const ParamSpec& s = table[size_t(i)];
    if (version < s.since_version)
      p.params[i] = s.absent_from >= 0 ? p.params[s.absent_from] : s.absent;
  }
  return p;
}

void save_preset(const std::string& path, const Preset& p) {
  write_text_atomic(path, preset_to_json(p));
}

Preset load_preset(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw InputError(path, "no such file");
  if (std::filesystem::is_directory(path, ec)) throw InputError(path, "is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  return preset_from_json(ss.str(), path);
}

VoiceSpec preset_voice_spec(const Preset& p, double sample_rate, double seconds) {
  VoiceSpec spec{p.n_samples, p.sample_rate, p.noise_seed};
  if (sample_rate > 0) {
    if (sample_rate < 8000 || sample_rate > 192000)
      throw Error("the sample rate must be 8000-192000 Hz");
    spec.sample_rate = sample_rate;
    spec.n_samples = int(std::lround(p.n_samples / p.sample_rate * sample_rate));
  }
  if (seconds > 0) spec.n_samples = int(std::lround(seconds * spec.sample_rate));
  if (spec.n_samples < 1) throw Error("nothing to render: length is 0 samples");
  return spec;
}

}  // namespace drumsynth
