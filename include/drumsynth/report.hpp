// The listening report: OUT/report.html, one row per sound with the target
// and the render as audio players, their spectrograms on one colour scale, the
// loss curve, the first 30 ms of both envelopes, the losses, the envelope
// errors and the main parameters; failed sounds with their reason. A summary
// on top; rows sortable and filterable, a page at a time, images loaded
// lazily, so 10,000 rows stay responsive. Works offline from the file system:
// no server, no network, pictures written here (PNG and SVG), audio referenced
// by relative path. `drumsynth fit` and `drumsynth batch` write it; `drumsynth
// report OUT` rewrites it from a batch folder's summary.json.
#pragma once

#include <string>
#include <vector>

#include "drumsynth/fit_outputs.hpp"

namespace drumsynth {

struct ReportEntry {
  std::string input;     // the target's file
  std::string name;      // as shown: the path relative to the input folder
  std::string status;    // "ok", "skipped" (fitted by an earlier run), "failed", "interrupted"
  std::string error;     // why it failed
  FitOutputPaths paths;  // preset, render, loss curve
};

struct ReportInfo {
  std::string title;
  std::string device;  // where it was fitted
  double wall_s = 0;   // of this run
};

// Writes OUT/report.html and its pictures under OUT/report-assets/ (a
// picture newer than its preset is kept: a resumed batch redoes only the new
// ones). Returns the page's path.
std::string write_report(const std::string& out_dir, const std::vector<ReportEntry>& entries,
                         const ReportInfo& info);

}  // namespace drumsynth
