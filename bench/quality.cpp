// Fit quality of a batch run: for every target under each input folder, its
// render in the batch's output folder against the target. Per sound and as
// median and 90th percentile:
//   - the `auraloss`-preset MRSTFT loss of render against target,
//   - the mean absolute difference of their 10 ms RMS envelopes in dB (floor -80 dB),
//   - both again over the first 30 ms after the target's onset (the attack),
//   - the time-frequency envelope error (host/report/envelope_errors.hpp: ERB bands x 10 ms
//     frames, dB over the audible cells), which two noises with one envelope pass,
//   - DrumBlender's log-spectral distance and MFCC error (host/report/spectral_metrics.hpp),
//   - the end level: the last 5 ms against the peak, render minus target, in dB (a
//     render cut while it still rings ends far above a target that has died away);
//     of the preset rendered at the target's length without the release fade
//     (playback.hpp) that the written render ends with, which would hide it;
//   - the same of the written render (with that fade: what a user plays), and the tail
//     level: the unfaded render's 5 ms that end 25 ms before the end, against the
//     target's (whether the decays follow the recording up to its own fade-out).
// Usage: bench_quality ARM_NAME OUT_ROOT [--split CSV --part PART] IN_DIR [IN_DIR ...]
//   (renders of IN_DIR/x/y.wav are read from OUT_ROOT/basename(IN_DIR)/x/y.wav;
//   with --split, only the sounds of that part of bench/dev-split.csv, whose
//   categories also give per-category medians)
// Prints one markdown row of the summary; writes per-sound values to
// OUT_ROOT/quality.csv and per-category medians to OUT_ROOT/categories.csv.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "drumsynth/analysis.hpp"
#include "drumsynth/batch.hpp"
#include "drumsynth/preset.hpp"
#include "loss/mrstft_loss.hpp"
#include "report/envelope_errors.hpp"
#include "report/quantile.hpp"
#include "report/spectral_metrics.hpp"

using namespace drumsynth;
namespace fs = std::filesystem;

namespace {

double aura(const std::vector<double>& x, const std::vector<double>& y, double sr) {
  MrstftLoss<double> l(loss_preset(LossPreset::auraloss), sr, y);
  return l.loss(x);
}

// bench/dev-split.csv: file (relative to the data folder) -> (part, category).
std::map<std::string, std::pair<std::string, std::string>> read_split(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot be read");
  std::map<std::string, std::pair<std::string, std::string>> split;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string part, category, file;
    std::getline(ss, part, ','), std::getline(ss, category, ','), std::getline(ss, file);
    split[file] = {part, category};
  }
  return split;
}

struct Scores {
  std::vector<double> loss, env, loss30, env30, tf, lsd, mfcc, end, end_wav, tail;
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string split_path, part;
  for (size_t i = 0; i + 1 < args.size();)
    if (args[i] == "--split" || args[i] == "--part") {
      (args[i] == "--split" ? split_path : part) = args[i + 1];
      args.erase(args.begin() + long(i), args.begin() + long(i) + 2);
    } else {
      ++i;
    }
  if (args.size() < 3 || split_path.empty() != part.empty()) {
    std::fprintf(
        stderr,
        "usage: bench_quality ARM OUT_ROOT [--split CSV --part PART] IN_DIR [IN_DIR ...]\n");
    return 2;
  }
  const std::string arm = args[0];
  const fs::path out_root = args[1];
  const auto split = split_path.empty() ? decltype(read_split("")){} : read_split(split_path);
  Scores all;
  std::map<std::string, Scores> by_category;
  std::ofstream csv(out_root / "quality.csv");
  csv << "file,category,auraloss,envelope_db,auraloss_30ms,envelope_db_30ms,tf_envelope_db,lsd,"
         "mfcc,end_level_db,end_level_wav_db,tail_level_db\n";
  int missing = 0;
  for (size_t a = 2; a < args.size(); ++a) {
    const fs::path in_dir = args[a];
    const fs::path out_dir = out_root / in_dir.filename();
    for (const auto& f : find_audio_files(in_dir.string())) {
      const std::string rel = (in_dir.filename() / relative_to_folder(f, in_dir.string())).string();
      std::string category = "all";
      if (!split.empty()) {
        const auto it = split.find(rel);
        if (it == split.end() || it->second.first != part) continue;
        category = it->second.second;
      }
      const fs::path render = batch_output_paths(f, in_dir.string(), out_dir.string()).wav;
      if (!fs::exists(render)) {
        ++missing;
        continue;
      }
      const Sound t = load_sound(f), r = load_sound(render.string());
      const double sr = t.sample_rate;
      std::vector<double> y(t.samples.begin(), t.samples.end()),
          x(r.samples.begin(), r.samples.end());
      x.resize(y.size(), 0.0);
      const double l = aura(x, y, sr), e = rms_envelope_error_db(x, y, sr),
                   tf = tf_envelope_error_db(x, y, sr);
      // The attack: 30 ms from the target's onset.
      const int on = int(analyse(t).onset_s * sr),
                len = std::min(int(y.size()) - on, int(0.03 * sr));
      std::vector<double> y30(y.begin() + on, y.begin() + on + len),
          x30(x.begin() + on, x.begin() + on + len);
      const double l30 = aura(x30, y30, sr), e30 = rms_envelope_error_db(x30, y30, sr, 0.005);
      // (The reference rows' renders have no preset and no fade.)
      const std::string preset_path =
          batch_output_paths(f, in_dir.string(), out_dir.string()).preset;
      std::vector<double> unfaded = x;
      if (fs::exists(preset_path)) {
        const Preset preset = load_preset(preset_path);
        unfaded = drumsynth::render(preset.params, preset_voice_spec(preset));
      }
      const double lsd = log_spectral_distance(x, y), mf = mfcc_error(x, y, sr),
                   end = end_level_db(unfaded, sr) - end_level_db(y, sr),
                   end_wav = end_level_db(x, sr) - end_level_db(y, sr),
                   tail =
                       end_level_db(unfaded, sr, 0.005, 0.025) - end_level_db(y, sr, 0.005, 0.025);
      for (Scores* sc : {&all, &by_category[category]})
        sc->loss.push_back(l), sc->env.push_back(e), sc->loss30.push_back(l30),
            sc->env30.push_back(e30), sc->tf.push_back(tf), sc->lsd.push_back(lsd),
            sc->mfcc.push_back(mf), sc->end.push_back(end), sc->end_wav.push_back(end_wav),
            sc->tail.push_back(tail);
      csv << rel << "," << category << "," << l << "," << e << "," << l30 << "," << e30 << "," << tf
          << "," << lsd << "," << mf << "," << end << "," << end_wav << "," << tail << "\n";
    }
  }
  if (all.loss.empty()) {
    std::fprintf(stderr, "no renders found under %s\n", out_root.c_str());
    return 1;
  }
  std::ofstream cats(out_root / "categories.csv");
  cats << "arm,category,sounds,auraloss_median,envelope_db_median,tf_envelope_db_median,lsd_median,"
          "mfcc_median,end_level_db_median,end_level_wav_db_median,tail_level_db_median\n";
  for (const auto& [category, sc] : by_category)
    cats << arm << "," << category << "," << sc.loss.size() << "," << quantile(sc.loss, 0.5) << ","
         << quantile(sc.env, 0.5) << "," << quantile(sc.tf, 0.5) << "," << quantile(sc.lsd, 0.5)
         << "," << quantile(sc.mfcc, 0.5) << "," << quantile(sc.end, 0.5) << ","
         << quantile(sc.end_wav, 0.5) << "," << quantile(sc.tail, 0.5) << "\n";
  std::printf(
      "| %s | %zu | %.3f | %.3f | %.2f | %.2f | %.3f | %.3f | %.2f | %.2f | %.2f | %.2f | %.2f | "
      "%.0f | %+.1f | %+.1f | %+.1f "
      "|%s\n",
      arm.c_str(), all.loss.size(), quantile(all.loss, 0.5), quantile(all.loss, 0.9),
      quantile(all.env, 0.5), quantile(all.env, 0.9), quantile(all.loss30, 0.5),
      quantile(all.loss30, 0.9), quantile(all.env30, 0.5), quantile(all.env30, 0.9),
      quantile(all.tf, 0.5), quantile(all.tf, 0.9), quantile(all.lsd, 0.5), quantile(all.mfcc, 0.5),
      quantile(all.end, 0.5), quantile(all.end_wav, 0.5), quantile(all.tail, 0.5),
      missing ? (" " + std::to_string(missing) + " missing").c_str() : "");
  return 0;
}
