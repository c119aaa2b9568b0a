// drumsynth: fit drum sounds with a differentiable synth, render presets,
// play kits, compare sounds. The subcommands (cli_options.hpp) parse the
// command line, call the library's public API (include/drumsynth/) and
// print; here they are registered, and an error becomes one line.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "cli_options.hpp"

using namespace drumsynth::cli;

int main(int argc, char** argv) {
  CLI::App app{"drumsynth: fit drum sounds with a differentiable synthesizer"};
  app.set_version_flag("--version", std::string("drumsynth ") + DRUMSYNTH_VERSION);
  app.require_subcommand(1);
  spdlog::set_pattern("%v");
  std::vector<std::unique_ptr<Command>> commands;
  for (auto* group : {&sound_commands, &batch_commands, &kit_commands})
    for (auto& c : (*group)()) commands.push_back(std::move(c));
  commands.push_back(bench_command());
  std::vector<CLI::App*> parsed;
  for (auto& c : commands) parsed.push_back(c->add(app));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    for (size_t i = 0; i < commands.size(); ++i) {
      if (!*parsed[i]) continue;
      if (commands[i]->quiet()) spdlog::set_level(spdlog::level::warn);
      return commands[i]->run();
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "drumsynth: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
