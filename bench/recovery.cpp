// Synthetic recovery (issue 6, item 5): render random presets (logits ~ N(0, 1),
// the original's starting distribution), fit each back from scratch, from the
// analysis of its render and from random logits, and report per arm:
//   - the fraction whose refit render reaches an auraloss-preset loss below a
//     threshold (derived below from two measured reference points),
//   - the tone frequency errors in cents (tone_cents.hpp): for each audible
//     partial of the preset (gain >= 10% of its loudest), the distance to the
//     nearest refit partial that is not silent (gain >= 1e-3).
// The threshold: per preset, the loss of its own render with another noise
// seed (what a perfect refit scores: the noise differs sample by sample) and
// the loss of an unrelated random preset's render (what knowing nothing
// scores); a refit counts as recovered below a quarter of the way from the
// median of the first to the median of the second.
// Usage: bench_recovery N ITERATIONS SECONDS SAMPLE_RATE THREADS LOSS_PRESET > table.md
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "drumsynth/fit.hpp"
#include "drumsynth/param_table.hpp"
#include "loss/mrstft_loss.hpp"
#include "report/tone_cents.hpp"
#include "synth/voice_tape.hpp"

using namespace drumsynth;

namespace {

struct Outcome {
  double floor = 0, unrelated = 0;  // reference losses
  double loss[2] = {0, 0};          // refit loss: analysis, random
  std::vector<double> cents[2];
};

double metric(const std::vector<float>& x, const std::vector<float>& y, double sr) {
  MrstftLoss<double> l(loss_preset(LossPreset::auraloss), sr,
                       std::vector<double>(y.begin(), y.end()));
  return l.loss(std::vector<double>(x.begin(), x.end()));
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[size_t(std::floor(q * double(v.size() - 1) + 0.5))];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr,
                 "usage: bench_recovery N ITERATIONS SECONDS SAMPLE_RATE THREADS LOSS_PRESET\n");
    return 2;
  }
  const int N = std::atoi(argv[1]), iterations = std::atoi(argv[2]), T = std::atoi(argv[5]);
  const double seconds = std::atof(argv[3]), sr = std::atof(argv[4]);
  const int n = int(seconds * sr);
  const std::string fit_loss = argv[6];
  std::vector<Outcome> out(static_cast<size_t>(N));
  const int arms = std::getenv("RECOVERY_ANALYSIS_ONLY") ? 1 : 2;  // skip the random-logits arm
  std::atomic<int> next{0}, done{0};
  auto work = [&] {
    for (int k; (k = next++) < N;) {
      const auto p = params_from_logits(random_logits(5000 + uint64_t(k)));
      const auto y = render(p, VoiceSpec{n, sr, 77});
      Outcome& o = out[k];
      o.floor = metric(render(p, VoiceSpec{n, sr, 78}), y, sr);
      o.unrelated = metric(
          render(params_from_logits(random_logits(9000 + uint64_t(k))), VoiceSpec{n, sr, 77}), y,
          sr);
      const Sound s{"preset", sr, 1, y};
      for (int arm = 0; arm < arms; ++arm) {
        FitOptions fo;
        fo.iterations = iterations;
        fo.init = arm == 0 ? FitInit::analysis : FitInit::random;
        fo.seed = 1;
        fo.loss = loss_preset(parse_name<LossPreset>(fit_loss));
        if (const char* v = std::getenv("RECOVERY_PITCH_LR_SCALE"))
          fo.pitch_lr_scale = std::atof(v);
        if (const char* v = std::getenv("RECOVERY_SEARCH_GENERATIONS"))
          fo.search_generations = std::atoi(v);
        if (const char* v = std::getenv("RECOVERY_SEARCH_POPULATION"))
          fo.search_population = std::atoi(v);
        if (const char* v = std::getenv("RECOVERY_SEARCH_AFTER"))
          fo.search_after_iterations = std::atoi(v);
        const FitResult r = fit(s, fo);
        const std::vector<float> pr(r.params.begin(), r.params.end());
        o.loss[arm] = metric(render(pr, VoiceSpec{n, sr, r.noise_seed}), y, sr);
        o.cents[arm] = tone_cents(p, r.params, sr);
      }
      std::fprintf(stderr, "\r%d/%d presets", ++done, N);
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < T; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  std::fprintf(stderr, "\n");

  std::vector<double> floors, unrelated;
  for (const auto& o : out) floors.push_back(o.floor), unrelated.push_back(o.unrelated);
  const double f50 = quantile(floors, 0.5), u50 = quantile(unrelated, 0.5);
  const double threshold = f50 + 0.25 * (u50 - f50);
  std::printf(
      "%d random presets (logits ~ N(0, 1)), %.2f s at %.0f Hz; each fitted back for %d iterations "
      "(%s loss, Adam 0.1, plateau schedule), one start per arm.\n\n",
      N, seconds, sr, iterations, fit_loss.c_str());
  std::printf(
      "Reference losses (auraloss preset): the preset's own render with another noise seed, median "
      "%.3f; "
      "an unrelated random preset's render, median %.3f. Threshold: a quarter of the way, "
      "%.3f.\n\n",
      f50, u50, threshold);
  std::printf(
      "| start | recovered (loss < %.3f) | median loss | 90th pct loss | partials matched | "
      "median cents error | within 50 cents | within 10 cents "
      "|\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
      threshold);
  for (int arm = 0; arm < arms; ++arm) {
    std::vector<double> l, c;
    int ok = 0;
    for (const auto& o : out) {
      l.push_back(o.loss[arm]);
      ok += o.loss[arm] < threshold;
      c.insert(c.end(), o.cents[arm].begin(), o.cents[arm].end());
    }
    const auto frac = [&](double lim) {
      return c.empty() ? 0.0
                       : 100.0 *
                             double(std::count_if(c.begin(), c.end(),
                                                  [&](double v) { return v <= lim; })) /
                             double(c.size());
    };
    std::printf("| %s | %.1f%% (%d of %d) | %.3f | %.3f | %zu | %.1f | %.0f%% | %.0f%% |\n",
                arm == 0 ? "analysis" : "random logits", 100.0 * ok / N, ok, N, quantile(l, 0.5),
                quantile(l, 0.9), c.size(), quantile(c, 0.5), frac(50), frac(10));
  }
  return 0;
}
