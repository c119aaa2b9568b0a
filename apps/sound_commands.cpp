// fit, render and loss: one sound at a time (cli_options.hpp).
#include <spdlog/spdlog.h>

#include <filesystem>

#include "cli_options.hpp"
#include "drumsynth/audio_io.hpp"
#include "drumsynth/fit_outputs.hpp"
#include "drumsynth/hits.hpp"
#include "drumsynth/playback.hpp"
#include "drumsynth/preset.hpp"
#include "drumsynth/render.hpp"
#include "drumsynth/report.hpp"
#include "drumsynth/split.hpp"

namespace drumsynth::cli {
namespace {

// fit --split: each hit fitted, a kit and a MIDI file that replay the recording.
int run_split_fit(const Sound& target, const std::vector<Hit>& hits, const std::string& out_dir,
                  FitOptions options, bool quiet) {
  const SplitPaths paths = split_paths(target.path, out_dir);
  options.progress = nullptr;  // several sounds at once
  const SplitFit s = fit_split(target, hits, options, paths);
  for (size_t h = 0; h < s.fits.size(); ++h) {
    if (s.fits[h].error) {
      try {
        std::rethrow_exception(s.fits[h].error);
      } catch (const std::exception& e) {
        spdlog::warn("hit {} at {:.3f} s: not fitted: {}", h + 1, hits[h].onset_s, e.what());
      }
    } else if (!quiet) {
      const FitResult& r = s.fits[h].result;
      spdlog::info("hit {} at {:.3f} s, velocity {}: loss {:.4f} -> {:.4f} in {} iterations", h + 1,
                   hits[h].onset_s, hits[h].velocity, r.initial_loss, r.best_loss,
                   r.loss_history.size());
    }
  }
  if (!quiet) {
    const std::vector<double> y(target.samples.begin(), target.samples.end());
    spdlog::info(
        "wrote {}/, {} ({} pads), {} and {} (the kit playing the MIDI file: loss {:.4f} against "
        "the recording, auraloss preset)",
        paths.folder, paths.kit, s.kit.pads.size(), paths.midi, paths.replay,
        mrstft_loss(s.replay, y, target.sample_rate, loss_preset(LossPreset::auraloss)));
  }
  return 0;
}

int run_fit(const std::string& input, const std::string& out_dir, FitOptions options,
            double max_seconds, bool quiet, bool report, bool split) {
  const Sound target = load_sound(input, {max_seconds});
  const std::vector<Hit> hits = find_hits(target);
  if (hits.size() > 1) {
    std::string at;
    for (const Hit& h : hits) at += (at.empty() ? "" : ", ") + fmt::format("{:.3f}", h.onset_s);
    if (split) {
      if (!quiet) spdlog::info("{}: {} hits (at {} s); fitting each", input, hits.size(), at);
      return run_split_fit(target, hits, out_dir, options, quiet);
    }
    spdlog::warn(
        "{}: {} hits (at {} s), fitted as one sound; --split fits each and writes a kit and a MIDI "
        "file",
        input, hits.size(), at);
  }
  const FitOutputPaths paths = fit_output_paths(input, out_dir);
  if (!quiet) {
    spdlog::info(
        "{}: {:.3f} s, {} Hz, {} channel(s); {} iterations x {} restart(s) from {}, loss preset {}",
        input, target.seconds(), target.sample_rate, target.n_channels, options.iterations,
        options.restarts, options.init == FitInit::random ? "random logits" : "analysis",
        name_of(options.loss.preset));
    options.progress = ProgressLine{};
  }
  const FitResult r = fit(target, options);
  if (r.skipped_steps > 0)
    spdlog::warn("{}: {} of {} iterations skipped: the loss or its gradient was not finite", input,
                 r.skipped_steps, options.iterations);
  write_fit_outputs(target, r, options, paths);
  if (!quiet)
    spdlog::info("loss {:.4f} -> {:.4f} in {} iterations{}, {:.1f} s; wrote {}, {}, {}",
                 r.initial_loss, r.best_loss, r.loss_history.size(),
                 r.partials_dropped ? fmt::format(", {} partials dropped", r.partials_dropped) : "",
                 r.seconds, paths.preset, paths.wav, paths.loss_csv);
  if (report) {
    const std::string name = std::filesystem::path(input).filename().string();
    const std::string page = write_report(out_dir, {{input, name, "ok", "", paths}},
                                          {input, device_description(options), r.seconds});
    if (!quiet) spdlog::info("report: {}", page);
  }
  return 0;
}

int run_render(const std::string& preset_path, const std::string& out, double rate, double seconds,
               bool quiet) {
  const Preset p = load_preset(preset_path);
  const double out_rate = preset_voice_spec(p, rate).sample_rate;
  const auto audio = play_preset(p, rate, seconds);
  save_wav(out, std::vector<float>(audio.begin(), audio.end()), out_rate);
  if (!quiet)
    spdlog::info("wrote {} ({:.3f} s at {} Hz)", out, double(audio.size()) / out_rate, out_rate);
  return 0;
}

// Loss of A (estimate) against B (target); A is cut or zero-padded to B's length.
int run_loss(const std::string& a_path, const std::string& b_path, const LossSettings& loss,
             double max_seconds) {
  const Sound a = load_sound(a_path, {max_seconds});
  const Sound b = load_sound(b_path, {max_seconds});
  if (a.sample_rate != b.sample_rate)
    throw InputError(a_path, "sample rate " + std::to_string(int(a.sample_rate)) +
                                 " Hz differs from " + b_path + "'s " +
                                 std::to_string(int(b.sample_rate)) + " Hz");
  std::vector<double> x(a.samples.begin(), a.samples.end());
  x.resize(b.samples.size(), 0.0);
  const std::vector<double> y(b.samples.begin(), b.samples.end());
  std::printf("%.8g\n", mrstft_loss(x, y, b.sample_rate, loss));
  return 0;
}

struct FitCommand : Command {
  FitArgs fit;
  CommonArgs common;
  std::string input, out = ".";
  CLI::App* add(CLI::App& app) override {
    auto* c = app.add_subcommand(
        "fit", "Fit one sound; writes NAME.preset.json, NAME.wav, NAME.loss.csv/.svg");
    c->add_option("file", input, "Audio file (WAV, FLAC, AIFF, OGG, ...)")->required();
    c->add_option("-o,--output", out, "Output folder")->capture_default_str();
    add_fit_options(c, fit);
    c->add_option("--threads", fit.options.n_threads, "CPU threads (results do not depend on it)")
        ->capture_default_str()
        ->check(CLI::Range(1, 256));
    c->add_flag("--no-report", no_report, "Do not write OUT/report.html");
    c->add_flag(
        "--split", split,
        "A recording of several hits: fit each, and write a kit (a pad per hit) and a MIDI file of "
        "the hits that replay it");
    add_common(c, common);
    return c;
  }
  bool no_report = false, split = false;
  int run() override {
    return run_fit(input, out, fit.finish(), common.max_seconds, common.quiet, !no_report, split);
  }
  bool quiet() const override { return common.quiet; }
};

struct RenderCommand : Command {
  CommonArgs common;
  std::string preset, out;
  double rate = 0, seconds = 0;
  CLI::App* add(CLI::App& app) override {
    auto* c = app.add_subcommand("render", "Render a preset to a WAV file");
    c->add_option("preset", preset, "NAME.preset.json")->required();
    c->add_option("-o,--output", out, "Output WAV file")->required();
    c->add_option("--sample-rate", rate, "Sample rate (default: the preset's)")
        ->check(CLI::Range(8000.0, 192000.0));
    c->add_option("--seconds", seconds,
                  "Length (default: until it has died away, 90 dB under its peak; shorter ends "
                  "with a 10 ms release fade)")
        ->check(CLI::Range(1e-4, 600.0));
    add_common(c, common);
    return c;
  }
  int run() override { return run_render(preset, out, rate, seconds, common.quiet); }
  bool quiet() const override { return common.quiet; }
};

struct LossCommand : Command {
  CommonArgs common;
  std::string a, b;
  LossArgs loss{LossPreset::seed, {}};
  CLI::App* add(CLI::App& app) override {
    auto* c =
        app.add_subcommand("loss", "Print the MRSTFT loss of A (estimate) against B (target)");
    c->add_option("a", a, "Estimate")->required();
    c->add_option("b", b, "Target")->required();
    add_loss_options(c, loss);
    add_common(c, common);
    return c;
  }
  int run() override { return run_loss(a, b, loss.settings(), common.max_seconds); }
  bool quiet() const override { return common.quiet; }
};

}  // namespace

std::vector<std::unique_ptr<Command>> sound_commands() {
  std::vector<std::unique_ptr<Command>> c;
  c.push_back(std::make_unique<FitCommand>());
  c.push_back(std::make_unique<RenderCommand>());
  c.push_back(std::make_unique<LossCommand>());
  return c;
}

}  // namespace drumsynth::cli
