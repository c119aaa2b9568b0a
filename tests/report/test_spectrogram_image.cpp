// The report's spectrogram pictures (host/report/spectrogram_image.hpp): a tone lands
// in the row of its frequency on the log axis, the colour scale runs from
// black to pale yellow over its range, and the PNG reads back.
#include <gtest/gtest.h>
#include <png.h>

#include <cmath>
#include <vector>

#include "report/spectrogram_image.hpp"
#include "test_support.hpp"

namespace drumsynth {
namespace {

TEST(SpectrogramImage, AToneLandsInTheRowOfItsFrequency) {
  const double rate = 48000;
  for (double hz : {100.0, 1000.0, 8000.0}) {
    std::vector<double> x(static_cast<size_t>(rate));
    for (size_t i = 0; i < x.size(); ++i) x[i] = 0.5 * std::sin(2 * M_PI * hz * double(i) / rate);
    const int height = 128;
    const auto db = log_spectrogram_db(x, rate, 16, height);
    int loudest = 0;
    for (int r = 0; r < height; ++r)
      if (db[size_t(r)][8] > db[size_t(loudest)][8]) loudest = r;
    // Row r spans from 30 Hz * (24000 / 30)^((height - 1 - r) / height) up by
    // one row; at the bottom a row is narrower than an FFT bin (23 Hz), which
    // bounds how well the picture can place a low tone.
    const double row_hz = 30.0 * std::pow(24000.0 / 30.0, (height - 0.5 - loudest) / height);
    EXPECT_NEAR(row_hz, hz, std::max(rate / 2048, 0.03 * hz)) << hz << " Hz";
  }
}

TEST(SpectrogramImage, ColourScaleRunsFromBlackToPaleYellow) {
  const std::vector<std::vector<float>> db = {{0.0f, -40.0f, -80.0f, -120.0f}};
  const RgbImage im = colour_spectrogram(db, 0.0, 80.0);
  ASSERT_EQ(im.width, 4);
  ASSERT_EQ(im.height, 1);
  EXPECT_EQ(std::vector<uint8_t>(im.rgb.begin(), im.rgb.begin() + 3),
            (std::vector<uint8_t>{252, 253, 191}));
  EXPECT_EQ(std::vector<uint8_t>(im.rgb.begin() + 6, im.rgb.begin() + 9),
            (std::vector<uint8_t>{0, 0, 4}));
  EXPECT_EQ(std::vector<uint8_t>(im.rgb.begin() + 9, im.rgb.end()),
            (std::vector<uint8_t>{0, 0, 4}));  // clipped
  EXPECT_GT(im.rgb[3], im.rgb[6]);             // -40 dB between the two
}

TEST(SpectrogramImage, PngReadsBack) {
  test::ScratchDir dir;
  RgbImage im;
  im.width = 5, im.height = 3;
  for (int i = 0; i < 15; ++i)
    im.rgb.insert(im.rgb.end(), {uint8_t(i), uint8_t(2 * i), uint8_t(3 * i)});
  write_png(dir / "x.png", im);
  png_image back{};
  back.version = PNG_IMAGE_VERSION;
  ASSERT_TRUE(png_image_begin_read_from_file(&back, (dir / "x.png").c_str())) << back.message;
  back.format = PNG_FORMAT_RGB;
  std::vector<uint8_t> pixels(PNG_IMAGE_SIZE(back));
  ASSERT_TRUE(png_image_finish_read(&back, nullptr, pixels.data(), 0, nullptr)) << back.message;
  EXPECT_EQ(back.width, 5u);
  EXPECT_EQ(back.height, 3u);
  EXPECT_EQ(pixels, im.rgb);
  EXPECT_EQ(dir.files(), (std::vector<std::string>{"x.png"}));  // no temporary left
}

}  // namespace
}  // namespace drumsynth
