// For tests/python/compare_pytorch.py: the loss of a preset's render against a
// target, and its gradient with respect to every parameter (physical units),
// from the C++ model in double (render_voice, MrstftLoss, render_voice_vjp),
// as one JSON object on stdout.
//   gradient_dump PRESET.json TARGET.wav LOSS_PRESET
#include <cstdio>
#include <nlohmann/json.hpp>

#include "drumsynth/audio_io.hpp"
#include "drumsynth/param_table.hpp"
#include "drumsynth/preset.hpp"
#include "loss/mrstft_loss.hpp"
#include "synth/voice_tape.hpp"

using namespace drumsynth;

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: gradient_dump PRESET.json TARGET.wav LOSS_PRESET\n");
    return 2;
  }
  try {
    const Preset preset = load_preset(argv[1]);
    const Sound target = load_sound(argv[2]);
    const VoiceSpec spec{int(target.samples.size()), target.sample_rate, preset.noise_seed};
    VoiceTape<double> tape;
    render_voice(preset.params.data(), spec, tape);
    MrstftLoss<double> loss(loss_preset(parse_name<LossPreset>(argv[3])), target.sample_rate,
                            std::vector<double>(target.samples.begin(), target.samples.end()));
    std::vector<double> v_audio, v_params(kNumParams, 0.0);
    const double l = loss.loss_and_gradient(tape.out, v_audio);
    render_voice_vjp(preset.params.data(), spec, tape, v_audio.data(), v_params.data());
    nlohmann::json grad = nlohmann::json::object();
    for (int i = 0; i < kNumParams; ++i) grad[param_table()[i].name] = v_params[i];
    std::printf("%s\n", nlohmann::json{{"loss", l}, {"v_params", grad}}.dump().c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gradient_dump: %s\n", e.what());
    return 1;
  }
  return 0;
}
