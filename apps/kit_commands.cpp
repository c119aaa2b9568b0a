// kit and play: kits of presets, and a kit playing a MIDI file (cli_options.hpp).
#include <spdlog/spdlog.h>

#include <filesystem>

#include "cli_options.hpp"
#include "drumsynth/audio_io.hpp"
#include "drumsynth/kit.hpp"
#include "drumsynth/kit_maker.hpp"
#include "drumsynth/kit_render.hpp"
#include "drumsynth/midi.hpp"

namespace drumsynth::cli {
namespace {

// kit: presets gathered into a kit file; and, with --sfz, the kit as an SFZ.
struct KitCommand : Command {
  CommonArgs common;
  std::string folder, out, from, sfz;
  int velocities = 5;
  double rate = 48000;
  CLI::App* add(CLI::App& app) override {
    auto* c = app.add_subcommand(
        "kit", "Gather fitted presets into a kit file (pads on MIDI notes, velocity layers)");
    c->add_option("folder", folder, "Folder of presets (NAME.preset.json, searched recursively)")
        ->required();
    c->add_option("-o,--output", out, "Kit file to write (NAME.kit.json)")->required();
    c->add_option("--from", from,
                  "The sample kit the presets were fitted from (an .sfz, or a Hydrogen "
                  "drumkit.xml): its notes and "
                  "velocity layers (default: General MIDI notes by name and sound, layers by "
                  "velocity words)");
    c->add_option("--sfz", sfz,
                  "Also write the kit as an SFZ instrument of rendered samples into this folder");
    c->add_option("--velocities", velocities, "SFZ: velocity layers rendered per pad")
        ->capture_default_str()
        ->check(CLI::Range(1, 127));
    c->add_option("--sample-rate", rate, "SFZ: the samples' rate")
        ->capture_default_str()
        ->check(CLI::Range(8000.0, 192000.0));
    add_common(c, common);
    return c;
  }
  int run() override {
    const std::vector<std::string> presets = find_presets(folder);
    if (presets.empty()) throw InputError(folder, "no presets (NAME.preset.json) found");
    std::vector<SampleMapping> mapping;
    if (!from.empty()) mapping = read_kit_mapping(from);
    Kit kit = make_kit(presets, from.empty() ? nullptr : &mapping,
                       std::filesystem::path(out).stem().stem().string());
    if (kit.pads.empty()) throw InputError(folder, "no preset matches a sample of " + from);
    save_kit(out, kit);
    if (!common.quiet) {
      spdlog::info("wrote {}: {} pads from {} presets", out, kit.pads.size(), presets.size());
      for (const Pad& p : kit.pads)
        spdlog::info("  {:3d} {}: {} layer(s){}", p.note, p.name, p.layers.size(),
                     p.choke_group ? fmt::format(", choke group {}", p.choke_group) : "");
    }
    if (!sfz.empty()) {
      const LoadedKit loaded = load_kit_presets(load_kit(out));
      const std::string path = export_sfz(loaded, sfz, kit.name, velocities, rate);
      if (!common.quiet)
        spdlog::info("wrote {} ({} samples)", path, kit.pads.size() * size_t(velocities));
    }
    return 0;
  }
  bool quiet() const override { return common.quiet; }
};

// play: a kit playing a MIDI file, offline, as the instrument would.
struct PlayCommand : Command {
  CommonArgs common;
  std::string kit, midi, out;
  double rate = 48000, seconds = 0;
  CLI::App* add(CLI::App& app) override {
    auto* c = app.add_subcommand("play", "Render a kit playing a MIDI file to a WAV file");
    c->add_option("kit", kit, "NAME.kit.json")->required();
    c->add_option("midi", midi, "Standard MIDI file (its note-ons play the pads on their notes)")
        ->required();
    c->add_option("-o,--output", out, "Output WAV file")->required();
    c->add_option("--sample-rate", rate, "Sample rate")
        ->capture_default_str()
        ->check(CLI::Range(8000.0, 192000.0));
    c->add_option("--seconds", seconds, "Length (default: until the last note has died away)")
        ->check(CLI::Range(1e-4, 3600.0));
    add_common(c, common);
    return c;
  }
  int run() override {
    const LoadedKit k = load_kit_presets(load_kit(kit));
    for (const std::string& problem : k.problems) spdlog::warn("{}", problem);
    const std::vector<NoteEvent> notes = load_midi(midi);
    const std::vector<double> audio = render_kit(k, notes, rate, seconds);
    save_wav(out, std::vector<float>(audio.begin(), audio.end()), rate);
    if (!common.quiet)
      spdlog::info("wrote {} ({} notes, {:.3f} s at {} Hz)", out, notes.size(), audio.size() / rate,
                   rate);
    return 0;
  }
  bool quiet() const override { return common.quiet; }
};

}  // namespace

std::vector<std::unique_ptr<Command>> kit_commands() {
  std::vector<std::unique_ptr<Command>> c;
  c.push_back(std::make_unique<KitCommand>());
  c.push_back(std::make_unique<PlayCommand>());
  return c;
}

}  // namespace drumsynth::cli
