// libFuzzer target: any bytes as a preset file, through preset_from_json. A
// preset it refuses must give an InputError; a preset it accepts must hold
// every parameter inside its range and write back to JSON that reads again.
#include <stddef.h>
#include <stdint.h>

#include <cstdlib>
#include <string>

#include "drumsynth/audio_io.hpp"
#include "drumsynth/param_table.hpp"
#include "drumsynth/preset.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const drumsynth::Preset p = drumsynth::preset_from_json(text, "fuzz.preset.json");
    const auto& table = drumsynth::param_table();
    for (int i = 0; i < drumsynth::P::noise_bank_first; ++i)
      if (!(p.params[i] >= table[i].min && p.params[i] <= table[i].max)) std::abort();
    // Written back and read again, it is the same (a version-1 preset's silent
    // bank, gain 0, is below the range a version-2 file may hold: not written back).
    if (p.params[drumsynth::P::noise_bank_gain(0)] == 0.0) return 0;
    const drumsynth::Preset again =
        drumsynth::preset_from_json(drumsynth::preset_to_json(p), "again");
    if (again.params != p.params) std::abort();
  } catch (const drumsynth::InputError&) {
  }
  return 0;
}
