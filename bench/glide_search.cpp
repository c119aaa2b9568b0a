// The analysis' pitch-glide search (dechirp.cpp), timed alone, then the whole
// analysis: the search is most of the analysis that starts every fit (141 ms
// a sound over the development set before it was vectorised on 2026-12-02,
// ~30 ms after), the host's share of a GPU batch. Prints each sound's glide, so two builds'
// outputs can be compared line by line, and the total time on one thread.
// Usage: bench_glide_search DIR [REPEATS]
#include <chrono>
#include <cstdio>
#include <string>

#include "analysis/dechirp.hpp"
#include "drumsynth/analysis.hpp"
#include "drumsynth/audio_io.hpp"
#include "drumsynth/batch.hpp"

using namespace drumsynth;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_glide_search DIR [REPEATS]\n");
    return 2;
  }
  const int repeats = argc > 2 ? std::stoi(argv[2]) : 1;
  double total_s = 0, analysis_s = 0;
  int count = 0;
  for (const auto& path : find_audio_files(argv[1])) {
    const Sound sound = load_sound(path);
    const double onset = onset_s(sound);
    PitchSweep sweep;
    const auto start = std::chrono::steady_clock::now();
    for (int r = 0; r < repeats; ++r)
      sweep = estimate_pitch_sweep(sound.samples, onset, sound.sample_rate);
    const auto searched = std::chrono::steady_clock::now();
    total_s += std::chrono::duration<double>(searched - start).count() / repeats;
    for (int r = 0; r < repeats; ++r) (void)analyse(sound);
    analysis_s +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - searched).count() /
        repeats;
    ++count;
    std::printf("%.17g %.17g %s\n", sweep.ratio, sweep.sweep_s, path.c_str());
  }
  std::printf(
      "# %d sounds, glide search %.3f s (%.1f ms a sound), whole analysis %.3f s (%.1f ms a "
      "sound)\n",
      count, total_s, count ? 1e3 * total_s / count : 0.0, analysis_s,
      count ? 1e3 * analysis_s / count : 0.0);
}
