// What a finished fit leaves on disk: the preset, the best render at the
// target's rate and length, the loss history (CSV) and its picture (SVG).
// Each is written atomically; the preset last, so its presence means "done".
#pragma once

#include <string>

#include "drumsynth/fit.hpp"
#include "drumsynth/preset.hpp"

namespace drumsynth {

struct FitOutputPaths {
  std::string preset, wav, loss_csv, loss_svg;
};

// DIR/NAME.preset.json, DIR/NAME.wav, DIR/NAME.loss.csv, DIR/NAME.loss.svg, where
// NAME is the input's file name without extension. When DIR/NAME.wav would be
// the input file itself, the render goes to DIR/NAME.fit.wav instead.
FitOutputPaths fit_output_paths(const std::string& input, const std::string& out_dir);

Preset make_preset(const Sound& target, const FitResult& result, const FitOptions& options);

void write_fit_outputs(const Sound& target, const FitResult& result, const FitOptions& options,
                       const FitOutputPaths& paths);

// The loss curve as a small self-contained SVG (log-scaled loss against iteration).
std::string loss_curve_svg(const std::vector<double>& loss_history, const std::string& title);

}  // namespace drumsynth
