// The fitting driver: it lowers the loss on a real sound, keeps the best,
// is deterministic for a seed, and recovers a synthetic target's pitch region.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "drumsynth/analysis.hpp"
#include "drumsynth/fit.hpp"
#include "drumsynth/param_table.hpp"
#include "drumsynth/switches.hpp"
#include "synth/voice_tape.hpp"
#include "test_support.hpp"

namespace drumsynth {
namespace {

TEST(Fit, LowersTheLossOnARealDrumAndKeepsTheBest) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  const Sound s = load_sound(
      (test::shared_data() / "drums-dev/ElectricEmpireKit/EE_Kick_Lite_2.flac").string());
  FitOptions o;
  o.iterations = 60;
  o.loss = loss_preset(LossPreset::auraloss);
  const FitResult r = fit(s, o);
  ASSERT_EQ(r.loss_history.size(), 60u);
  EXPECT_LT(r.best_loss, 0.8 * r.initial_loss) << "initial " << r.initial_loss;
  double best = INFINITY;
  for (double l : r.loss_history) best = std::min(best, l);
  EXPECT_EQ(r.best_loss, best);
  EXPECT_EQ(r.loss_history[r.best_iteration], r.best_loss);
  // The kept parameters really give the best loss.
  auto backend = make_cpu_backend({{&s.samples, s.sample_rate, o.seed}}, o.loss);
  std::vector<float> z(r.best_logits.begin(), r.best_logits.end());
  float l = 0;
  backend->loss_only(z.data(), &l);
  EXPECT_NEAR(l, r.best_loss, 1e-6 * r.best_loss);
}

// The gate is measured, not fitted: a recording with a fade-out keeps the
// gate the analysis put on it through the fit, where every other block moves.
TEST(Fit, KeepsTheGateWhereTheAnalysisPutIt) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  const Sound s =
      load_sound((test::shared_data() / "drums-dev/Gimme_A_Hand_1_0/WoodBlock-Hard.wav").string());
  const auto start = params_from_analysis(analyse(s), s.sample_rate);
  ASSERT_LT(start[P::gate_start_s], 0.5 * param_table()[P::gate_start_s].max);  // a fade found
  FitOptions o;
  o.iterations = 30;
  const FitResult r = fit(s, o);
  for (int i : {int(P::gate_start_s), int(P::gate_s)})
    EXPECT_NEAR(r.params[i], start[i], 1e-5 * start[i]) << param_table()[i].name;
  EXPECT_GT(std::abs(r.params[P::release_start_s] / start[P::release_start_s] - 1), 1e-3);
}

TEST(Fit, IsDeterministicForASeed) {
  const auto target = test::decaying_tone(4000, 16000.0, 300.0);
  const Sound s{"tone", 16000.0, 1, target};
  FitOptions o;
  o.iterations = 15;
  o.loss = loss_preset(LossPreset::auraloss);
  o.seed = 5;
  const FitResult a = fit(s, o), b = fit(s, o);
  EXPECT_EQ(a.loss_history, b.loss_history);
  EXPECT_EQ(a.best_logits, b.best_logits);
  o.seed = 6;
  EXPECT_NE(fit(s, o).loss_history, a.loss_history);
}

TEST(Fit, RandomLogitsAreStandardNormalAndSeeded) {
  EXPECT_EQ(random_logits(1), random_logits(1));
  EXPECT_NE(random_logits(1), random_logits(2));
  double sum = 0, sum2 = 0;
  const int n_seeds = 400;
  for (int s = 0; s < n_seeds; ++s)
    for (float z : random_logits(s)) sum += z, sum2 += double(z) * z;
  const double n = double(n_seeds) * kNumParams, mean = sum / n, var = sum2 / n - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.03);  // 5 sigma of the mean of 21600 normals is 0.034
  EXPECT_NEAR(var, 1.0, 0.05);
}

// The plateau schedule: a backend whose loss never improves makes the driver
// halve the learning rate after `patience` iterations, so Adam's steps (about
// lr each at a constant gradient) shrink accordingly.
TEST(Fit, ReducesTheLearningRateOnAPlateau) {
  FitOptions o;
  o.plateau_patience = 3;
  // A backend that records each step the driver takes on logit 0.
  std::vector<float> logits(kNumParams, 0.0f);
  std::vector<double> steps;
  struct Recorder final : Backend {
    std::vector<double>* out;
    float last = 0;
    bool first = true;
    int n_instances() const override { return 1; }
    std::string name() const override { return "rec"; }
    void loss_only(const float*, float* loss) override { loss[0] = 1.0f; }
    std::vector<InstanceFit> optimize(std::vector<float> z, const OptimizerConfig& c,
                                      const FitControl& control) override {
      return optimize_on_host(*this, std::move(z), c, control);
    }
    void loss_and_gradient(const float* z, float* loss, float* v) override {
      if (!first) out->push_back(last - z[0]);
      first = false;
      last = z[0];
      loss[0] = 1.0f;
      for (int i = 0; i < kNumParams; ++i) v[i] = 1.0f;
    }
  } rec;
  rec.out = &steps;
  o.iterations = 12;
  rec.optimize(logits, optimizer_config(o), {});
  ASSERT_EQ(steps.size(), 11u);
  // Iteration 0 sets the best; 1..4 are bad; after the 4th bad one (> patience 3)
  // the rate halves: steps 0..4 are lr = 0.1, from step 5 on 0.05, then 0.025.
  EXPECT_NEAR(steps[0], 0.1, 1e-6);
  EXPECT_NEAR(steps[4], 0.1, 1e-6);
  EXPECT_NEAR(steps[5], 0.05, 1e-6);
  EXPECT_NEAR(steps[9], 0.025, 1e-6);
}

// fit_sounds over several sounds gives each the result fit() gives it alone
// (CPU results do not depend on how sounds are packed or on the threads), goes
// on past a sound that fails, and reports every sound once.
TEST(FitSounds, ManySoundsAsEachAloneAndPastAFailure) {
  const Sound a{"a", 16000.0, 1, test::decaying_tone(3000, 16000.0, 300.0)};
  const Sound b{"b", 22050.0, 1, test::decaying_tone(5000, 22050.0, 150.0)};
  const Sound empty{"empty", 16000.0, 1, {}};
  FitOptions o;
  o.iterations = 8;
  o.restarts = 2;
  o.loss = loss_preset(LossPreset::auraloss);
  o.n_threads = 2;
  std::vector<int> reported;
  const auto fits =
      fit_sounds({&a, &empty, &b}, o, [&](int s, const SoundFit&) { reported.push_back(s); });
  ASSERT_EQ(fits.size(), 3u);
  std::sort(reported.begin(), reported.end());
  EXPECT_EQ(reported, (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE(fits[1].error) << "an empty sound cannot be fitted";
  for (int s : {0, 2}) {
    ASSERT_FALSE(fits[s].error);
    FitOptions alone = o;
    alone.n_threads = 1;
    const FitResult r = fit(s == 0 ? a : b, alone);
    EXPECT_EQ(fits[s].result.loss_history, r.loss_history) << "sound " << s;
    EXPECT_EQ(fits[s].result.best_logits, r.best_logits) << "sound " << s;
    EXPECT_EQ(fits[s].result.noise_seed, r.noise_seed);
  }
}

// One sound on two threads (the loss's resolutions and the voice's noise and
// tone branches split between them) fits to the same bits as on one.
TEST(FitSounds, OneSoundFitsTheSameOnOneOrTwoThreads) {
  const Sound a{"a", 16000.0, 1, test::decaying_tone(4000, 16000.0, 220.0)};
  FitOptions o;
  o.iterations = 6;
  o.loss = loss_preset(LossPreset::seed);
  std::vector<FitResult> r;
  for (int threads : {1, 2}) {
    o.n_threads = threads;
    r.push_back(fit(a, o));
  }
  EXPECT_EQ(r[0].loss_history, r[1].loss_history);
  EXPECT_EQ(r[0].best_logits, r[1].best_logits);
}

// A GPU batch analyses its sounds on threads: each sound's logits (with its
// restarts' perturbations) are its own, as one at a time.
TEST(FitSounds, AGroupAnalysedOnThreadsGivesEachSoundItsOwnLogits) {
  DRUMSYNTH_REQUIRE_SHARED_DATA();
  std::vector<Sound> sounds;
  for (const char* f :
       {"ElectricEmpireKit/EE_Kick_Lite_2.flac", "Audiophob/99931__menegass__noise-tom1.wav",
        "Audiophob/15590__lewis__sabmute.wav"})
    sounds.push_back(load_sound((test::shared_data() / "drums-dev" / f).string()));
  FitOptions o;
  o.restarts = 2;
  std::vector<float> one_at_a_time;
  std::vector<const Sound*> group;
  for (const Sound& s : sounds) {
    const auto z = starting_logits(s, o);
    one_at_a_time.insert(one_at_a_time.end(), z.begin(), z.end());
    group.push_back(&s);
  }
  ASSERT_EQ(one_at_a_time.size(), sounds.size() * 2 * kNumParams);
  EXPECT_EQ(starting_logits(group, o, 3), one_at_a_time);
}

// The GPU path's batching run with the CPU backend (DRUMSYNTH_BATCHES_ON_CPU):
// groups of two sounds, each group's analysis made while the group before it
// fits; a group holding an empty sound fails as a whole, and every other
// sound fits to the same bits as alone.
TEST(FitSounds, GpuBatchesWithTheirAnalysisAheadFitAsEachAlone) {
  std::vector<Sound> sounds;
  for (int k = 0; k < 5; ++k)
    sounds.push_back({"s" + std::to_string(k), 16000.0, 1,
                      test::decaying_tone(3000 + 500 * k, 16000.0, 200.0 + 90 * k)});
  sounds[2].samples.clear();  // the second group: sounds 2 and 3
  std::vector<const Sound*> refs;
  for (const Sound& s : sounds) refs.push_back(&s);
  FitOptions o;
  o.iterations = 4;
  o.loss = loss_preset(LossPreset::auraloss);
  o.n_threads = 2;
  o.gpu_batch = 2;
  setenv("DRUMSYNTH_BATCHES_ON_CPU", "1", 1);
  std::vector<int> reported;
  const auto fits = fit_sounds(refs, o, [&](int s, const SoundFit&) { reported.push_back(s); });
  unsetenv("DRUMSYNTH_BATCHES_ON_CPU");
  EXPECT_EQ(reported, (std::vector<int>{0, 1, 2, 3, 4}));  // in order: one group after another
  EXPECT_TRUE(fits[2].error);
  EXPECT_TRUE(fits[3].error) << "its group failed with the empty sound";
  for (int s : {0, 1, 4}) {
    ASSERT_FALSE(fits[size_t(s)].error) << "sound " << s;
    FitOptions alone = o;
    alone.n_threads = 1;
    const FitResult r = fit(sounds[size_t(s)], alone);
    EXPECT_EQ(fits[size_t(s)].result.loss_history, r.loss_history) << "sound " << s;
    EXPECT_EQ(fits[size_t(s)].result.best_logits, r.best_logits) << "sound " << s;
  }
}

// FitOptions::finish ends a fit early and keeps its best so far (Ctrl-C in a
// notebook); sounds not started by then say so.
TEST(FitSounds, FinishEndsEarlyWithTheBestSoFar) {
  const Sound a{"a", 16000.0, 1, test::decaying_tone(3000, 16000.0, 300.0)};
  const Sound b{"b", 16000.0, 1, test::decaying_tone(3000, 16000.0, 200.0)};
  std::atomic<bool> finish{false};
  FitOptions o;
  o.iterations = 100;
  o.loss = loss_preset(LossPreset::auraloss);
  o.finish = &finish;
  o.progress_every = 10;
  o.progress = [&](const FitProgress& p) {
    if (p.iteration == 20) finish = true;
  };
  const FitResult r = fit(a, o);
  EXPECT_EQ(r.loss_history.size(), 20u);
  EXPECT_EQ(r.best_loss, *std::min_element(r.loss_history.begin(), r.loss_history.end()));
  // The same first 20 iterations as a fit of 20.
  FitOptions twenty = o;
  twenty.iterations = 20, twenty.finish = nullptr, twenty.progress = nullptr;
  EXPECT_EQ(fit(a, twenty).best_logits, r.best_logits);
  // Two sounds, one worker: finish set when the first is done leaves the second unfitted.
  finish = false;
  o.progress = nullptr;
  o.iterations = 5;
  const auto fits = fit_sounds({&a, &b}, o, [&](int, const SoundFit&) { finish = true; });
  ASSERT_FALSE(fits[0].error);
  EXPECT_EQ(fits[0].result.loss_history.size(), 5u);
  ASSERT_TRUE(fits[1].error);
  try {
    std::rethrow_exception(fits[1].error);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not fitted"), std::string::npos) << e.what();
  }
}

// The developer switches come from the environment through read_switches
// alone; an unset or out-of-range one keeps its default, and
// describe_switches names only those that differ.
TEST(Switches, ReadFromTheEnvironmentInOnePlace) {
  EXPECT_EQ(describe_switches(read_switches()), "");
  EXPECT_TRUE(read_switches().fused_fft_folded);  // the default
  setenv("DRUMSYNTH_FUSED_FFT", "normal", 1);
  setenv("DRUMSYNTH_FUSED_OLA", "memory", 1);
  setenv("DRUMSYNTH_CUDA_GRAPH", "0", 1);
  setenv("DRUMSYNTH_RESONATOR_LANE_SAMPLES", "9", 1);
  Switches s = read_switches();
  EXPECT_FALSE(s.fused_fft_folded);
  EXPECT_TRUE(s.fused_ola_memory);
  EXPECT_FALSE(s.cuda_graph);
  EXPECT_EQ(s.resonator_lane_samples, 0);
  EXPECT_EQ(describe_switches(s),
            "DRUMSYNTH_FUSED_FFT=normal DRUMSYNTH_FUSED_OLA=memory DRUMSYNTH_CUDA_GRAPH=0");
  setenv("DRUMSYNTH_RESONATOR_LANE_SAMPLES", "1", 1);
  EXPECT_EQ(read_switches().resonator_lane_samples, 1);
  for (const char* name : {"DRUMSYNTH_FUSED_FFT", "DRUMSYNTH_FUSED_OLA", "DRUMSYNTH_CUDA_GRAPH",
                           "DRUMSYNTH_RESONATOR_LANE_SAMPLES"})
    unsetenv(name);
  EXPECT_EQ(describe_switches(read_switches()), "");
}

// The one device decision: names, and a clear error for a GPU that is not there.
TEST(FitSounds, DeviceIsResolvedInOnePlace) {
  EXPECT_EQ(resolve_device(DeviceChoice::cpu), Device::cpu);
  EXPECT_THROW(parse_name<DeviceChoice>("tpu"), Error);
  std::string why;
  if (!cuda_usable(&why)) {
    EXPECT_EQ(resolve_device(DeviceChoice::automatic), Device::cpu);
    try {
      resolve_device(DeviceChoice::cuda);
      FAIL() << "--device cuda without a GPU must fail";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), "--device cuda: " + why);
    }
  } else {
    EXPECT_EQ(resolve_device(DeviceChoice::automatic), Device::cuda);
  }
}

}  // namespace
}  // namespace drumsynth
