// libFuzzer target: the instrument's file readers on any bytes, the first
// byte choosing which: 0 a kit file (kit_from_json), 1 an SFZ (read_sfz),
// 2 a Hydrogen drumkit.xml (read_hydrogen_kit), 3 a MIDI file
// (midi_from_bytes). Whatever they refuse must be an InputError; a kit they
// accept must write back to JSON that reads again the same, and every note
// or velocity they give must be in MIDI's range.
#include <stddef.h>
#include <stdint.h>

#include <cstdlib>
#include <string>

#include "drumsynth/kit_maker.hpp"
#include "drumsynth/midi.hpp"

namespace ds = drumsynth;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 4) {
      case 0: {
        const ds::Kit kit = ds::kit_from_json(text, "fuzz.kit.json");
        const ds::Kit again = ds::kit_from_json(ds::kit_to_json(kit, ""), "again");
        if (again.pads.size() != kit.pads.size()) std::abort();
        for (size_t i = 0; i < kit.pads.size(); ++i)
          if (again.pads[i].note != kit.pads[i].note ||
              again.pads[i].layers.size() != kit.pads[i].layers.size())
            std::abort();
        break;
      }
      case 1:
      case 2: {
        const auto m = data[0] % 4 == 1 ? ds::read_sfz(text, "fuzz.sfz")
                                        : ds::read_hydrogen_kit(text, "fuzz.xml");
        for (const auto& r : m)
          if (r.note < 0 || r.note > 127 || r.lovel < 1 || r.hivel > 127 || r.lovel > r.hivel)
            std::abort();
        break;
      }
      default:
        for (const auto& n : ds::midi_from_bytes(text, "fuzz.mid"))
          if (n.note < 0 || n.note > 127 || n.velocity < 1 || n.velocity > 127 || !(n.time_s >= 0))
            std::abort();
    }
  } catch (const ds::InputError&) {
  }
  return 0;
}
