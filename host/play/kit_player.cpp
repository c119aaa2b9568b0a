// The kit instrument's engine (kit_player.hpp): voices that run the voice
// program (voice_program.hpp) a chunk at a time, in float, each from rest at
// its note. Per sample n of a voice (t = n / rate - onset), in render's order
// (host/synth/voice.cpp): the source bus (0 until the onset), the noise
// band's two one-poles and the mix bus's fixed inputs on the white noise of
// (seed, n), the resonator's comb on half the source, then the mix.
#include "drumsynth/kit_player.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "cpu/cpu_clones.hpp"
#include "cpu/flush_denormals.hpp"
#include "drumsynth/param_table.hpp"
#include "drumsynth/playback.hpp"
#include "drumsynth/synth/voice_program.hpp"

namespace drumsynth {

namespace {

// The resonator's delay line holds up to this long a period: its lowest
// frequency (30 Hz) tuned two octaves down (a pad's tune reaches -24).
constexpr double kLowestResonatorHz = 7.0;

// The matched order of a pad's partials: each layer's partials permuted to
// the first layer's by frequency (cents) weighted by level, greedily, the
// loudest pairs first.
void match_partials(std::vector<std::vector<double>>& layers) {
  if (layers.size() < 2) return;
  const std::vector<double>& ref = layers[0];
  for (size_t l = 1; l < layers.size(); ++l) {
    std::vector<double>& p = layers[l];
    struct Pair {
      double cost;
      int a, b;
    };
    std::vector<Pair> pairs;
    for (int a = 0; a < kNumPartials; ++a)
      for (int b = 0; b < kNumPartials; ++b) {
        const double cents =
            std::abs(1200.0 * std::log2(p[P::tone_freq_hz(b)] / ref[P::tone_freq_hz(a)]));
        const double level = std::abs(std::log(p[P::tone_gain(b)] / ref[P::tone_gain(a)]));
        pairs.push_back({cents + 100.0 * level, a, b});
      }
    std::sort(pairs.begin(), pairs.end(),
              [](const Pair& x, const Pair& y) { return x.cost < y.cost; });
    int to[kNumPartials];
    bool a_used[kNumPartials] = {}, b_used[kNumPartials] = {};
    for (const Pair& pr : pairs)
      if (!a_used[pr.a] && !b_used[pr.b]) a_used[pr.a] = b_used[pr.b] = true, to[pr.a] = pr.b;
    const std::vector<double> before = p;
    for (int a = 0; a < kNumPartials; ++a)
      for (int j = 0; j < 3; ++j)
        p[size_t(P::tone_first + 3 * a + j)] = before[size_t(P::tone_first + 3 * to[a] + j)];
  }
}

PadControls controls_of(const Pad& pad) {
  return {float(pad.level_db), float(pad.tune_semitones), float(pad.decay_scale),
          float(pad.tone_noise_balance)};
}

}  // namespace

std::unique_ptr<PreparedKit> prepare_kit(const LoadedKit& kit) {
  auto prepared = std::make_unique<PreparedKit>();
  prepared->problems = kit.problems;
  for (size_t i = 0; i < kit.kit.pads.size(); ++i) {
    const Pad& pad = kit.kit.pads[i];
    PreparedKit::PadLayers& out = prepared->pads[pad.note];
    out.choke_group = pad.choke_group;
    out.controls = controls_of(pad);
    for (size_t l = 0; l < pad.layers.size(); ++l) {
      if (kit.silent[i][l]) continue;
      out.velocity.push_back(pad.layers[l].velocity);
      out.params.push_back(kit.presets[i][l].params);
      out.seed.push_back(kit.presets[i][l].noise_seed);
    }
    out.present = !out.params.empty();
    match_partials(out.params);
  }
  return prepared;
}

namespace {
// Each parameter's pad role (param_table.hpp), read once before any audio
// thread runs: apply_pad_controls is called at each note.
const std::array<PadRole, kNumParams> kPadRoles = [] {
  std::array<PadRole, kNumParams> roles{};
  for (int i = 0; i < kNumParams; ++i) roles[size_t(i)] = param_table()[size_t(i)].pad_role;
  return roles;
}();
}  // namespace

void apply_pad_controls(const PadControls& c, double* p) {
  const double ratio = std::pow(2.0, double(c.tune_semitones) / 12.0);
  const double tones = 1.0 - std::max(0.0, double(c.tone_noise_balance));
  const double noise = 1.0 + std::min(0.0, double(c.tone_noise_balance));
  for (int i = 0; i < kNumParams; ++i) switch (kPadRoles[size_t(i)]) {
      case PadRole::pitch:
        p[i] *= ratio;
        break;
      case PadRole::time:
        p[i] *= c.decay_scale;
        break;
      case PadRole::tone_level:
        p[i] *= tones;
        break;
      case PadRole::noise_level:
        p[i] *= noise;
        break;
      case PadRole::fixed:
        break;
    }
}

double voice_at_velocity(const PreparedKit::PadLayers& pad, int velocity,
                         const PadControls& controls, double* params, uint64_t* seed) {
  const int n = int(pad.params.size());
  double gain = 1.0;
  int above = 0;
  while (above < n && pad.velocity[size_t(above)] < velocity) ++above;
  if (above == 0 || above == n || pad.velocity[size_t(above)] == velocity) {  // one layer
    const int l = above == n ? n - 1 : above;
    std::copy(pad.params[size_t(l)].begin(), pad.params[size_t(l)].end(), params);
    *seed = pad.seed[size_t(l)];
    gain = velocity_gain(velocity, pad.velocity[size_t(l)]);
  } else {  // between two layers: their parameters blended, the nearer layer's noise
    const int lo = above - 1, hi = above;
    const double x = double(velocity - pad.velocity[size_t(lo)]) /
                     double(pad.velocity[size_t(hi)] - pad.velocity[size_t(lo)]);
    const auto& a = pad.params[size_t(lo)];
    const auto& b = pad.params[size_t(hi)];
    for (int i = 0; i < kNumParams; ++i)
      params[i] = i == P::onset_s
                      ? (1 - x) * a[size_t(i)] + x * b[size_t(i)]
                      : std::exp((1 - x) * std::log(a[size_t(i)]) + x * std::log(b[size_t(i)]));
    *seed = pad.seed[size_t(x < 0.5 ? lo : hi)];
  }
  apply_pad_controls(controls, params);
  return gain * std::pow(10.0, double(controls.level_db) / 20.0);
}

// Samples a voice computes at a time (its arrays on the stack).
constexpr int kChunk = 64;

struct KitPlayer::Voice {
  bool active = false;
  int note = 0;
  long age = 0;
  float p[kNumParams];
  float gain = 0, rate = 48000;
  uint64_t seed = 0;
  long n = 0, end = 0;               // the sample it is at, and its bound (length_bound_s)
  int fade_left = -1, fade_len = 1;  // a cut's fade, samples left (-1: none)
  float a_low = 0, a_high = 0, lo = 0, bd = 0;
  MixFixedStreams<float> streams{};  // the mix bus's fixed inputs, a sample at a time
  ResonatorCoefficients<float> c{};
  float h = 0;
  std::vector<float> ring;  // the resonator's y, the last ring.size() samples
  size_t mask = 0;

  void start(const double* params, double sample_rate, uint64_t noise_seed, float level,
             long bound) {
    for (int i = 0; i < kNumParams; ++i) p[i] = float(params[i]);
    rate = float(sample_rate), seed = noise_seed, gain = level;
    n = 0, end = bound, fade_left = -1;
    a_low = one_pole_coefficient(p[P::noise_low_hz], rate);
    a_high = one_pole_coefficient(p[P::noise_high_hz], rate);
    lo = bd = 0;
    streams.start(rate);
    std::fill(std::begin(source_on), std::end(source_on), true);
    std::fill(std::begin(mix_on), std::end(mix_on), true);
    chunk_at = kChunk, handed = 0;
    c = resonator_coefficients(p, rate);
    c.delay_int = std::min(c.delay_int, int(ring.size()) - 2);
    h = 0;
    std::fill(ring.begin(), ring.end(), 0.0f);
    active = true;
  }

  void cut(int samples) {
    if (fade_left < 0) fade_len = fade_left = std::max(1, samples);
  }

  // Units whose sound has fallen below kSilent stop being computed.
  bool source_on[kSourceUnits];
  bool mix_on[kMixUnits];
  // A chunk computed ahead, always kChunk samples from the voice's start on,
  // so its samples do not depend on the host's block size.
  float chunk[kChunk];
  int chunk_at = kChunk;  // the next sample to hand out
  long handed = 0;        // samples handed out
};

namespace {

// A block is dropped once its envelope's level (its gain times its fall) is
// under this and falling: -140 dB of full scale, under float rounding of
// what is left.
constexpr float kSilent = 1e-7f;

// Rows of a chunk's fixed inputs (at least one, so the array is declared).
constexpr int kFixedRows = kFixedInputs > 0 ? kFixedInputs : 1;

// A chunk's recurrences, sample by sample from the voice's states: the noise
// band's two one-poles (band), the mix bus's fixed inputs (fixed) on the
// white noise of (seed, n), and the resonator's comb on half the source (h).
// Inlined into render_chunk, whose vector width it takes.
[[gnu::always_inline]] inline void run_recurrences(KitPlayer::Voice* v, const float* src,
                                                   float* band, float (*fixed)[kChunk], float* h) {
  constexpr int m = kChunk;
  float white[kChunk];
  for (int j = 0; j < m; ++j) white[j] = white_noise<float>(v->seed, uint64_t(v->n + j));
  // The fixed inputs' filters and states in locals for the chunk: the
  // compiler keeps them in registers (through v-> they go to memory every sample).
  MixFixedStreams<float> streams = v->streams;
  float lo = v->lo, bd = v->bd, hh = v->h;  // (locals, as the streams)
  const float a_low = v->a_low, a_high = v->a_high, frac = v->c.frac, fb = v->c.fb, ca = v->c.a;
  const long delay = v->c.delay_int;
  float* const ring = v->ring.data();
  const size_t mask = v->mask;
  for (int j = 0; j < m; ++j) {
    const long n = v->n + j;
    const float w = white[j];
    lo = one_pole_step(lo, w, a_low);
    bd = one_pole_step(bd, w - lo, a_high);
    band[j] = bd;
    float fixed_out[kFixedRows];
    streams.step(w, fixed_out);
    for (int k = 0; k < kFixedInputs; ++k) fixed[k][j] = fixed_out[k];
    // The resonator: d = (1 - frac) y[n - D] + frac y[n - D - 1], from rest.
    const long i = n - delay;
    const float y0 = i >= 0 ? ring[size_t(i) & mask] : 0.0f;
    const float y1 = i >= 1 ? ring[size_t(i - 1) & mask] : 0.0f;
    hh = one_pole_step(hh, (1.0f - frac) * y0 + frac * y1, ca);
    ring[size_t(n) & mask] = resonator_send(src[j]) + fb * hh;
    h[j] = hh;
  }
  v->lo = lo, v->bd = bd, v->h = hh;
  v->streams = streams;
}

// One chunk of a voice: the per-sample values that need no state (time,
// swept time, envelopes, oscillators) over the whole chunk, in loops the
// compiler vectorises (libm's vector functions, the widest this CPU runs:
// cpu_clones.hpp); then the recurrences (noise filters, the bank's bands,
// the resonator) and the mix sample by sample. The same functions as
// render's, in the same order for each sample.
DS_CPU_CLONES void render_chunk(KitPlayer::Voice* v) {
  constexpr int m = kChunk;
  float* out = v->chunk;
  const float* p = v->p;
  const float rate = v->rate;
  float t[kChunk], src[kChunk], rise[kChunk], mrise[kChunk], bus[kChunk];
  double S[kChunk];
  // (Loops apart, the double ones apart from the float ones: mixed, none vectorises.)
  for (int j = 0; j < m; ++j) S[j] = phase_time(p, int(v->n + j), rate);
  for (int j = 0; j < m; ++j) t[j] = float(S[j]);
  for (int j = 0; j < m; ++j) S[j] = swept_time(S[j], p[P::sweep_ratio], p[P::sweep_s]);
  const float source_attack_s = p[kSourceAttack], mix_attack_s = p[kMixAttack];
  for (int j = 0; j < m; ++j) rise[j] = envelope_rise(t[j], source_attack_s);
  for (int j = 0; j < m; ++j) mrise[j] = envelope_rise(t[j], mix_attack_s);
  std::fill(src, src + m, 0.0f), std::fill(bus, bus + m, 0.0f);
  // A unit is dropped once past its attack with its level's bound under kSilent.
  const auto silent = [&](const UnitEnvelope<float>& e) {
    return t[0] > 5.0f * e.attack_s && e.peak * envelope_fall(t[m - 1], e.decay_s) < kSilent;
  };
  const bool sounding = t[m - 1] > 0.0f;
  if (sounding) {
    for_each_block(SourceBlocks{}, [&](auto b, int first, int) {
      using B = decltype(b);
      for (int u = 0; u < B::n_units; ++u) {
        if (!v->source_on[first + u]) continue;
        const auto q = B::unit(p, u);
        for (int j = 0; j < m; ++j)
          src[j] += B::sample(q, B::uses_bus_attack ? rise[j] : 1.0f, t[j], S[j], 0.0f);
        if (silent(B::unit_envelope(p, u))) v->source_on[first + u] = false;
      }
    });
    for (int j = 0; j < m; ++j)
      if (!(t[j] > 0.0f)) src[j] = 0.0f;  // render's source starts after the onset
  }
  // The recurrences, in order, sample by sample; their states kept per sample
  // for the envelopes and the mix, which then run over the chunk in vectors.
  float band[kChunk], fixed[kFixedRows][kChunk], h[kChunk];
  run_recurrences(v, src, band, fixed, h);
  for_each_block(MixBlocks{}, [&](auto b, int first, int f0) {  // from the onset on
    using B = decltype(b);
    for (int u = 0; u < B::n_units; ++u) {
      if (!v->mix_on[first + u]) continue;
      const float* in = fixed[B::fixed_inputs ? f0 + u : 0];
      const auto q = B::unit(p, u);
      for (int j = 0; j < m; ++j) {  // (a select, not a branch around the exp: it vectorises)
        const float y = B::sample(q, B::uses_bus_attack ? mrise[j] : 1.0f, std::max(t[j], 0.0f),
                                  0.0, B::fixed_inputs ? in[j] : 0.0f);
        bus[j] += t[j] > 0.0f ? y : 0.0f;
      }
    }
  });
  for (int j = 0; j < m; ++j)
    out[j] = v->gain * mix_sample(p, t[j], src[j], band[j], resonator_out(p, h[j]), bus[j]);
  for_each_block(MixBlocks{}, [&](auto b, int first, int) {
    using B = decltype(b);
    for (int u = 0; u < B::n_units; ++u)
      if (v->mix_on[first + u] && silent(B::unit_envelope(p, u))) v->mix_on[first + u] = false;
  });
  v->n += m;
}

// Adds frames samples of a voice into out from its chunks, its cut's fade
// applied, until its end.
void render_voice_add(KitPlayer::Voice* v, float* out, int frames) {
  for (int f = 0; f < frames && v->active; ++f) {
    if (v->chunk_at == kChunk) render_chunk(v), v->chunk_at = 0;
    float y = v->chunk[v->chunk_at++];
    if (v->fade_left >= 0) {
      y *= 0.5f - 0.5f * std::cos(float(kPi) * float(v->fade_left) / float(v->fade_len));
      if (--v->fade_left < 0) v->active = false;
    }
    out[f] += y;
    if (++v->handed >= v->end) v->active = false;
  }
}

}  // namespace

KitPlayer::KitPlayer(double sample_rate, int max_voices)
    : rate_(sample_rate), voices_(size_t(max_voices)) {
  size_t ring = 4;
  while (double(ring) < sample_rate / kLowestResonatorHz + 4) ring *= 2;
  for (Voice& v : voices_) v.ring.assign(ring, 0.0f), v.mask = ring - 1;
  for (auto& pad : controls_) pad[0] = 0.0f, pad[1] = 0.0f, pad[2] = 1.0f, pad[3] = 0.0f;
  pending_.reserve(1024);
}

KitPlayer::~KitPlayer() {
  delete incoming_.exchange(nullptr);
  delete retired_.exchange(nullptr);
  delete kit_;
}

std::unique_ptr<PreparedKit> KitPlayer::swap_kit(std::unique_ptr<PreparedKit> kit) {
  if (kit)
    for (int note = 0; note < kMaxPads; ++note)
      if (kit->pads[note].present) set_controls(note, kit->pads[note].controls);
  delete incoming_.exchange(kit.release());  // one the audio thread never took
  return std::unique_ptr<PreparedKit>(retired_.exchange(nullptr));
}

void KitPlayer::set_controls(int note, const PadControls& c) {
  if (note < 0 || note >= kMaxPads) return;
  controls_[note][0] = c.level_db, controls_[note][1] = c.tune_semitones;
  controls_[note][2] = c.decay_scale, controls_[note][3] = c.tone_noise_balance;
}

PadControls KitPlayer::controls(int note) const {
  return {controls_[note][0], controls_[note][1], controls_[note][2], controls_[note][3]};
}

bool KitPlayer::has_kit() const { return kit_ != nullptr || incoming_.load() != nullptr; }

void KitPlayer::note_on(int note, int velocity, int frame) {
  if (velocity <= 0 || note < 0 || note >= kMaxPads || pending_.size() == pending_.capacity())
    return;
  pending_.push_back({note, std::min(velocity, 127), std::max(0, frame)});
}

void KitPlayer::start_voice(int note, int velocity) {
  const PreparedKit::PadLayers& pad = kit_->pads[note];
  if (!pad.present) return;
  const long fade = std::max(1L, std::lround(kCutFadeS * rate_));
  // Its choke group's other pads stop; a pad with kVoicesPerPad sounding loses its oldest.
  Voice* oldest = nullptr;
  int sounding = 0;
  for (Voice& v : voices_) {
    if (!v.active || v.fade_left >= 0) continue;
    if (v.note != note && pad.choke_group != 0 && kit_->pads[v.note].choke_group == pad.choke_group)
      v.cut(int(fade));
    if (v.note == note && (++sounding, !oldest || v.age < oldest->age)) oldest = &v;
  }
  if (sounding >= kVoicesPerPad && oldest) oldest->cut(int(fade));
  // A free voice, or else the oldest of all.
  Voice* free = nullptr;
  for (Voice& v : voices_)
    if (!v.active) {
      free = &v;
      break;
    }
  if (!free)
    for (Voice& v : voices_)
      if (!free || v.age < free->age) free = &v;
  double params[kNumParams];
  uint64_t seed = 0;
  const double gain = voice_at_velocity(pad, velocity, controls(note), params, &seed);
  const long bound = std::lround(std::min(60.0, length_bound_s(params)) * rate_);
  free->start(params, rate_, seed, float(gain), std::max(1L, bound));
  free->note = note, free->age = ++age_;
}

void KitPlayer::render_voices(float* out, int frames) {
  for (Voice& v : voices_)
    if (v.active) render_voice_add(&v, out, frames);
}

void KitPlayer::process(float* out, int frames) {
  const FlushDenormals flush;
  if (retired_.load() == nullptr)  // a new kit, once the last one replaced has been collected
    if (PreparedKit* in = incoming_.exchange(nullptr)) retired_.store(std::exchange(kit_, in));
  std::fill(out, out + frames, 0.0f);
  int done = 0;
  for (const Pending& e : pending_) {
    const int at = std::min(e.frame, frames);
    if (at > done) render_voices(out + done, at - done), done = at;
    if (kit_) start_voice(e.note, e.velocity);
  }
  pending_.clear();
  if (frames > done) render_voices(out + done, frames - done);
}

int KitPlayer::sounding_voices() const {
  int n = 0;
  for (const Voice& v : voices_) n += v.active;
  return n;
}

}  // namespace drumsynth
