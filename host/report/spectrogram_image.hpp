// Spectrogram pictures for the listening report: log-frequency (30 Hz to
// Nyquist, bottom to top), dB on a colour scale whose top the caller fixes,
// so a target and its render share one scale. Written as PNG through libpng.
#pragma once

#include <stdint.h>

#include <string>
#include <vector>

namespace drumsynth {

// Power in dB, [row][column]: `height` log-spaced frequency rows (row 0 the
// highest) by `width` frames spread over the sound (2048-point Hann frames).
std::vector<std::vector<float>> log_spectrogram_db(const std::vector<double>& x, double rate,
                                                   int width, int height);

// The loudest cell, the top of a shared colour scale.
double spectrogram_peak_db(const std::vector<std::vector<float>>& db);

struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // row-major, 3 bytes a pixel
};

// Colours cells from top_db - range_db (black) to top_db (pale yellow).
RgbImage colour_spectrogram(const std::vector<std::vector<float>>& db, double top_db,
                            double range_db = 80.0);

// PNG, atomically (a temporary file, then rename). Throws Error on failure.
void write_png(const std::string& path, const RgbImage& image);

}  // namespace drumsynth
