// For tests/python/compare_drumblender_metrics.py: the report's spectral
// measures of an estimate against a target, as one JSON object on stdout.
//   metrics_dump ESTIMATE.wav TARGET.wav
#include <cstdio>
#include <nlohmann/json.hpp>

#include "drumsynth/audio_io.hpp"
#include "report/spectral_metrics.hpp"

using namespace drumsynth;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: metrics_dump ESTIMATE.wav TARGET.wav\n");
    return 2;
  }
  try {
    const Sound x = load_sound(argv[1]), y = load_sound(argv[2]);
    const std::vector<double> xd(x.samples.begin(), x.samples.end()),
        yd(y.samples.begin(), y.samples.end());
    const nlohmann::json j = {{"lsd", log_spectral_distance(xd, yd)},
                              {"mfcc", mfcc_error(xd, yd, y.sample_rate)},
                              {"end_level_db", end_level_db(yd, y.sample_rate)}};
    std::printf("%s\n", j.dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "metrics_dump: %s\n", e.what());
    return 1;
  }
  return 0;
}
