// Standard MIDI files (midi.hpp): a format-0 writer of note-ons, and a
// reader of every track's note-ons through the tempo map.
#include "drumsynth/midi.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "drumsynth/error.hpp"
#include "io/write_atomic.hpp"

namespace drumsynth {

namespace {

constexpr int kTicksPerQuarter = 480;
constexpr int kMicrosecondsPerQuarter = 500000;  // 120 beats a minute
constexpr int kDrumChannel = 9;                  // channel 10, counted from 1

void put_be(std::string& out, uint32_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += char((v >> (8 * i)) & 0xFF);
}

void put_variable(std::string& out, uint32_t v) {
  char buf[5];
  int n = 0;
  buf[n++] = char(v & 0x7F);
  while (v >>= 7) buf[n++] = char(0x80 | (v & 0x7F));
  while (n) out += buf[--n];
}

// A reader over the file's bytes; running out is a malformed file.
struct Bytes {
  const std::string& s;
  size_t at = 0;
  uint8_t u8() {
    if (at >= s.size()) throw std::runtime_error("cut short");
    return uint8_t(s[at++]);
  }
  uint32_t be(int n) {
    uint32_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | u8();
    return v;
  }
  uint32_t variable() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const uint8_t b = u8();
      v = (v << 7) | (b & 0x7F);
      if (!(b & 0x80)) return v;
    }
    throw std::runtime_error("a variable-length number longer than 4 bytes");
  }
};

struct TickedNote {
  uint64_t tick;
  int note, velocity;
};

// One track's note-ons and tempo changes, by absolute tick.
void read_track(Bytes& b, size_t end, std::vector<TickedNote>& notes,
                std::map<uint64_t, uint32_t>& tempo) {
  uint64_t tick = 0;
  uint8_t status = 0;
  while (b.at < end) {
    tick += b.variable();
    uint8_t first = b.u8();
    if (first == 0xFF) {  // meta: type, length, data
      const uint8_t type = b.u8();
      const uint32_t len = b.variable();
      if (type == 0x51 && len == 3) {
        tempo[tick] = b.be(3);
      } else {
        if (b.at + len > end) throw std::runtime_error("a meta event runs past its track");
        b.at += len;
      }
      if (type == 0x2F) return;  // end of track
      continue;
    }
    if (first == 0xF0 || first == 0xF7) {  // sysex
      const uint32_t len = b.variable();
      if (b.at + len > end) throw std::runtime_error("a sysex event runs past its track");
      b.at += len;
      continue;
    }
    uint8_t data1;
    if (first & 0x80) {
      status = first;
      data1 = b.u8();
    } else {  // running status
      if (!status) throw std::runtime_error("data without a status byte");
      data1 = first;
    }
    const uint8_t kind = status & 0xF0;
    const bool two = kind != 0xC0 && kind != 0xD0;
    const uint8_t data2 = two ? uint8_t(b.u8() & 0x7F) : 0;  // data bytes are 7-bit
    if (kind == 0x90 && data2 > 0) notes.push_back({tick, data1 & 0x7F, data2});
  }
}

}  // namespace

double midi_tick_time(double time_s) {
  const double ticks_per_s = kTicksPerQuarter * 1e6 / kMicrosecondsPerQuarter;
  return double(std::llround(std::max(0.0, time_s) * ticks_per_s)) / ticks_per_s;
}

void save_midi(const std::string& path, const std::vector<NoteEvent>& notes) {
  const double ticks_per_s = kTicksPerQuarter * 1e6 / kMicrosecondsPerQuarter;
  struct Event {
    uint64_t tick;
    uint8_t status, note, velocity;
  };
  std::vector<Event> events;
  for (const NoteEvent& n : notes) {
    const uint64_t on = uint64_t(std::llround(std::max(0.0, n.time_s) * ticks_per_s));
    const uint8_t note = uint8_t(std::clamp(n.note, 0, 127)),
                  v = uint8_t(std::clamp(n.velocity, 1, 127));
    events.push_back({on, uint8_t(0x90 | kDrumChannel), note, v});
    events.push_back(
        {on + uint64_t(std::llround(0.01 * ticks_per_s)), uint8_t(0x80 | kDrumChannel), note, 0});
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const Event& a, const Event& b) { return a.tick < b.tick; });
  std::string track;
  put_variable(track, 0);  // the tempo
  track += "\xFF\x51\x03";
  put_be(track, kMicrosecondsPerQuarter, 3);
  uint64_t last = 0;
  for (const Event& e : events) {
    put_variable(track, uint32_t(e.tick - last));
    last = e.tick;
    track += char(e.status), track += char(e.note), track += char(e.velocity);
  }
  put_variable(track, 0);
  track += std::string("\xFF\x2F\x00", 3);
  std::string file = "MThd";
  put_be(file, 6, 4);
  put_be(file, 0, 2);  // format 0
  put_be(file, 1, 2);  // one track
  put_be(file, kTicksPerQuarter, 2);
  file += "MTrk";
  put_be(file, uint32_t(track.size()), 4);
  file += track;
  write_text_atomic(path, file);
}

std::vector<NoteEvent> midi_from_bytes(const std::string& bytes, const std::string& path) {
  std::vector<TickedNote> ticked;
  std::map<uint64_t, uint32_t> tempo{{0, kMicrosecondsPerQuarter}};
  int division = 0;
  try {
    Bytes b{bytes};
    if (bytes.compare(0, 4, "MThd") != 0) throw std::runtime_error("no MThd header");
    b.at = 4;
    const uint32_t header = b.be(4);
    if (header < 6) throw std::runtime_error("a header shorter than 6 bytes");
    b.be(2);  // format
    const uint32_t tracks = b.be(2);
    division = int(b.be(2));
    if (division & 0x8000) throw std::runtime_error("SMPTE time division is not supported");
    if (division == 0) throw std::runtime_error("a time division of 0");
    b.at = 8 + header;
    for (uint32_t t = 0; t < tracks && b.at < bytes.size(); ++t) {
      const uint32_t id = b.be(4), len = b.be(4);
      const size_t end = b.at + len;
      if (end > bytes.size()) throw std::runtime_error("a track runs past the end of the file");
      if (id == 0x4D54726B) read_track(b, end, ticked, tempo);  // "MTrk"
      b.at = end;
    }
  } catch (const std::exception& e) {
    throw InputError(path, std::string("not a readable MIDI file (") + e.what() + ")");
  }
  // Ticks to seconds through the tempo map.
  std::vector<NoteEvent> notes;
  for (const TickedNote& t : ticked) {
    double s = 0;
    uint64_t at = 0;
    uint32_t us = kMicrosecondsPerQuarter;
    for (const auto& [tick, value] : tempo) {
      if (tick > t.tick) break;
      s += double(tick - at) * us / (1e6 * division);
      at = tick, us = value;
    }
    s += double(t.tick - at) * us / (1e6 * division);
    notes.push_back({s, t.note, t.velocity});
  }
  std::stable_sort(notes.begin(), notes.end(),
                   [](const NoteEvent& a, const NoteEvent& b) { return a.time_s < b.time_s; });
  return notes;
}

std::vector<NoteEvent> load_midi(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw InputError(path, "no such file");
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return midi_from_bytes(ss.str(), path);
}

}  // namespace drumsynth
