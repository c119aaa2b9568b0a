// A kit played offline (kit_render.hpp): its presets read, then the
// instrument's engine run over the notes.
#include "drumsynth/kit_render.hpp"

#include <algorithm>
#include <cmath>

#include "drumsynth/kit_player.hpp"

namespace drumsynth {

LoadedKit load_kit_presets(const Kit& kit) {
  LoadedKit k;
  k.kit = kit;
  for (const Pad& pad : kit.pads) {
    k.presets.emplace_back();
    k.silent.emplace_back();
    for (const KitLayer& layer : pad.layers) {
      Preset p;
      bool silent = false;
      try {
        p = load_preset(layer_path(kit, layer));
      } catch (const std::exception& e) {
        k.problems.push_back(std::string(e.what()) + " (pad " + std::to_string(pad.note) +
                             " plays it silent)");
        silent = true;
      }
      k.presets.back().push_back(p);
      k.silent.back().push_back(silent);
    }
  }
  return k;
}

std::vector<double> render_kit(const LoadedKit& kit, const std::vector<NoteEvent>& notes,
                               double sample_rate, double seconds) {
  constexpr int kBlock = 256;
  KitPlayer player(sample_rate, std::max(1, int(kit.kit.pads.size())) * kVoicesPerPad);
  player.swap_kit(prepare_kit(kit));
  std::vector<NoteEvent> sorted = notes;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const NoteEvent& a, const NoteEvent& b) { return a.time_s < b.time_s; });
  const size_t length = seconds > 0 ? size_t(std::lround(seconds * sample_rate)) : 0;
  std::vector<double> out;
  float block[kBlock];
  size_t next = 0;
  for (size_t at = 0;; at += kBlock) {
    if (seconds > 0 ? at >= length
                    : next == sorted.size() && at > 0 && player.sounding_voices() == 0)
      break;
    for (; next < sorted.size(); ++next) {
      const size_t frame = size_t(std::lround(std::max(0.0, sorted[next].time_s) * sample_rate));
      if (frame >= at + kBlock) break;
      player.note_on(sorted[next].note, sorted[next].velocity, int(frame - std::min(frame, at)));
    }
    player.process(block, kBlock);
    out.insert(out.end(), block, block + kBlock);
  }
  if (seconds > 0) {
    out.resize(length, 0.0);
  } else {  // up to the last sample a voice made
    while (!out.empty() && out.back() == 0.0) out.pop_back();
  }
  return out;
}

}  // namespace drumsynth
