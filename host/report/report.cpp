// The listening report (report.hpp): per sound, its pictures and figures
// (computed once and kept beside the pictures, so a resumed batch redoes only
// its new sounds), then one page holding every row as JSON; the page's script
// (report_page.cpp) sorts, filters and pages them.
#include "drumsynth/report.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cpu/parallel_for.hpp"
#include "drumsynth/analysis.hpp"
#include "drumsynth/audio_io.hpp"
#include "drumsynth/param_table.hpp"
#include "drumsynth/preset.hpp"
#include "io/write_atomic.hpp"
#include "report/envelope_errors.hpp"
#include "report/quantile.hpp"
#include "report/report_page.hpp"
#include "report/spectrogram_image.hpp"

namespace drumsynth {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kSpectrogramWidth = 320, kSpectrogramHeight = 128;
constexpr double kAttackS = 0.03;

// Whether browsers play this audio file as it is: WAV, FLAC, Ogg (Vorbis,
// Opus) do; AIFF, CAF, W64 and AU do not (Chromium: MEDIA_ERR_SRC_NOT_SUPPORTED),
// so those targets get a WAV preview beside the pictures.
bool browser_plays(const fs::path& audio) {
  std::string ext = audio.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  for (const char* playable : {".wav", ".wave", ".flac", ".ogg", ".oga", ".opus"})
    if (ext == playable) return true;
  return false;
}

std::string format(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

// A path as the page links it: relative to the page's folder, '/'-separated.
std::string link(const fs::path& target, const fs::path& out_dir) {
  return fs::relative(fs::absolute(target), fs::absolute(out_dir)).generic_string();
}

// The first 30 ms after the target's onset: both RMS envelopes (3 ms windows
// every 0.5 ms) in dB relative to the target's loudest point there, 40 dB
// tall, as a small SVG.
std::string attack_svg(const std::vector<double>& target, const std::vector<double>& render,
                       double rate, double onset_s) {
  const int win = std::max(1, int(0.003 * rate)), start = int(onset_s * rate);
  const int points = int(kAttackS / 0.0005);
  auto envelope = [&](const std::vector<double>& x) {
    std::vector<double> e;
    for (int f = 0; f <= points; ++f) {
      const long centre = start + long(f * 0.0005 * rate);
      double s = 0;
      for (long t = centre - win / 2; t < centre - win / 2 + win; ++t)
        if (t >= 0 && t < long(x.size())) s += x[size_t(t)] * x[size_t(t)];
      e.push_back(10.0 * std::log10(s / win + 1e-12));
    }
    return e;
  };
  const auto et = envelope(target), er = envelope(render);
  const double top = *std::max_element(et.begin(), et.end());
  const double w = 180, h = 90, range = 40;
  auto polyline = [&](const std::vector<double>& e, const char* colour) {
    std::string pts;
    for (size_t f = 0; f < e.size(); ++f) {
      const double y = std::clamp((top - e[f]) / range, 0.0, 1.0) * h;
      pts += format("%.1f", w * double(f) / double(e.size() - 1)) + "," + format("%.1f", y) + " ";
    }
    return std::string("<polyline fill=\"none\" stroke=\"") + colour +
           "\" stroke-width=\"1.5\" points=\"" + pts + "\"/>";
  };
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h + 14
      << "\" font-family=\"sans-serif\" font-size=\"9\"><rect width=\"" << w << "\" height=\"" << h
      << "\" fill=\"#111\"/>" << polyline(et, "#ddd") << polyline(er, "#f80")
      << "<text x=\"2\" y=\"" << h + 11
      << "\" fill=\"#555\">0-30 ms, 40 dB: target white, render orange</text></svg>\n";
  return svg.str();
}

// The preset's main parameters, as people read them.
json main_parameters(const Preset& p) {
  auto value = [&](const char* name) { return p.params[size_t(param_index(name))]; };
  auto db = [](double gain) {
    return gain > 0 ? format("%.1f dB", 20 * std::log10(gain)) : std::string("-inf dB");
  };
  return {{"tone 1", format("%.1f Hz", value("tone1_freq_hz")) + ", " +
                         format("%.0f ms", 1000 * value("tone1_decay_s")) + ", " +
                         db(value("tone1_gain"))},
          {"pitch sweep", format("x%.2f", value("sweep_ratio")) + " over " +
                              format("%.0f ms", 1000 * value("sweep_s"))},
          {"noise", format("%.0f", value("noise_low_hz")) + "-" +
                        format("%.0f Hz", value("noise_high_hz")) + ", " +
                        format("%.0f ms", 1000 * value("noise_decay_s")) + ", " +
                        db(value("noise_gain"))},
          {"resonator",
           format("%.1f Hz", value("resonator_freq_hz")) + ", " + db(value("resonator_gain"))},
          {"transient",
           format("%.0f Hz", value("transient_freq_hz")) + ", " + db(value("transient_gain"))}};
}

// One fitted sound's pictures and figures, computed or read back from its
// figures file when that is newer than the preset.
json fitted_row(const ReportEntry& e, const fs::path& out_dir, const fs::path& assets) {
  const fs::path base = assets / e.name;
  const fs::path figures = base.string() + ".report.json";
  std::error_code ec;
  const auto preset_time = fs::last_write_time(e.paths.preset, ec);
  if (!ec && fs::exists(figures) && fs::last_write_time(figures, ec) >= preset_time) {
    std::ifstream in(figures);
    try {
      json kept = json::parse(in);
      if (kept.contains("target"))
        return kept;                    // else written before rows named their target's audio
    } catch (const json::exception&) {  // rewritten below
    }
  }
  fs::create_directories(base.parent_path());
  const Preset p = load_preset(e.paths.preset);
  LoadOptions any_length;
  any_length.max_seconds = 1e9;
  const Sound target = load_sound(e.input, any_length);
  any_length.refuse_silence = false;
  const Sound render = load_sound(e.paths.wav, any_length);
  const std::vector<double> y(target.samples.begin(), target.samples.end());
  std::vector<double> x(render.samples.begin(), render.samples.end());
  x.resize(y.size(), 0.0);
  const double rate = target.sample_rate;
  const auto db_target = log_spectrogram_db(y, rate, kSpectrogramWidth, kSpectrogramHeight);
  const auto db_render = log_spectrogram_db(x, rate, kSpectrogramWidth, kSpectrogramHeight);
  const double top = spectrogram_peak_db(db_target);  // one scale: the target's
  const fs::path target_png = base.string() + ".target.png",
                 render_png = base.string() + ".render.png";
  const fs::path attack = base.string() + ".attack.svg";
  write_png(target_png.string(), colour_spectrogram(db_target, top));
  write_png(render_png.string(), colour_spectrogram(db_render, top));
  write_text_atomic(attack.string(), attack_svg(y, x, rate, onset_s(target)));
  std::string target_audio = link(e.input, out_dir);
  if (!browser_plays(e.input)) {  // the target as it was fitted: mono, at its rate
    const fs::path preview = base.string() + ".target.wav";
    save_wav(preview.string(), target.samples, rate);
    target_audio = link(preview, out_dir);
  }
  json row = {{"target", target_audio},
              {"target_png", link(target_png, out_dir)},
              {"render_png", link(render_png, out_dir)},
              {"attack_svg", link(attack, out_dir)},
              {"initial_loss", p.initial_loss},
              {"final_loss", p.final_loss},
              {"iterations", p.iterations},
              {"envelope_db", rms_envelope_error_db(x, y, rate)},
              {"tf_envelope_db", tf_envelope_error_db(x, y, rate)},
              {"seconds", target.seconds()},
              {"sample_rate", rate},
              {"parameters", main_parameters(p)}};
  write_text_atomic(figures.string(), row.dump());
  return row;
}

// An entry's preset file as the key its pictures are made under (entries
// whose preset is one file, links to it, share them), or "" for an entry
// without a fitted preset.
std::string preset_key(const ReportEntry& e) {
  std::error_code ec;
  if (!(e.status == "ok" || e.status == "skipped") || !fs::exists(e.paths.preset, ec)) return "";
  const fs::path canonical = fs::canonical(e.paths.preset, ec);
  return ec ? e.paths.preset : canonical.string();
}

// A fitted entry's figures, or the error that stopped them.
struct Figures {
  json row;
  std::string error;
};

json row_of(const ReportEntry& e, const fs::path& out_dir, const Figures* figures) {
  json row = {{"name", e.name},
              {"folder", fs::path(e.name).parent_path().generic_string()},
              {"status", e.status},
              {"error", e.error}};
  if (!figures) return row;  // not fitted: no player (a file that failed may not play at all)
  if (!figures->error.empty()) {
    row["status"] = "failed";
    row["error"] = "report: " + figures->error;
    return row;
  }
  row.update(figures->row);
  row["render"] = link(e.paths.wav, out_dir);
  row["loss_svg"] = link(e.paths.loss_svg, out_dir);
  return row;
}

json summary_of(const json& rows, const ReportInfo& info) {
  std::vector<double> loss;
  int failed = 0, interrupted = 0;
  for (const auto& r : rows) {
    if (r.contains("final_loss")) loss.push_back(r["final_loss"].get<double>());
    failed += r["status"] == "failed";
    interrupted += r["status"] == "interrupted";
  }
  return {{"title", info.title},
          {"device", info.device},
          {"wall_s", info.wall_s},
          {"sounds", rows.size()},
          {"fitted", loss.size()},
          {"failed", failed},
          {"interrupted", interrupted},
          {"median_loss", loss.empty() ? json(nullptr) : json(quantile(loss, 0.5))},
          {"p90_loss", loss.empty() ? json(nullptr) : json(quantile(loss, 0.9))}};
}

}  // namespace

std::string write_report(const std::string& out_dir, const std::vector<ReportEntry>& entries,
                         const ReportInfo& info) {
  const fs::path out = out_dir, assets = out / "report-assets";
  // Each preset's figures once (spectrograms, PNGs: ~40 ms a sound), the
  // presets on every core, then the rows in the entries' order.
  std::map<std::string, size_t> first_entry;  // preset key -> the entry that makes its figures
  std::vector<std::string> keys;
  for (size_t i = 0; i < entries.size(); ++i) {
    keys.push_back(preset_key(entries[i]));
    if (!keys.back().empty()) first_entry.emplace(keys.back(), i);
  }
  std::vector<std::pair<std::string, size_t>> todo(first_entry.begin(), first_entry.end());
  std::vector<Figures> made(todo.size());
  parallel_for(int(todo.size()), int(std::max(1u, std::thread::hardware_concurrency())),
               [&](int k) {
                 try {
                   made[size_t(k)].row = fitted_row(entries[todo[size_t(k)].second], out, assets);
                 } catch (const std::exception& ex) {
                   made[size_t(k)].error = ex.what();
                 }
               });
  std::map<std::string, const Figures*> by_preset;
  for (size_t k = 0; k < todo.size(); ++k) by_preset[todo[k].first] = &made[k];
  json rows = json::array();
  for (size_t i = 0; i < entries.size(); ++i)
    rows.push_back(row_of(entries[i], out, keys[i].empty() ? nullptr : by_preset.at(keys[i])));
  const std::string page = (out / "report.html").string();
  write_text_atomic(page, report_page(summary_of(rows, info), rows));
  return page;
}

}  // namespace drumsynth
