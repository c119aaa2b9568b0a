// Spectrogram pictures of fits for the quality report (issue 15, item 5): one
// PNG, a row per sound, columns target | render 1 | render 2 | ..., every
// panel on its row's target's colour scale (its loudest cell at the top, 80 dB
// range), log frequency 30 Hz to Nyquist upwards, time over the whole sound.
// Usage: bench_spectrogram_pairs OUT.png < rows.csv
//   each line: target,render[,render...] (audio files; renders cut or
//   zero-padded to the target's length)
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "drumsynth/audio_io.hpp"
#include "report/spectrogram_image.hpp"

using namespace drumsynth;

namespace {

constexpr int kWidth = 320, kHeight = 160, kGap = 6;

std::vector<double> samples_of(const std::string& path, size_t length) {
  const Sound s = load_sound(path);
  std::vector<double> x(s.samples.begin(), s.samples.end());
  if (length) x.resize(length, 0.0);
  return x;
}

void paste(RgbImage& canvas, const RgbImage& panel, int x0, int y0) {
  for (int r = 0; r < panel.height; ++r)
    std::copy_n(&panel.rgb[size_t(r) * size_t(panel.width) * 3], size_t(panel.width) * 3,
                &canvas.rgb[((size_t(y0 + r)) * size_t(canvas.width) + size_t(x0)) * 3]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr,
                 "usage: bench_spectrogram_pairs OUT.png < rows.csv (target,render[,render...])\n");
    return 2;
  }
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(std::cin, line);) {
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line);
    for (std::string c; std::getline(ss, c, ',');) cells.push_back(c);
    rows.push_back(cells);
  }
  size_t columns = 0;
  for (const auto& r : rows) columns = std::max(columns, r.size());
  if (rows.empty() || columns < 2) {
    std::fprintf(stderr, "bench_spectrogram_pairs: no rows of target,render on standard input\n");
    return 2;
  }
  RgbImage canvas;
  canvas.width = int(columns) * (kWidth + kGap) - kGap;
  canvas.height = int(rows.size()) * (kHeight + kGap) - kGap;
  canvas.rgb.assign(size_t(canvas.width) * size_t(canvas.height) * 3, 255);
  for (size_t i = 0; i < rows.size(); ++i) {
    const Sound target = load_sound(rows[i][0]);
    const std::vector<double> y(target.samples.begin(), target.samples.end());
    const auto db_y = log_spectrogram_db(y, target.sample_rate, kWidth, kHeight);
    const double top = spectrogram_peak_db(db_y);
    for (size_t c = 0; c < rows[i].size(); ++c) {
      const auto db = c == 0 ? db_y
                             : log_spectrogram_db(samples_of(rows[i][c], y.size()),
                                                  target.sample_rate, kWidth, kHeight);
      paste(canvas, colour_spectrogram(db, top), int(c) * (kWidth + kGap),
            int(i) * (kHeight + kGap));
    }
  }
  write_png(argv[1], canvas);
  return 0;
}
