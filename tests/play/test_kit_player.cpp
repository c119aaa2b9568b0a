// The instrument's engine (kit_player.hpp): every block of the model played
// as render plays it, in blocks of any size; between two velocity layers a
// sound between them; nothing allocated while it plays.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <complex>
#include <cstdlib>
#include <new>

#include "drumsynth/fit.hpp"
#include "drumsynth/kit_player.hpp"
#include "drumsynth/param_table.hpp"
#include "drumsynth/playback.hpp"
#include "drumsynth/render.hpp"

// Every allocation of the test process, counted while `counting` is set.
namespace {
std::atomic<bool> counting{false};
std::atomic<long> allocations{0};
}  // namespace
void* operator new(std::size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace drumsynth {
namespace {

constexpr double kRate = 48000;

// A kit of one pad on `note` whose layers are these presets at these velocities.
std::unique_ptr<PreparedKit> one_pad(int note, const std::vector<Preset>& layers,
                                     const std::vector<int>& velocity, int choke_group = 0) {
  LoadedKit k;
  Pad pad;
  pad.note = note, pad.choke_group = choke_group;
  for (size_t l = 0; l < layers.size(); ++l) pad.layers.push_back({"", velocity[l]});
  k.kit.pads.push_back(pad);
  k.presets.push_back(layers);
  k.silent.push_back(std::vector<bool>(layers.size(), false));
  return prepare_kit(k);
}

Preset random_preset(uint64_t seed) {
  Preset p;
  const std::vector<float> z = random_logits(seed);
  p.params = params_from_logits(std::vector<double>(z.begin(), z.end()));
  p.params[P::onset_s] = 0.004;
  p.sample_rate = kRate, p.n_samples = 4800, p.noise_seed = seed;
  return p;
}

std::vector<float> play(KitPlayer& player, int note, int velocity, int frames, int block,
                        int offset = 0) {
  std::vector<float> out;
  std::vector<float> buf(static_cast<size_t>(block));
  for (int at = 0; at < frames; at += block) {
    if (at <= offset && offset < at + block) player.note_on(note, velocity, offset - at);
    player.process(buf.data(), block);
    out.insert(out.end(), buf.begin(), buf.end());
  }
  out.resize(size_t(frames));
  return out;
}

// Random presets (every block sounding: partials, glide, transient, noise
// band and bank, resonator) at velocity 127: render's samples within float
// rounding, for the length render gives. The engine runs in float; render
// plays in double: the bound is what float costs render itself (its float
// voice against its double one, the fits' own path), twice, or 1e-5 of the
// peak where that is less (long rings through the resonator's loop gather
// float error over seconds).
TEST(KitPlayer, PlaysEveryBlockAsRenderDoes) {
  for (uint64_t seed : {3, 11, 29, 47}) {
    const Preset p = random_preset(seed);
    const std::vector<double> expected = play_preset(p, kRate);
    const std::vector<float> in_float =
        render(std::vector<float>(p.params.begin(), p.params.end()),
               VoiceSpec{int(expected.size()), kRate, p.noise_seed});
    KitPlayer player(kRate, 8);
    player.swap_kit(one_pad(38, {p}, {127}));
    const std::vector<float> got = play(player, 38, 127, int(expected.size()), 64);
    double peak = 0, err = 0, float_err = 0;
    for (double v : expected) peak = std::max(peak, std::abs(v));
    for (size_t i = 0; i < expected.size(); ++i) {
      err = std::max(err, std::abs(double(got[i]) - expected[i]));
      float_err = std::max(float_err, std::abs(double(in_float[i]) - expected[i]));
    }
    const double bound = std::max(1e-5 * peak, 2 * float_err);
    std::printf(
        "  preset %llu: %.2f s, worst difference %.2e of the peak; render in float %.2e (bound "
        "%.2e)\n",
        (unsigned long long)seed, expected.size() / kRate, err / peak, float_err / peak,
        bound / peak);
    EXPECT_LT(err, bound) << seed;
  }
}

TEST(KitPlayer, BlocksOfAnySizeGiveTheSameSamples) {
  const Preset p = random_preset(5);
  std::vector<std::vector<float>> runs;
  for (int block : {1, 64, 1000}) {
    KitPlayer player(kRate, 8);
    player.swap_kit(one_pad(42, {p}, {127}));
    runs.push_back(play(player, 42, 100, 24000, block, 1777));  // the note 1777 samples in
  }
  EXPECT_EQ(runs[0], runs[1]);
  EXPECT_EQ(runs[0], runs[2]);
  for (int i = 0; i < 1777; ++i) ASSERT_EQ(runs[0][size_t(i)], 0.0f) << i;
}

// Two layers of one drum, the soft one lower in pitch, shorter and darker,
// their partials fitted in different orders: at a velocity between them the
// loudest partial's frequency, the ring and the level lie between theirs.
TEST(KitPlayer, AVelocityBetweenTwoLayersSoundsBetweenThem) {
  Preset soft = random_preset(8), hard = soft;
  for (int k = 0; k < kNumPartials; ++k)
    soft.params[P::tone_gain(k)] = 1e-4, hard.params[P::tone_gain(k)] = 1e-4;
  soft.params[P::tone_freq_hz(0)] = 100, soft.params[P::tone_gain(0)] = 0.3,
  soft.params[P::tone_decay_s(0)] = 0.15;
  hard.params[P::tone_freq_hz(5)] = 140, hard.params[P::tone_gain(5)] = 0.9,
  hard.params[P::tone_decay_s(5)] = 0.6;
  for (auto* p : {&soft, &hard}) {
    p->params[P::noise_gain] = p->params[P::resonator_gain] = p->params[P::transient_gain] = 1e-4;
    p->params[P::sweep_ratio] = 1.0;  // no glide: the partials stay where they end
    for (int k = 0; k < kNoiseBands; ++k) p->params[P::noise_bank_gain(k)] = 1e-4;
  }
  // The loudest partial's frequency (the spectrum's peak over 0.2 s), the
  // level (peak) and the ring (time to fall 20 dB under the peak).
  struct Measures {
    double hz, peak, ring_s;
  };
  const auto measure = [](const std::vector<float>& x) {
    Measures m{0, 0, 0};
    for (float v : x) m.peak = std::max(m.peak, double(std::abs(v)));
    size_t last = 0;
    for (size_t i = 0; i < x.size(); ++i)
      if (std::abs(x[i]) > 0.1 * m.peak) last = i;
    m.ring_s = last / kRate;
    double best = 0;
    for (double hz = 60; hz < 200; hz += 0.5) {
      std::complex<double> s = 0;
      for (size_t i = 0; i < size_t(0.2 * kRate); ++i)
        s += double(x[i]) * std::polar(1.0, -kTwoPi * hz * i / kRate);
      if (std::abs(s) > best) best = std::abs(s), m.hz = hz;
    }
    return m;
  };
  KitPlayer player(kRate, 8);
  player.swap_kit(one_pad(45, {soft, hard}, {40, 120}));
  const Measures at40 = measure(play(player, 45, 40, 48000, 256));
  const Measures at80 = measure(play(player, 45, 80, 48000, 256));
  const Measures at120 = measure(play(player, 45, 120, 48000, 256));
  std::printf(
      "  velocity 40: %.1f Hz, peak %.3f, ring %.3f s; 80: %.1f Hz, %.3f, %.3f s; 120: %.1f Hz, "
      "%.3f, %.3f s\n",
      at40.hz, at40.peak, at40.ring_s, at80.hz, at80.peak, at80.ring_s, at120.hz, at120.peak,
      at120.ring_s);
  EXPECT_NEAR(at40.hz, 100, 2);
  EXPECT_NEAR(at120.hz, 140, 2);
  EXPECT_GT(at80.hz, 105);  // between: not either layer's, nor both at once
  EXPECT_LT(at80.hz, 135);
  EXPECT_GT(at80.peak, at40.peak);
  EXPECT_LT(at80.peak, at120.peak);
  EXPECT_GT(at80.ring_s, at40.ring_s);
  EXPECT_LT(at80.ring_s, at120.ring_s);
}

// No allocation on the audio thread: a kit swapped in, notes on every pad's
// voices, choke cuts and stolen voices, over many blocks.
TEST(KitPlayer, NothingIsAllocatedWhilePlaying) {
  KitPlayer player(kRate, 16);
  player.swap_kit(one_pad(46, {random_preset(1), random_preset(2)}, {60, 127}, 1));
  std::vector<float> buf(128);
  allocations = 0;
  counting = true;
  for (int b = 0; b < 400; ++b) {
    if (b % 7 == 0) player.note_on(46, 20 + (b * 13) % 100, b % 128);
    player.process(buf.data(), 128);
  }
  counting = false;
  EXPECT_EQ(allocations.load(), 0);
  EXPECT_GT(player.sounding_voices(), 0);
  // A new kit while it plays: taken at the next block; the old one comes back to be freed here.
  player.swap_kit(one_pad(46, {random_preset(3)}, {127}));
  player.process(buf.data(), 128);
  EXPECT_NE(player.swap_kit(nullptr), nullptr);
}

}  // namespace
}  // namespace drumsynth
