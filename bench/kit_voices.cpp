// Voices of the kit instrument's engine (KitPlayer) in real time on one core:
// N voices started together, each a random preset (every block sounding),
// played in 64-sample blocks at 48 kHz for a second of audio; the time it
// took, and the voices one core holds in real time (N / the real-time share).
// Usage: bench_kit_voices [VOICES ...]   (default 64 128 256 512)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "drumsynth/kit_player.hpp"
#include "drumsynth/param_table.hpp"

using namespace drumsynth;

int main(int argc, char** argv) {
  constexpr double kRate = 48000;
  constexpr int kBlock = 64;
  std::vector<int> counts;
  for (int a = 1; a < argc; ++a) counts.push_back(std::atoi(argv[a]));
  if (counts.empty()) counts = {64, 128, 256, 512};
  std::printf(
      "| voices | seconds per second of audio | voices per core in real time |\n|---|---|---|\n");
  for (const int n : counts) {
    // A kit of n / kVoicesPerPad + 1 pads of a random preset each, long decays, so none ends within
    // the second.
    LoadedKit kit;
    std::mt19937_64 rng(7);
    std::normal_distribution<double> z;
    const int pads = std::min(kMaxPads, n / kVoicesPerPad + 1);
    for (int p = 0; p < pads; ++p) {
      std::vector<double> logits(kNumParams);
      for (double& v : logits) v = z(rng);
      Preset preset;
      preset.params = params_from_logits(logits);
      for (int k = 0; k < kNumPartials; ++k) preset.params[P::tone_decay_s(k)] = 2.0;
      preset.params[P::onset_s] = 0, preset.noise_seed = uint64_t(p);
      Pad pad;
      pad.note = p, pad.layers = {{"", 127}};
      kit.kit.pads.push_back(pad);
      kit.presets.push_back({preset});
      kit.silent.push_back({false});
    }
    KitPlayer player(kRate, n);
    player.swap_kit(prepare_kit(kit));
    float block[kBlock];
    for (int v = 0; v < n; ++v) player.note_on(v / kVoicesPerPad, 127, 0);
    const auto start = std::chrono::steady_clock::now();
    for (int b = 0; b < int(kRate) / kBlock; ++b) player.process(block, kBlock);
    const double s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("| %d (%d sounding) | %.3f | %.0f |\n", n, player.sounding_voices(), s, n / s);
  }
  return 0;
}
