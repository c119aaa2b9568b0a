// The kit instrument plug-in in two headless hosts of our own: its LV2 build
// through lilv, its CLAP build through its entry point. Notes in, and the
// output must be what `drumsynth play` (render_kit) gives for the same kit
// and notes (one engine: the same floats); a closed hat cuts an open one;
// its state (the kit's path) saved and restored into a fresh instance plays
// the same; nothing is allocated while it processes (malloc and operator new
// of the whole process, the plug-in's included, counted while it runs).
// Paths from CMake: DRUMSYNTH_PLUGIN_LV2 (the bundle), DRUMSYNTH_PLUGIN_CLAP.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/atom/util.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/midi/midi.h>
#include <lv2/options/options.h>
#include <lv2/state/state.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "clap/entry.h"
#include "clap/events.h"
#include "clap/ext/state.h"
#include "clap/host.h"
#include "clap/plugin-factory.h"
#include "clap/plugin.h"
#include "drumsynth/kit_render.hpp"
#include "drumsynth/param_table.hpp"
#include "test_support.hpp"

// Allocations on the thread that processes, while `counting`: the
// executable is linked with its symbols exported, so the plug-in's malloc
// and operator new resolve to these. (The plug-in's own threads, loading a
// kit, may allocate: they are not the audio thread.)
namespace {
thread_local bool counting = false;
std::atomic<long> allocations{0};
}  // namespace
extern "C" void* __libc_malloc(size_t);
extern "C" void* __libc_calloc(size_t, size_t);
extern "C" void* __libc_realloc(void*, size_t);
extern "C" void* malloc(size_t n) {
  if (counting) ++allocations;
  return __libc_malloc(n);
}
extern "C" void* calloc(size_t n, size_t m) {
  if (counting) ++allocations;
  return __libc_calloc(n, m);
}
extern "C" void* realloc(void* p, size_t n) {
  if (counting) ++allocations;
  return __libc_realloc(p, n);
}

namespace drumsynth {
namespace {

using test::ScratchDir;
constexpr double kRate = 48000;
constexpr int kBlock = 64;

Preset random_preset(uint64_t seed, double decay_scale) {
  Preset p;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z;
  std::vector<double> logits(kNumParams);
  for (double& v : logits) v = z(rng);
  p.params = params_from_logits(logits);
  for (int k = 0; k < kNumPartials; ++k)
    p.params[P::tone_decay_s(k)] = std::max(0.006, p.params[P::tone_decay_s(k)] * decay_scale);
  p.sample_rate = kRate, p.n_samples = 4800, p.noise_seed = seed;
  return p;
}

// A kit: a kick of two layers, an open and a closed hat in one choke group.
std::string write_kit(const ScratchDir& dir) {
  save_preset(dir / "soft.preset.json", random_preset(1, 0.3));
  save_preset(dir / "hard.preset.json", random_preset(2, 0.3));
  save_preset(dir / "open.preset.json", random_preset(3, 0.5));
  save_preset(dir / "closed.preset.json", random_preset(4, 0.05));
  Kit kit;
  kit.pads = {{"kick",
               36,
               0,
               0,
               0,
               1,
               0,
               {{dir / "soft.preset.json", 40}, {dir / "hard.preset.json", 120}}},
              {"closed hat", 42, 1, -3, 0, 1, 0, {{dir / "closed.preset.json", 127}}},
              {"open hat", 46, 1, 0, 0, 1, 0, {{dir / "open.preset.json", 127}}}};
  save_kit(dir / "test.kit.json", kit);
  return dir / "test.kit.json";
}

// Notes: the kick at three velocities (between its layers too), the open hat cut by the closed.
const std::vector<NoteEvent> kNotes = {{0.0, 36, 127}, {0.05, 46, 110}, {0.3, 42, 90},
                                       {0.5, 36, 80},  {0.7, 36, 30},   {0.71, 46, 127}};
constexpr double kSeconds = 1.2;

// ---- LV2 through lilv ----

struct Lv2Host {
  std::map<std::string, LV2_URID> ids;
  LV2_URID_Map map{this, [](LV2_URID_Map_Handle h, const char* uri) -> LV2_URID {
                     auto& ids = static_cast<Lv2Host*>(h)->ids;
                     return ids.emplace(uri, LV2_URID(ids.size() + 1)).first->second;
                   }};
  LV2_URID id(const char* uri) { return map.map(map.handle, uri); }
  const LV2_Worker_Interface* worker = nullptr;
  LV2_Handle handle = nullptr;
  std::vector<std::vector<char>> responses;
  // The plug-in's work, run at once (an offline host may).
  LV2_Worker_Schedule schedule{
      this, [](LV2_Worker_Schedule_Handle h, uint32_t size, const void* data) {
        auto* host = static_cast<Lv2Host*>(h);
        if (!host->worker) return LV2_WORKER_ERR_UNKNOWN;
        host->worker->work(
            host->handle,
            [](LV2_Worker_Respond_Handle rh, uint32_t n, const void* d) {
              static_cast<Lv2Host*>(rh)->responses.emplace_back(static_cast<const char*>(d),
                                                                static_cast<const char*>(d) + n);
              return LV2_WORKER_SUCCESS;
            },
            host, size, data);
        return LV2_WORKER_SUCCESS;
      }};
  int32_t max_block = 4096;
  LV2_Options_Option options[2];
  LV2_Feature map_feature{LV2_URID__map, &map}, schedule_feature{LV2_WORKER__schedule, &schedule},
      options_feature{LV2_OPTIONS__options, options};
  const LV2_Feature* features[4] = {&map_feature, &schedule_feature, &options_feature, nullptr};

  LilvWorld* world = lilv_world_new();
  const LilvPlugin* plugin = nullptr;

  explicit Lv2Host(const std::string& bundle) {
    options[0] = {
        LV2_OPTIONS_INSTANCE, 0,         id(LV2_BUF_SIZE__maxBlockLength), sizeof(int32_t),
        id(LV2_ATOM__Int),    &max_block};
    options[1] = {LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, nullptr};
    LilvNode* b = lilv_new_file_uri(world, nullptr, (bundle + "/").c_str());
    lilv_world_load_bundle(world, b);
    lilv_node_free(b);
    LilvNode* uri = lilv_new_uri(world, "https://drumsynth.invalid/plugins/kit");
    plugin = lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world), uri);
    lilv_node_free(uri);
  }
  ~Lv2Host() { lilv_world_free(world); }

  struct Run {
    LilvInstance* instance;
    std::vector<float> out[2];
  };

  // Plays the notes in blocks; `allocations_seen` counts what processing allocated.
  std::vector<float> play(LilvInstance* inst, const std::vector<NoteEvent>& notes,
                          long* allocations_seen) {
    worker = static_cast<const LV2_Worker_Interface*>(
        lilv_instance_get_extension_data(inst, LV2_WORKER__interface));
    handle = lilv_instance_get_handle(inst);
    const uint32_t n_ports = lilv_plugin_get_num_ports(plugin);
    LilvNode* audio = lilv_new_uri(world, LV2_CORE__AudioPort);
    LilvNode* atom = lilv_new_uri(world, LV2_ATOM__AtomPort);
    LilvNode* input = lilv_new_uri(world, LV2_CORE__InputPort);
    LilvNode* control = lilv_new_uri(world, LV2_CORE__ControlPort);
    std::vector<float> controls(n_ports, 0.0f);
    alignas(8) static char in_seq[65536], out_seq[65536];
    std::vector<uint32_t> audio_ports;
    int midi_port = -1;
    for (uint32_t i = 0; i < n_ports; ++i)
      if (lilv_port_is_a(plugin, lilv_plugin_get_port_by_index(plugin, i), audio))
        audio_ports.push_back(i);
    std::vector<std::vector<float>> audio_out(audio_ports.size(), std::vector<float>(kBlock));
    for (uint32_t i = 0, a = 0; i < n_ports; ++i) {
      const LilvPort* port = lilv_plugin_get_port_by_index(plugin, i);
      if (lilv_port_is_a(plugin, port, audio)) {
        lilv_instance_connect_port(inst, i, audio_out[a++].data());
      } else if (lilv_port_is_a(plugin, port, atom)) {
        if (lilv_port_is_a(plugin, port, input)) midi_port = int(i);
        lilv_instance_connect_port(inst, i, lilv_port_is_a(plugin, port, input) ? in_seq : out_seq);
      } else if (lilv_port_is_a(plugin, port, control)) {
        LilvNode* def = nullptr;
        lilv_port_get_range(plugin, port, &def, nullptr, nullptr);
        controls[i] = def ? lilv_node_as_float(def) : 0.0f;
        lilv_node_free(def);
        lilv_instance_connect_port(inst, i, &controls[i]);
      }
    }
    for (LilvNode* n : {audio, atom, input, control}) lilv_node_free(n);
    EXPECT_GE(midi_port, 0);
    EXPECT_EQ(audio_out.size(), 2u);
    lilv_instance_activate(inst);
    std::vector<float> out;
    const long total = std::lround(kSeconds * kRate);
    size_t next = 0;
    for (long at = 0; at < total; at += kBlock) {
      auto* seq = reinterpret_cast<LV2_Atom_Sequence*>(in_seq);
      lv2_atom_sequence_clear(seq);
      seq->atom.type = id(LV2_ATOM__Sequence);
      for (; next < notes.size(); ++next) {
        const long frame = std::lround(notes[next].time_s * kRate);
        if (frame >= at + kBlock) break;
        struct {
          LV2_Atom_Event event;
          uint8_t msg[3];
        } ev{};
        ev.event.time.frames = frame - at;
        ev.event.body.type = id(LV2_MIDI__MidiEvent), ev.event.body.size = 3;
        ev.msg[0] = 0x99, ev.msg[1] = uint8_t(notes[next].note),
        ev.msg[2] = uint8_t(notes[next].velocity);
        lv2_atom_sequence_append_event(seq, sizeof(in_seq), &ev.event);
      }
      auto* o = reinterpret_cast<LV2_Atom_Sequence*>(out_seq);
      o->atom.type = id(LV2_ATOM__Chunk), o->atom.size = sizeof(out_seq) - sizeof(LV2_Atom);
      counting = true;
      lilv_instance_run(inst, kBlock);
      counting = false;
      out.insert(out.end(), audio_out[0].begin(), audio_out[0].end());
      EXPECT_EQ(audio_out[0], audio_out[1]) << "the two outputs differ at block " << at / kBlock;
    }
    *allocations_seen = allocations.exchange(0);
    lilv_instance_deactivate(inst);
    out.resize(size_t(total));
    return out;
  }
};

std::vector<float> expected(const std::string& kit_path) {
  const std::vector<double> x =
      render_kit(load_kit_presets(load_kit(kit_path)), kNotes, kRate, kSeconds);
  return {x.begin(), x.end()};
}

TEST(PluginLv2, PlaysTheKitAsDrumsynthPlayAndRestoresItsState) {
  ScratchDir dir;
  const std::string kit = write_kit(dir);
  const std::vector<float> want = expected(kit);
  setenv("DRUMSYNTH_KIT", kit.c_str(), 1);
  Lv2Host host(DRUMSYNTH_PLUGIN_LV2);
  ASSERT_NE(host.plugin, nullptr) << "the bundle has no drumsynth kit plug-in";
  LilvInstance* inst = lilv_plugin_instantiate(host.plugin, kRate, host.features);
  ASSERT_NE(inst, nullptr);
  unsetenv("DRUMSYNTH_KIT");
  // The kit loads on the plug-in's thread: wait for it, as a host's first blocks would.
  usleep(300000);
  long allocated = 0;
  const std::vector<float> got = host.play(inst, kNotes, &allocated);
  EXPECT_EQ(got, want) << "the plug-in's output is not drumsynth play's";
  EXPECT_EQ(allocated, 0) << "allocations while processing";
  double peak = 0;
  for (float v : got) peak = std::max(peak, double(std::abs(v)));
  EXPECT_GT(peak, 0.05);
  // Its state into a fresh instance (no DRUMSYNTH_KIT): the same sound.
  LilvState* state =
      lilv_state_new_from_instance(host.plugin, inst, &host.map, nullptr, (dir / "").c_str(),
                                   (dir / "").c_str(), (dir / "").c_str(), nullptr, nullptr,
                                   LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE, host.features);
  ASSERT_NE(state, nullptr);
  LilvInstance* fresh = lilv_plugin_instantiate(host.plugin, kRate, host.features);
  lilv_state_restore(state, fresh, nullptr, nullptr, 0, host.features);
  usleep(300000);
  EXPECT_EQ(host.play(fresh, kNotes, &allocated), want) << "restored state plays another sound";
  lilv_state_free(state);
  lilv_instance_free(fresh);
  lilv_instance_free(inst);
}

// ---- CLAP through its entry point ----

struct ClapEvents {
  std::vector<clap_event_midi> events;
  static uint32_t size(const clap_input_events* list) {
    return uint32_t(static_cast<const ClapEvents*>(list->ctx)->events.size());
  }
  static const clap_event_header* get(const clap_input_events* list, uint32_t i) {
    return &static_cast<const ClapEvents*>(list->ctx)->events[i].header;
  }
};

struct ClapStream {
  std::string bytes;
  size_t at = 0;
};

TEST(PluginClap, PlaysTheKitAsDrumsynthPlayAndRestoresItsState) {
  ScratchDir dir;
  const std::string kit = write_kit(dir);
  const std::vector<float> want = expected(kit);
  void* lib = dlopen(DRUMSYNTH_PLUGIN_CLAP, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(lib, nullptr) << dlerror();
  const auto* entry = static_cast<const clap_plugin_entry*>(dlsym(lib, "clap_entry"));
  ASSERT_NE(entry, nullptr);
  ASSERT_TRUE(entry->init(DRUMSYNTH_PLUGIN_CLAP));
  const auto* factory =
      static_cast<const clap_plugin_factory*>(entry->get_factory(CLAP_PLUGIN_FACTORY_ID));
  ASSERT_NE(factory, nullptr);
  ASSERT_EQ(factory->get_plugin_count(factory), 1u);
  const clap_plugin_descriptor* desc = factory->get_plugin_descriptor(factory, 0);
  EXPECT_STREQ(desc->id, "org.drumsynth.kit");
  static const clap_host host{CLAP_VERSION,
                              nullptr,
                              "drumsynth test host",
                              "drumsynth",
                              "",
                              "1",
                              [](const clap_host*, const char*) -> const void* { return nullptr; },
                              [](const clap_host*) {},
                              [](const clap_host*) {},
                              [](const clap_host*) {}};
  const auto play = [&](const clap_plugin* p, long* allocated) {
    EXPECT_TRUE(p->activate(p, kRate, 1, kBlock));
    EXPECT_TRUE(p->start_processing(p));
    std::vector<float> out, left(kBlock), right(kBlock);
    float* channels[2] = {left.data(), right.data()};
    clap_audio_buffer buffer{};
    buffer.data32 = channels, buffer.channel_count = 2;
    ClapEvents in;
    in.events.reserve(64);
    const clap_input_events in_list{&in, ClapEvents::size, ClapEvents::get};
    const clap_output_events out_list{
        nullptr, [](const clap_output_events*, const clap_event_header*) { return true; }};
    const long total = std::lround(kSeconds * kRate);
    size_t next = 0;
    for (long at = 0; at < total; at += kBlock) {
      in.events.clear();
      for (; next < kNotes.size(); ++next) {
        const long frame = std::lround(kNotes[next].time_s * kRate);
        if (frame >= at + kBlock) break;
        clap_event_midi e{};
        e.header = {sizeof(clap_event_midi), uint32_t(frame - at), CLAP_CORE_EVENT_SPACE_ID,
                    CLAP_EVENT_MIDI, 0};
        e.port_index = 0;
        e.data[0] = 0x99, e.data[1] = uint8_t(kNotes[next].note),
        e.data[2] = uint8_t(kNotes[next].velocity);
        in.events.push_back(e);
      }
      clap_process proc{};
      proc.steady_time = at, proc.frames_count = kBlock;
      proc.audio_outputs = &buffer, proc.audio_outputs_count = 1;
      proc.in_events = &in_list, proc.out_events = &out_list;
      counting = true;
      p->process(p, &proc);
      counting = false;
      out.insert(out.end(), left.begin(), left.end());
      EXPECT_EQ(left, right);
    }
    *allocated = allocations.exchange(0);
    p->stop_processing(p);
    p->deactivate(p);
    out.resize(size_t(total));
    return out;
  };
  setenv("DRUMSYNTH_KIT", kit.c_str(), 1);
  const clap_plugin* plugin = factory->create_plugin(factory, &host, desc->id);
  ASSERT_NE(plugin, nullptr);
  ASSERT_TRUE(plugin->init(plugin));
  unsetenv("DRUMSYNTH_KIT");
  usleep(300000);
  long allocated = 0;
  EXPECT_EQ(play(plugin, &allocated), want) << "the plug-in's output is not drumsynth play's";
  EXPECT_EQ(allocated, 0) << "allocations while processing";
  // Its state saved into a stream, loaded into a fresh instance.
  const auto* state =
      static_cast<const clap_plugin_state*>(plugin->get_extension(plugin, CLAP_EXT_STATE));
  ASSERT_NE(state, nullptr);
  ClapStream saved;
  const clap_ostream os{&saved, [](const clap_ostream* s, const void* b, uint64_t n) -> int64_t {
                          static_cast<ClapStream*>(s->ctx)->bytes.append(
                              static_cast<const char*>(b), n);
                          return int64_t(n);
                        }};
  ASSERT_TRUE(state->save(plugin, &os));
  EXPECT_NE(saved.bytes.find("test.kit.json"), std::string::npos);
  const clap_plugin* fresh = factory->create_plugin(factory, &host, desc->id);
  ASSERT_TRUE(fresh->init(fresh));
  const auto* fresh_state =
      static_cast<const clap_plugin_state*>(fresh->get_extension(fresh, CLAP_EXT_STATE));
  const clap_istream is{&saved, [](const clap_istream* s, void* b, uint64_t n) -> int64_t {
                          auto* st = static_cast<ClapStream*>(s->ctx);
                          const size_t k = std::min<size_t>(n, st->bytes.size() - st->at);
                          std::memcpy(b, st->bytes.data() + st->at, k);
                          st->at += k;
                          return int64_t(k);
                        }};
  ASSERT_TRUE(fresh_state->load(fresh, &is));
  usleep(300000);
  EXPECT_EQ(play(fresh, &allocated), want) << "restored state plays another sound";
  fresh->destroy(fresh);
  plugin->destroy(plugin);
  entry->deinit();
  dlclose(lib);
}

}  // namespace
}  // namespace drumsynth
