// Writing a fit's outputs.
#include "drumsynth/fit_outputs.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "drumsynth/playback.hpp"
#include "io/write_atomic.hpp"

namespace drumsynth {

namespace fs = std::filesystem;

FitOutputPaths fit_output_paths(const std::string& input, const std::string& out_dir) {
  const fs::path dir(out_dir.empty() ? "." : out_dir);
  const std::string name = fs::path(input).stem().string();
  FitOutputPaths p;
  p.preset = (dir / (name + ".preset.json")).string();
  p.loss_csv = (dir / (name + ".loss.csv")).string();
  p.loss_svg = (dir / (name + ".loss.svg")).string();
  fs::path wav = dir / (name + ".wav");
  std::error_code ec;
  if (fs::exists(wav, ec) && fs::equivalent(wav, fs::path(input), ec))
    wav = dir / (name + ".fit.wav");
  p.wav = wav.string();
  return p;
}

Preset make_preset(const Sound& target, const FitResult& result, const FitOptions& options) {
  Preset p;
  p.params = result.params;
  p.sample_rate = target.sample_rate;
  p.n_samples = int(target.samples.size());
  p.noise_seed = result.noise_seed;
  p.loss = options.loss;
  p.final_loss = result.best_loss;
  p.initial_loss = result.initial_loss;
  p.iterations = int(result.loss_history.size());
  p.partials_dropped = result.partials_dropped;
  p.source = target.path;
  return p;
}

std::string loss_curve_svg(const std::vector<double>& h, const std::string& title) {
  const double W = 640, H = 360, L = 60, R = 20, T = 30, B = 40;
  double lo = INFINITY, hi = -INFINITY;
  for (double v : h)
    if (v > 0 && std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!(lo < hi)) lo = (lo > 0 && std::isfinite(lo) ? lo : 1.0) / 2, hi = lo * 4;
  const double llo = std::log10(lo), lhi = std::log10(hi);
  auto x = [&](size_t i) {
    return L + (W - L - R) * double(i) / double(std::max<size_t>(1, h.size() - 1));
  };
  auto y = [&](double v) {
    return T + (H - T - B) * (lhi - std::log10(std::max(v, lo))) / (lhi - llo);
  };
  std::ostringstream s;
  s << "<svg xmlns='http://www.w3.org/2000/svg' width='" << W << "' height='" << H
    << "' font-family='sans-serif' font-size='12'>\n<rect width='100%' height='100%' "
       "fill='white'/>\n"
    << "<text x='" << L << "' y='18'>" << title << "</text>\n"
    << "<line x1='" << L << "' y1='" << H - B << "' x2='" << W - R << "' y2='" << H - B
    << "' stroke='black'/>\n"
    << "<line x1='" << L << "' y1='" << T << "' x2='" << L << "' y2='" << H - B
    << "' stroke='black'/>\n"
    << "<text x='" << L << "' y='" << H - 12 << "'>0</text><text x='" << W - R - 40 << "' y='"
    << H - 12 << "'>" << h.size() << " iterations</text>\n"
    << "<text x='4' y='" << T + 4 << "'>" << hi << "</text><text x='4' y='" << H - B << "'>" << lo
    << "</text>\n<polyline fill='none' stroke='#1f77b4' points='";
  // At most ~1000 points: enough for the eye, small enough for the file.
  const size_t stride = std::max<size_t>(1, h.size() / 1000);
  for (size_t i = 0; i < h.size(); i += stride)
    if (std::isfinite(h[i])) s << x(i) << "," << y(h[i]) << " ";
  s << "'/>\n</svg>\n";
  return s.str();
}

void write_fit_outputs(const Sound& target, const FitResult& result, const FitOptions& options,
                       const FitOutputPaths& paths) {
  std::ostringstream csv;
  csv << "iteration,loss,best\n";
  double best = INFINITY;
  for (size_t i = 0; i < result.loss_history.size(); ++i) {
    best = std::min(best, result.loss_history[i]);
    csv << i << "," << result.loss_history[i] << "," << best << "\n";
  }
  write_text_atomic(paths.loss_csv, csv.str());
  write_text_atomic(
      paths.loss_svg,
      loss_curve_svg(result.loss_history, fs::path(target.path).filename().string() + ": loss (" +
                                              name_of(options.loss.preset) + "), log scale"));
  const Preset preset = make_preset(target, result, options);
  const auto audio =
      play_preset(preset, 0, target.seconds());  // the target's length, faded if it rings on
  save_wav(paths.wav, std::vector<float>(audio.begin(), audio.end()), preset.sample_rate);
  save_preset(paths.preset, preset);
}

}  // namespace drumsynth
