// Kits from presets, sample kits read, kits written as SFZ (kit_maker.hpp).
#include "drumsynth/kit_maker.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "drumsynth/audio_io.hpp"
#include "drumsynth/kit_render.hpp"
#include "io/write_atomic.hpp"

namespace drumsynth {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string read_text(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(path, "no such file");
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// An SFZ key: a number, or a note name (c4 = 60, c#4, db4, c-1 = 0).
int sfz_key(const std::string& v) {
  if (!v.empty() && (std::isdigit(static_cast<unsigned char>(v[0])) || v[0] == '-'))
    return std::stoi(v);
  static const std::map<char, int> steps = {{'c', 0}, {'d', 2}, {'e', 4}, {'f', 5},
                                            {'g', 7}, {'a', 9}, {'b', 11}};
  const std::string s = lower(v);
  if (s.empty() || !steps.count(s[0])) throw std::runtime_error("a key of '" + v + "'");
  size_t at = 1;
  int key = steps.at(s[0]);
  if (at < s.size() && s[at] == '#')
    ++key, ++at;
  else if (at < s.size() && s[at] == 'b' && at + 1 < s.size())
    --key, ++at;
  const int octave = std::stoi(s.substr(at));
  if (octave < -1 || octave > 9) throw std::runtime_error("a key of '" + v + "'");
  return key + 12 * (octave + 1);
}

int number_in(const std::string& v, int lo, int hi, const char* what) {
  size_t used = 0;
  const int n = std::stoi(v, &used);
  if (used != v.size() || n < lo || n > hi)
    throw std::runtime_error(std::string(what) + " of '" + v + "' is not from " +
                             std::to_string(lo) + " to " + std::to_string(hi));
  return n;
}

// A velocity fraction 0..1 as Hydrogen writes layer ranges.
double fraction_in(const std::string& v, const char* what) {
  size_t used = 0;
  const double x = std::stod(v, &used);
  if (used != v.size() || !(x >= 0.0 && x <= 1.0))
    throw std::runtime_error(std::string(what) + " of '" + v + "' is not from 0 to 1");
  return x;
}

// The text of the first <tag>...</tag> in [from, to), or "" (a tiny reader
// for Hydrogen's flat XML: no attributes, no nesting of the same tag).
std::string xml_value(const std::string& xml, size_t from, size_t to, const std::string& tag) {
  const size_t open = xml.find("<" + tag + ">", from);
  if (open == std::string::npos || open >= to) return "";
  const size_t start = open + tag.size() + 2, close = xml.find("</" + tag + ">", start);
  if (close == std::string::npos || close > to) return "";
  return xml.substr(start, close - start);
}

// A velocity word in a name (v1 .. v9, softest .. hardest, ppp .. fff): its
// rank, and the name without it; or rank -1.
std::pair<int, std::string> velocity_word(const std::string& stem) {
  static const std::map<std::string, int> words = {
      {"softest", 0}, {"soft", 1}, {"med", 2}, {"medium", 2}, {"hard", 3},
      {"hardest", 4}, {"ppp", 0},  {"pp", 1},  {"p", 2},      {"mp", 3},
      {"mf", 4},      {"f", 5},    {"ff", 6},  {"fff", 7}};
  std::vector<std::string> tokens;
  std::string token;
  for (char c : stem) {
    if (c == '-' || c == '_' || c == ' ' || c == '.') {
      tokens.push_back(token), token.clear();
    } else {
      token += c;
    }
  }
  tokens.push_back(token);
  for (size_t i = tokens.size(); i-- > 0;) {
    const std::string t = lower(tokens[i]);
    int rank = -1;
    if (t.size() == 2 && t[0] == 'v' && std::isdigit(static_cast<unsigned char>(t[1])))
      rank = t[1] - '0';
    else if (words.count(t))
      rank = words.at(t);
    if (rank < 0) continue;
    std::string key;
    for (size_t j = 0; j < tokens.size(); ++j) {
      if (j == i) continue;
      if (!key.empty()) key += '-';
      key += lower(tokens[j]);
    }
    return {rank, key};
  }
  return {-1, lower(stem)};
}

}  // namespace

namespace {

// A region's mapping from its opcodes (the global's, then the group's, then
// its own, each overriding the one before); none where it names no sample.
std::optional<SampleMapping> sfz_region(const std::map<std::string, std::string>& global,
                                        const std::map<std::string, std::string>& group,
                                        const std::map<std::string, std::string>& region) {
  std::map<std::string, std::string> all = global;
  for (const auto& [k, v] : group) all[k] = v;
  for (const auto& [k, v] : region) all[k] = v;
  if (!all.count("sample")) return std::nullopt;
  SampleMapping m;
  m.sample = all["default_path"] + all["sample"];
  std::replace(m.sample.begin(), m.sample.end(), '\\', '/');
  m.note = all.count("key") ? sfz_key(all["key"]) : all.count("lokey") ? sfz_key(all["lokey"]) : 36;
  m.lovel = all.count("lovel") ? number_in(all["lovel"], 0, 127, "lovel") : 1;
  m.hivel = all.count("hivel") ? number_in(all["hivel"], 0, 127, "hivel") : 127;
  if (m.note < 0 || m.note > 127) throw std::runtime_error("a key outside 0-127");
  if (m.lovel > m.hivel) throw std::runtime_error("lovel above hivel");
  m.lovel = std::max(1, m.lovel), m.hivel = std::max(1, m.hivel);
  return m;
}

// The end of an opcode's value that starts at `from`: the end of the line,
// or the next "name=" or "<" (a sample's value holds spaces).
size_t sfz_value_end(const std::string& text, size_t from) {
  size_t end = from;
  while (end < text.size() && text[end] != '\n' && text[end] != '<') {
    if (std::isspace(static_cast<unsigned char>(text[end]))) {
      size_t next = end;
      while (next < text.size() && text[next] == ' ') ++next;
      size_t word = next;
      while (word < text.size() &&
             (std::isalnum(static_cast<unsigned char>(text[word])) || text[word] == '_'))
        ++word;
      if (word > next && word < text.size() && text[word] == '=') break;
    }
    ++end;
  }
  return end;
}

}  // namespace

std::vector<SampleMapping> read_sfz(const std::string& text, const std::string& path) {
  std::vector<SampleMapping> out;
  try {
    // Comments out; then headers and opcodes.
    std::string clean;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      const size_t comment = line.find("//");
      clean += (comment == std::string::npos ? line : line.substr(0, comment)) + "\n";
    }
    std::map<std::string, std::string> global, group, region;
    std::string level;
    bool in_region = false;
    const auto finish_region = [&] {
      if (!in_region) return;
      if (auto m = sfz_region(global, group, region)) out.push_back(*m);
      region.clear();
    };
    size_t i = 0;
    while (i < clean.size()) {
      if (std::isspace(static_cast<unsigned char>(clean[i]))) {
        ++i;
        continue;
      }
      if (clean[i] == '<') {
        const size_t close = clean.find('>', i);
        if (close == std::string::npos) throw std::runtime_error("a header without '>'");
        finish_region();
        level = clean.substr(i + 1, close - i - 1);
        in_region = level == "region";
        if (level == "group") group.clear();
        i = close + 1;
        continue;
      }
      const size_t eq = clean.find('=', i);
      if (eq == std::string::npos) throw std::runtime_error("text that is no opcode");
      const std::string key = clean.substr(i, eq - i);
      if (key.empty() || key.find_first_of(" \t\n<>") != std::string::npos)
        throw std::runtime_error("an opcode name of '" + key + "'");
      const size_t end = sfz_value_end(clean, eq + 1);
      std::string value = clean.substr(eq + 1, end - eq - 1);
      while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back())))
        value.pop_back();
      (level == "region" ? region : level == "group" ? group : global)[key] = value;
      i = end;
    }
    finish_region();
  } catch (const std::exception& e) {
    throw InputError(path, std::string("malformed SFZ (") + e.what() + ")");
  }
  if (out.empty()) throw InputError(path, "no regions with a sample");
  return out;
}

std::vector<SampleMapping> read_hydrogen_kit(const std::string& xml, const std::string& path) {
  std::vector<SampleMapping> out;
  try {
    if (xml.find("<drumkit_info") == std::string::npos)
      throw std::runtime_error("no <drumkit_info>");
    int index = 0;
    for (size_t at = xml.find("<instrument>"); at != std::string::npos;
         at = xml.find("<instrument>", at + 1)) {
      const size_t end = xml.find("</instrument>", at);
      if (end == std::string::npos) throw std::runtime_error("an <instrument> not closed");
      const std::string id = xml_value(xml, at, end, "id");
      const int note = 36 + (id.empty() ? index : number_in(id, 0, 91, "an instrument id"));
      ++index;
      bool any_layer = false;
      for (size_t l = xml.find("<layer>", at); l != std::string::npos && l < end;
           l = xml.find("<layer>", l + 1)) {
        const size_t lend = std::min(end, xml.find("</layer>", l));
        const std::string file = xml_value(xml, l, lend, "filename");
        if (file.empty()) continue;
        const std::string lo = xml_value(xml, l, lend, "min"), hi = xml_value(xml, l, lend, "max");
        SampleMapping m;
        m.sample = file, m.note = note;
        m.lovel = std::max(
            1, int(std::lround((lo.empty() ? 0.0 : fraction_in(lo, "a layer's min")) * 127)));
        m.hivel = std::max(
            1, int(std::lround((hi.empty() ? 1.0 : fraction_in(hi, "a layer's max")) * 127)));
        if (m.lovel > m.hivel) throw std::runtime_error("a layer's min above its max");
        out.push_back(m), any_layer = true;
      }
      if (!any_layer) {  // the older format: a file on the instrument itself
        const std::string file = xml_value(xml, at, end, "filename");
        if (!file.empty()) out.push_back({file, note, 1, 127});
      }
    }
  } catch (const std::exception& e) {
    throw InputError(path, std::string("malformed Hydrogen kit (") + e.what() + ")");
  }
  if (out.empty()) throw InputError(path, "no instruments with a sample");
  return out;
}

std::vector<SampleMapping> read_kit_mapping(const std::string& path) {
  const std::string ext = lower(fs::path(path).extension().string());
  if (ext == ".sfz") return read_sfz(read_text(path), path);
  if (ext == ".xml") return read_hydrogen_kit(read_text(path), path);
  throw InputError(path,
                   "not a sample kit this drumsynth reads (an .sfz, or a Hydrogen drumkit.xml)");
}

std::vector<std::string> find_presets(const std::string& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw InputError(folder, "is not a folder");
  std::vector<std::string> out;
  for (auto it = fs::recursive_directory_iterator(
           folder, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (it->is_regular_file(ec) && name.size() > 12 &&
        name.compare(name.size() - 12, 12, ".preset.json") == 0)
      out.push_back(it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Kit make_kit(const std::vector<std::string>& preset_paths,
             const std::vector<SampleMapping>* mapping, const std::string& name) {
  Kit kit;
  kit.name = name;
  std::map<int, Pad> pads;
  const auto add_layer = [&](int note, const std::string& pad_name, const std::string& preset,
                             int velocity) {
    Pad& pad = pads[note];
    pad.note = note;
    if (pad.name.empty()) pad.name = pad_name;
    pad.layers.push_back({preset, velocity});
  };
  if (mapping) {
    std::map<std::string, const SampleMapping*> by_file;
    for (const SampleMapping& m : *mapping)
      by_file[lower(fs::path(m.sample).filename().string())] = &m;
    for (const std::string& path : preset_paths) {
      const Preset p = load_preset(path);
      std::string stem = fs::path(path).filename().string();
      stem = stem.substr(0, stem.size() - 12);  // ".preset.json"
      const SampleMapping* m = nullptr;
      if (!p.source.empty() && by_file.count(lower(fs::path(p.source).filename().string())))
        m = by_file[lower(fs::path(p.source).filename().string())];
      for (const auto& [file, mm] : by_file)
        if (!m && lower(fs::path(file).stem().string()) == lower(stem)) m = mm;
      if (!m) continue;  // not one of the kit's samples
      add_layer(m->note, general_midi_name(m->note).empty() ? stem : general_midi_name(m->note),
                path, m->hivel);
    }
  } else {
    // Drums by name without their velocity word; each drum's presets are its layers.
    std::map<std::string, std::vector<std::pair<int, std::string>>> drums;
    for (const std::string& path : preset_paths) {
      std::string stem = fs::path(path).filename().string();
      stem = stem.substr(0, stem.size() - 12);
      const auto [rank, key] = velocity_word(stem);
      drums[key].push_back({rank, path});
    }
    std::set<int> taken;
    for (auto& [key, layers] : drums) {
      std::sort(layers.begin(), layers.end());
      const Preset first = load_preset(layers.front().second);
      int note = general_midi_note(key, first);
      while (taken.count(note) && note < 127) ++note;
      taken.insert(note);
      for (size_t l = 0; l < layers.size(); ++l) {
        const int velocity = int(std::lround(127.0 * double(l + 1) / double(layers.size())));
        add_layer(note, key, layers[l].second, velocity);
      }
    }
  }
  for (auto& [note, pad] : pads) {
    if (note == 42 || note == 44 || note == 46) pad.choke_group = 1;
    std::sort(pad.layers.begin(), pad.layers.end(),
              [](const KitLayer& a, const KitLayer& b) { return a.velocity < b.velocity; });
    kit.pads.push_back(pad);
  }
  return kit;
}

std::string export_sfz(const LoadedKit& kit, const std::string& dir, const std::string& name,
                       int velocities, double sample_rate) {
  fs::create_directories(fs::path(dir) / "samples");
  std::ostringstream sfz;
  sfz << "// " << name << ": a drumsynth kit rendered by `drumsynth kit --sfz`, " << velocities
      << " velocity layers a pad.\n";
  for (const Pad& pad : kit.kit.pads) {
    sfz << "<group> amp_veltrack=0";  // each region is rendered at its velocity already
    if (pad.choke_group) sfz << " group=" << pad.choke_group << " off_by=" << pad.choke_group;
    sfz << " // " << pad.name << "\n";
    for (int v = 0, lo = 1; v < velocities; ++v) {
      const int hi = std::max(lo, int(std::lround(127.0 * (v + 1) / velocities)));
      const std::string file =
          "samples/" + std::to_string(pad.note) + "-v" + std::to_string(v + 1) + ".wav";
      const std::vector<double> x = render_kit(kit, {{0.0, pad.note, hi}}, sample_rate);
      save_wav((fs::path(dir) / file).string(), std::vector<float>(x.begin(), x.end()),
               sample_rate);
      sfz << "<region> sample=" << file << " key=" << pad.note << " lovel=" << lo << " hivel=" << hi
          << "\n";
      lo = hi + 1;
    }
  }
  const std::string path = (fs::path(dir) / (name + ".sfz")).string();
  write_text_atomic(path, sfz.str());
  return path;
}

}  // namespace drumsynth
