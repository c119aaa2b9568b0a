// Fit quality of a batch run: for every target under each input folder, its
// render in the batch's output folder against the target. Per sound and as
// median and 90th percentile:
//   - the `auraloss`-preset MRSTFT loss of render against target,
//   - the mean absolute difference of their 10 ms RMS envelopes in dB (floor -80 dB),
//   - both again over the first 30 ms after the target's onset (the attack).
// Usage: bench_quality ARM_NAME OUT_ROOT IN_DIR [IN_DIR ...]
//   (renders of IN_DIR/x/y.wav are read from OUT_ROOT/basename(IN_DIR)/x/y.wav)
// Prints one markdown row of the summary; writes per-sound CSV to stdout's sibling
// file OUT_ROOT/quality.csv.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "drumsynth/analysis.hpp"
#include "drumsynth/batch.hpp"
#include "mrstft_loss.hpp"

using namespace drumsynth;
namespace fs = std::filesystem;

namespace {

std::vector<double> rms_db(const std::vector<double>& x, int hop) {
  std::vector<double> e;
  for (size_t i = 0; i < x.size(); i += hop) {
    double s = 0;
    const size_t m = std::min(size_t(hop), x.size() - i);
    for (size_t j = 0; j < m; ++j) s += x[i + j] * x[i + j];
    e.push_back(std::max(-80.0, 10.0 * std::log10(s / m + 1e-20)));
  }
  return e;
}

double envelope_diff_db(const std::vector<double>& a, const std::vector<double>& b, int hop) {
  const auto ea = rms_db(a, hop), eb = rms_db(b, hop);
  double s = 0;
  for (size_t i = 0; i < ea.size(); ++i) s += std::abs(ea[i] - eb[i]);
  return s / double(ea.size());
}

double aura(const std::vector<double>& x, const std::vector<double>& y, double sr) {
  MrstftLoss<double> l(loss_preset("auraloss"), sr, y);
  return l.loss(x);
}

double quantile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[size_t(std::min(double(v.size() - 1), std::floor(q * (v.size() - 1) + 0.5)))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: bench_quality ARM OUT_ROOT IN_DIR [IN_DIR ...]\n");
    return 2;
  }
  const std::string arm = argv[1];
  const fs::path out_root = argv[2];
  std::vector<double> loss, env, loss30, env30;
  std::ofstream csv(out_root / "quality.csv");
  csv << "file,auraloss,envelope_db,auraloss_30ms,envelope_db_30ms\n";
  int missing = 0;
  for (int a = 3; a < argc; ++a) {
    const fs::path in_dir = argv[a];
    const fs::path out_dir = out_root / in_dir.filename();
    for (const auto& f : find_audio_files(in_dir.string())) {
      const fs::path render = batch_output_paths(f, in_dir.string(), out_dir.string()).wav;
      if (!fs::exists(render)) {
        ++missing;
        continue;
      }
      const Sound t = load_sound(f), r = load_sound(render.string());
      const double sr = t.sample_rate;
      std::vector<double> y(t.samples.begin(), t.samples.end()), x(r.samples.begin(), r.samples.end());
      x.resize(y.size(), 0.0);
      const int hop = std::max(1, int(0.01 * sr));
      const double l = aura(x, y, sr), e = envelope_diff_db(x, y, hop);
      // The attack: 30 ms from the target's onset.
      const int on = int(analyse(t).onset_s * sr), len = std::min(int(y.size()) - on, int(0.03 * sr));
      std::vector<double> y30(y.begin() + on, y.begin() + on + len), x30(x.begin() + on, x.begin() + on + len);
      const double l30 = aura(x30, y30, sr), e30 = envelope_diff_db(x30, y30, std::max(1, int(0.005 * sr)));
      loss.push_back(l), env.push_back(e), loss30.push_back(l30), env30.push_back(e30);
      csv << (in_dir.filename() / relative_to_folder(f, in_dir.string())).string() << "," << l << "," << e << "," << l30 << "," << e30 << "\n";
    }
  }
  if (loss.empty()) {
    std::fprintf(stderr, "no renders found under %s\n", out_root.c_str());
    return 1;
  }
  std::printf("| %s | %zu | %.3f | %.3f | %.2f | %.2f | %.3f | %.3f | %.2f | %.2f |%s\n", arm.c_str(),
              loss.size(), quantile(loss, 0.5), quantile(loss, 0.9), quantile(env, 0.5),
              quantile(env, 0.9), quantile(loss30, 0.5), quantile(loss30, 0.9), quantile(env30, 0.5),
              quantile(env30, 0.9), missing ? (" " + std::to_string(missing) + " missing").c_str() : "");
  return 0;
}
