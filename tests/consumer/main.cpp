// A program written against the installed public API only: renders a voice,
// fits it back for a few iterations, and checks what it gets.
#include <cstdio>
#include <drumsynth/fit.hpp>
#include <drumsynth/param_table.hpp>
#include <drumsynth/preset.hpp>
#include <drumsynth/render.hpp>

int main() {
  using namespace drumsynth;
  std::vector<double> params;
  for (const ParamSpec& s : param_table())
    params.push_back(s.map == ParamMap::log ? s.min * 2 : s.min);
  params[param_index("tone1_gain")] = 0.5;
  const VoiceSpec spec{4000, 16000.0, 0};
  const std::vector<double> audio = render(params, spec);
  Sound target{"synthetic", spec.sample_rate, 1, std::vector<float>(audio.begin(), audio.end())};
  FitOptions options;
  options.iterations = 5;
  options.loss = loss_preset(LossPreset::auraloss);
  const FitResult r = fit(target, options);
  const double self = mrstft_loss(audio, audio, spec.sample_rate, options.loss);
  std::printf("consumer: %zu parameters, loss %.4f -> %.4f in %zu iterations, self-loss %g\n",
              param_table().size(), r.initial_loss, r.best_loss, r.loss_history.size(), self);
  const bool ok = int(param_table().size()) == kNumParams && r.loss_history.size() == 5 &&
                  r.best_loss <= r.initial_loss && self < 1e-9;
  return ok ? 0 : 1;
}
