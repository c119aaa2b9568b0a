// Velocity layers predicted from the others (issue 42's measure): for each
// drum of a sample kit fitted layer by layer, each inner layer left out and
// played by the kit at its velocity from the other layers (blended between
// the two around it), against its recording; beside it, the nearest fitted
// layer played at that velocity (level only), which a kit without blending
// would play. Measures: the auraloss-preset loss, the broadband and the
// time-frequency envelope errors (report/envelope_errors.hpp).
// Usage: bench_layer_prediction PRESET_FOLDER KIT.sfz|drumkit.xml SAMPLE_FOLDER
// Prints a markdown table (per drum and the medians).
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "drumsynth/audio_io.hpp"
#include "drumsynth/kit_maker.hpp"
#include "drumsynth/kit_render.hpp"
#include "loss/mrstft_loss.hpp"
#include "report/envelope_errors.hpp"
#include "report/quantile.hpp"

using namespace drumsynth;
namespace fs = std::filesystem;

namespace {

struct Scores {
  double loss, env, tf;
};

Scores score(const std::vector<double>& x_in, const std::vector<double>& y, double rate) {
  std::vector<double> x = x_in;
  x.resize(y.size(), 0.0);
  MrstftLoss<double> l(loss_preset(LossPreset::auraloss), rate, y);
  return {l.loss(x), rms_envelope_error_db(x, y, rate), tf_envelope_error_db(x, y, rate)};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr,
                 "usage: bench_layer_prediction PRESET_FOLDER KIT.sfz|drumkit.xml SAMPLE_FOLDER\n");
    return 2;
  }
  const std::vector<SampleMapping> mapping = read_kit_mapping(argv[2]);
  const Kit kit = make_kit(find_presets(argv[1]), &mapping, "leave-one-out");
  std::map<std::string, int> hivel_of;                   // sample stem -> its velocity
  std::map<std::pair<int, int>, std::string> sample_of;  // (note, hivel) -> sample file
  for (const SampleMapping& m : mapping)
    sample_of[{m.note, m.hivel}] = (fs::path(argv[3]) / m.sample).string();
  std::printf(
      "| drum | layer (velocity) | predicted: loss | env dB | TF env dB | nearest layer: loss | "
      "env dB | TF env dB |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  std::vector<double> pl, pe, pt, nl, ne, nt;
  int wins = 0, cases = 0;
  for (const Pad& pad : kit.pads) {
    for (size_t out = 1; out + 1 < pad.layers.size(); ++out) {
      const int v = pad.layers[out].velocity;
      const auto sample = sample_of.find({pad.note, v});
      if (sample == sample_of.end()) continue;
      const Sound recording = load_sound(sample->second);
      const std::vector<double> y(recording.samples.begin(), recording.samples.end());
      const double rate = recording.sample_rate;
      Kit rest;
      Pad others = pad;
      others.layers.erase(others.layers.begin() + long(out));
      rest.pads = {others};
      const LoadedKit loaded = load_kit_presets(rest);
      const Scores predicted = score(render_kit(loaded, {{0.0, pad.note, v}}, rate), y, rate);
      // The nearest other layer, alone, at this velocity (the louder on a tie).
      const size_t near =
          std::abs(pad.layers[out - 1].velocity - v) < std::abs(pad.layers[out + 1].velocity - v)
              ? out - 1
              : out + 1;
      Kit single;
      Pad one = pad;
      one.layers = {pad.layers[near]};
      single.pads = {one};
      const Scores nearest =
          score(render_kit(load_kit_presets(single), {{0.0, pad.note, v}}, rate), y, rate);
      std::printf("| %s | %zu (%d) | %.3f | %.2f | %.2f | %.3f | %.2f | %.2f |\n", pad.name.c_str(),
                  out + 1, v, predicted.loss, predicted.env, predicted.tf, nearest.loss,
                  nearest.env, nearest.tf);
      pl.push_back(predicted.loss), pe.push_back(predicted.env), pt.push_back(predicted.tf);
      nl.push_back(nearest.loss), ne.push_back(nearest.env), nt.push_back(nearest.tf);
      wins += predicted.loss < nearest.loss;
      ++cases;
    }
  }
  std::printf("| **median** | %d layers | %.3f | %.2f | %.2f | %.3f | %.2f | %.2f |\n", cases,
              quantile(pl, 0.5), quantile(pe, 0.5), quantile(pt, 0.5), quantile(nl, 0.5),
              quantile(ne, 0.5), quantile(nt, 0.5));
  std::printf("\nPredicted closer in loss than the nearest layer: %d of %d.\n", wins, cases);
  return 0;
}
