// Every block of the voice program, by one typed test (a new block entered in
// SourceBlocks or MixBlocks is checked here without a line of its own): each
// unit's sample_vjp against central finite differences in long double, in its
// parameters and in the inputs it shares (t, S, rise); its envelope bounds its
// level; and the program's per-sample buses (the GPU's form) against the CPU
// voice's buffers.
#include <gtest/gtest.h>

#include <random>

#include "drumsynth/param_table.hpp"
#include "gradient_check.hpp"
#include "synth/voice_tape.hpp"

namespace drumsynth {
namespace {

// A preset inside every range, away from the ends (the middle of each
// range's logit, jittered).
std::vector<double> test_params(uint64_t seed) { return test::random_params(seed, 0.7); }

template <typename B>
class EachBlock : public ::testing::Test {};
template <typename S, typename M>
struct Concat;
template <typename... S, typename... M>
struct Concat<BlockList<S...>, BlockList<M...>> {
  using type = ::testing::Types<S..., M...>;
};
using ProgramBlocks = Concat<SourceBlocks, MixBlocks>::type;
TYPED_TEST_SUITE(EachBlock, ProgramBlocks);

// L = sum_i w_i sample(unit, rise_i, t_i, S_i, fixed_i) over 40 points after
// the onset; the unit's parameters and a common shift of every t_i, S_i and
// rise_i (their gradients summed over the points) are checked.
TYPED_TEST(EachBlock, AdjointMatchesFiniteDifferences) {
  using B = TypeParam;
  const std::vector<double> p = test_params(11);
  constexpr int kPoints = 40;
  std::vector<double> t(kPoints), S(kPoints), rise(kPoints), fixed(kPoints), w(kPoints);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> U(-1.0, 1.0);
  for (int i = 0; i < kPoints; ++i) {
    t[i] = 0.0005 + 0.001 * i;
    S[i] = swept_time<double>(t[i], p[P::sweep_ratio], p[P::sweep_s]);
    rise[i] = 0.2 + 0.02 * i;
    fixed[i] = U(rng), w[i] = U(rng);
  }
  for (int u = 0; u < B::n_units; ++u) {
    // x = the unit's parameters, then the shifts of t, S and rise.
    std::vector<double> x;
    for (int j = 0; j < B::unit_params; ++j) x.push_back(p[unit_param<B>(u, j)]);
    x.insert(x.end(), {0.0, 0.0, 0.0});
    auto loss = [&](const std::vector<long double>& q) {
      std::vector<long double> pl(p.begin(), p.end());
      for (int j = 0; j < B::unit_params; ++j) pl[unit_param<B>(u, j)] = q[j];
      const auto unit = B::unit(pl.data(), u);
      long double l = 0;
      for (int i = 0; i < kPoints; ++i) {
        const long double ti = t[i] + q[B::unit_params], Si = S[i] + q[B::unit_params + 1];
        const long double ri = rise[i] + q[B::unit_params + 2];
        l += w[i] * B::sample(unit, ri, ti, Si, (long double)fixed[i]);
      }
      return l;
    };
    std::vector<double> analytic(x.size(), 0.0);
    const auto unit = B::unit(p.data(), u);
    for (int i = 0; i < kPoints; ++i) {
      double v_rise = 0, v_t = 0, v_S = 0;
      B::sample_vjp(unit, rise[i], t[i], S[i], fixed[i], w[i], analytic.data(), v_rise, v_t, v_S);
      analytic[B::unit_params] += v_t, analytic[B::unit_params + 1] += v_S;
      analytic[B::unit_params + 2] += v_rise;
    }
    // Steps: 1e-6 of a parameter's value; the shifts 1e-7 s (a 12 kHz
    // phase turns by 1e-2 rad) and 1e-6 of a rise.
    std::vector<double> steps = test::relative_steps(x, 1e-6, 1e-9);
    steps[B::unit_params] = steps[B::unit_params + 1] = 1e-7;
    steps[B::unit_params + 2] = 1e-6;
    const auto numeric = test::numeric_gradient<long double>(loss, x, steps);
    std::vector<std::string> names;
    for (int j = 0; j < B::unit_params; ++j)
      names.push_back(param_table()[unit_param<B>(u, j)].name);
    names.insert(names.end(), {"t", "S", "rise"});
    // Measured on cpp-kernels: worst 2.3e-12 (a partial's gain); 1e-6 leaves
    // room for other libms while a wrong term (an error of order 1) fails.
    test::expect_gradients_match(analytic, numeric, names, 1e-6, 1e-12,
                                 std::string(B::name) + " unit " + std::to_string(u));
  }
}

// After its attack, a unit's output stays under peak * e^{-t / decay}, the
// bound the kit player stops it by (fixed inputs and the rise at most 1).
TYPED_TEST(EachBlock, EnvelopeBoundsTheLevel) {
  using B = TypeParam;
  const std::vector<double> p = test_params(3);
  for (int u = 0; u < B::n_units; ++u) {
    const UnitEnvelope<double> e = B::unit_envelope(p.data(), u);
    const auto unit = B::unit(p.data(), u);
    for (int i = 1; i < 400; ++i) {
      const double t = 0.0025 * i;
      const double S = swept_time<double>(t, p[P::sweep_ratio], p[P::sweep_s]);
      const double y = B::sample(unit, 1.0, t, S, 1.0);
      EXPECT_LE(std::abs(y), e.peak * std::exp(-t / e.decay_s) * (1 + 1e-12))
          << B::name << " unit " << u << " at " << t << " s";
    }
  }
}

// The buses' per-sample forms (what the CUDA kernels run) against the CPU
// voice's buffers, which run the same units over whole buffers.
TEST(VoiceProgram, PerSampleBusesMatchTheVoicesBuffers) {
  const std::vector<double> p = test_params(7);
  const VoiceSpec spec{4000, 22050.0, 9};
  VoiceTape<double> tape;
  render_voice(p.data(), spec, tape);
  double worst_source = 0, worst_mix = 0;
  for (int i = 0; i < spec.n_samples; ++i) {
    worst_source = std::max(
        worst_source,
        std::abs(source_sample(p.data(), phase_time(p.data(), i, 22050.0)) - (tape.source[i])));
    worst_mix = std::max(worst_mix,
                         std::abs(mix_bus_sample(p.data(), time_since_onset(p.data(), i, 22050.0),
                                                 tape.fixed.data() + i, size_t(spec.n_samples)) -
                                  tape.mix_bus[i]));
  }
  std::printf("  source bus: max |per-sample - voice| %.1e; mix bus %.1e (bound 1e-12)\n",
              worst_source, worst_mix);
  EXPECT_LT(worst_source, 1e-12);
  EXPECT_LT(worst_mix, 1e-12);
}

// Every parameter belongs to exactly one block's units, or to the parts of
// the model outside the lists (the clock and the buses' attacks, the noise
// band, the resonator, the release and the gate): a new block's parameters
// are in its slice, and no slice overlaps another.
TEST(VoiceProgram, EveryParameterHasOneOwner) {
  std::vector<int> owner(kNumParams, 0);
  auto mark = [&](auto b, int, int) {
    using B = decltype(b);
    for (int i = 0; i < B::n_units * B::unit_params; ++i) ++owner[size_t(B::first_param + i)];
  };
  for_each_block(SourceBlocks{}, mark);
  for_each_block(MixBlocks{}, mark);
  for (int i : {int(P::onset_s), int(P::sweep_ratio), int(P::sweep_s), kSourceAttack, kMixAttack,
                int(P::noise_decay_s), int(P::noise_low_hz), int(P::noise_high_hz),
                int(P::noise_gain), int(P::resonator_freq_hz), int(P::resonator_decay_s),
                int(P::resonator_damping_hz), int(P::resonator_gain), int(P::release_start_s),
                int(P::release_s), int(P::gate_start_s), int(P::gate_s)})
    ++owner[size_t(i)];
  for (int i = 0; i < kNumParams; ++i)
    EXPECT_EQ(owner[size_t(i)], 1)
        << param_table()[size_t(i)].name << " has " << owner[size_t(i)] << " owners";
}

}  // namespace
}  // namespace drumsynth
