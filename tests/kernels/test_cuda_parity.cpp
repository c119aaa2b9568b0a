// GPU against the CPU reference. Without a CUDA device (or without a CUDA build)
// every test here skips with the reason.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>

#include "drumsynth/backend.hpp"
#include "drumsynth/fit.hpp"
#include "drumsynth/param_table.hpp"
#include "loss/mrstft_loss.hpp"
#include "named_choices.hpp"
#include "synth/voice_tape.hpp"
#if DRUMSYNTH_HAVE_CUDA
#include "cuda_backend.hpp"
#include "mrstft_loss.cuh"
#endif

namespace drumsynth {
namespace {

using test::loss_preset_names;
using test::named_kernels;
using test::named_loss;

#if DRUMSYNTH_HAVE_CUDA
#define REQUIRE_GPU()                                         \
  do {                                                        \
    std::string why_;                                         \
    if (!cuda::device_available(&why_)) GTEST_SKIP() << why_; \
  } while (0)
#else
#define REQUIRE_GPU() GTEST_SKIP() << "built without CUDA (no nvcc found at configure time)"
#endif

// The batch sizes; DRUMSYNTH_PARITY_QUICK=1 (for compute-sanitizer,
// which slows kernels 10-100x) keeps one mixed batch of 7.
std::vector<int> parity_batch_sizes() {
  const char* quick = std::getenv("DRUMSYNTH_PARITY_QUICK");
  if (quick && std::string(quick) == "1") return {7};
  return {1, 7, 64};
}

// The kernel variants the every-instance test runs: v1, v2 as it is (the
// fused kernels' planned runs, long at the two longest FFTs, real_mode::folded
// FFTs, the resonator in lanes of up to 8 samples), and v2 with each switch,
// set while its backend is made and runs. DRUMSYNTH_PARITY_VARIANTS (names
// separated by commas) keeps some: scripts/gpu-check runs the switched ones
// each in its own process, so that one whose kernel faults (a CUDA context
// does not outlive an illegal address) costs no other test its result.
struct ParityVariant {
  std::string name;
  const char* kernels;
  const char* switch_name;  // nullptr: no switch
  const char* switch_value;
};

std::vector<ParityVariant> parity_variants() {
  const std::vector<ParityVariant> all = {
      {"v1", "v1", nullptr, nullptr},
      {"v2", "v2", nullptr, nullptr},
      {"v2 fixed plan", "v2", "DRUMSYNTH_FUSED_PLAN", "fixed"},
      {"v2 occupancy plan", "v2", "DRUMSYNTH_FUSED_PLAN", "occupancy"},
      {"v2 normal FFT", "v2", "DRUMSYNTH_FUSED_FFT", "normal"},
      {"v2 overlap-add in memory", "v2", "DRUMSYNTH_FUSED_OLA", "memory"},
      {"v2 fast math", "v2", "DRUMSYNTH_FUSED_FAST_MATH", "1"},
      {"v2 resonator lanes of 1", "v2", "DRUMSYNTH_RESONATOR_LANE_SAMPLES", "1"}};
  const char* chosen = std::getenv("DRUMSYNTH_PARITY_VARIANTS");
  if (!chosen || !*chosen) return all;
  std::vector<ParityVariant> kept;
  for (const ParityVariant& v : all)
    if (("," + std::string(chosen) + ",").find("," + v.name + ",") != std::string::npos)
      kept.push_back(v);
  return kept;
}

// Per-sample source synthesis, B = 1, 7 and 64 instances of mixed lengths and
// rates: max abs error below 1e-4 (the bound).
TEST(CudaParity, SourceSynthesisMatchesCpu) {
  REQUIRE_GPU();
#if DRUMSYNTH_HAVE_CUDA
  const double rates[] = {8000, 22050, 44100, 48000, 96000};
  for (int B : parity_batch_sizes()) {
    std::vector<float> params;
    std::vector<int> lengths;
    std::vector<float> sr;
    for (int b = 0; b < B; ++b) {
      const auto z = random_logits(uint64_t(100 + b));
      const auto p = params_from_logits(z);
      params.insert(params.end(), p.begin(), p.end());
      sr.push_back(float(rates[b % 5]));
      lengths.push_back(int(sr.back() * (0.05 + 0.1 * (b % 4))));
    }
    const auto gpu = cuda::render_source(params, lengths, sr);
    double worst = 0;
    for (int b = 0; b < B; ++b) {
      const float* p = params.data() + size_t(b) * kNumParams;
      for (int i = 0; i < lengths[b]; ++i) {
        const float cpu = source_sample(p, phase_time(p, i, sr[b]));
        worst = std::max(worst, double(std::abs(cpu - gpu[b][i])));
      }
    }
    std::printf("  B = %d: max abs err %.2e (%.0f%% of 1e-4)\n", B, worst, worst / 1e-4 * 100);
    EXPECT_LT(worst, 1e-4) << "B = " << B;
  }
#endif
}

// A batch of B instances of mixed rates and lengths (shorter and longer than
// the largest FFT), each target a rendered random preset that sounds within
// its length (onsets are at most 50 ms), and random starting logits.
struct ParityBatch {
  std::vector<std::vector<float>> targets;
  std::vector<Instance> instances;
  std::vector<float> logits;
  std::vector<float> instance_logits(int b) const {
    return {logits.begin() + b * kNumParams, logits.begin() + (b + 1) * kNumParams};
  }
};
ParityBatch parity_batch(int B) {
  const double rates[] = {8000, 22050, 44100, 48000, 96000};
  ParityBatch pb;
  pb.targets.resize(static_cast<size_t>(B));
  for (int b = 0; b < B; ++b) {
    const double sr = rates[b % 5];
    const int n = int(sr * (0.1 + 0.15 * (b % 5)));
    const auto y =
        render(params_from_logits(random_logits(uint64_t(500 + b))), VoiceSpec{n, sr, 9});
    pb.targets[b].assign(y.begin(), y.end());
    pb.instances.push_back({&pb.targets[b], sr, uint64_t(b)});
    const auto z = random_logits(uint64_t(900 + b));
    pb.logits.insert(pb.logits.end(), z.begin(), z.end());
  }
  return pb;
}

// The same loss and gradients in double at the same (float) parameters: the
// yardstick for float gradients. A float MRSTFT gradient carries the float
// FFT's rounding: in bins just above the magnitude clamp, where the rounding
// is as large as the bin, the log-magnitude term's 1/|X| makes that noise the
// largest part of dL/daudio. On sounds longer than the largest FFT it moves
// the CPU's own float gradient 2-6% (of its largest component) away from
// double's, so no float implementation can agree with another to 1e-3 there.
// Which bins that noise hits differs between any two float implementations,
// so per instance either one can be the worse (on the H100, seed preset, B = 7:
// one instance GPU 6e-3 and CPU 1.4e-4 from double, another GPU 1.7e-4 and
// CPU 5e-2). The gradients are therefore held, over each batch, to the issue's
// 1e-3 against this reference, or to twice the CPU float gradient's own worst
// distance from it where that is larger.
struct DoubleReference {
  double loss = 0;
  std::vector<double> v_audio, v_params, v_logits;
};
DoubleReference double_reference(const std::vector<float>& z, const std::vector<float>& target,
                                 const Instance& in, const LossSettings& settings,
                                 const std::vector<float>* v_audio_given = nullptr) {
  const std::vector<double> zd(z.begin(), z.end());
  const std::vector<float> pf = params_from_logits(z);
  const std::vector<double> p(pf.begin(), pf.end());
  const VoiceSpec spec{int(target.size()), in.sample_rate, in.noise_seed};
  VoiceTape<double> tape;
  render_voice(p.data(), spec, tape);
  MrstftLoss<double> L(settings, in.sample_rate, std::vector<double>(target.begin(), target.end()));
  DoubleReference r;
  r.loss = L.loss_and_gradient(tape.out, r.v_audio);
  std::vector<double> v = r.v_audio;
  if (v_audio_given) v.assign(v_audio_given->begin(), v_audio_given->end());
  r.v_params.assign(kNumParams, 0.0);
  render_voice_vjp(p.data(), spec, tape, v.data(), r.v_params.data());
  r.v_logits = params_from_logits_vjp(zd, p, r.v_params);
  return r;
}
DoubleReference double_reference(const std::vector<float>& z, const std::vector<float>& target,
                                 const Instance& in, const char* preset,
                                 const std::vector<float>* v_audio_given = nullptr) {
  return double_reference(z, target, in, named_loss(preset), v_audio_given);
}

// Largest |a - ref| relative to the largest |ref| (NaN or inf anywhere: inf).
template <typename A, typename R>
double rel_to_ref(const A* a, const R* ref, size_t n) {
  double d = 0, scale = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(double(a[i])) || !std::isfinite(double(ref[i]))) return INFINITY;
    d = std::max(d, std::abs(double(a[i]) - ref[i]));
    scale = std::max(scale, std::abs(double(ref[i])));
  }
  return scale > 0 ? d / scale : d;
}
double gradient_bound(double cpu_err) { return std::max(1e-3, 2 * cpu_err); }

// The CPU's float dL/dlogits of one instance (render, loss, adjoint in float,
// as the CPU backend runs them), with its rendered audio first moved by one
// float ulp per sample, up or down at random (perturb_seed > 0): a change of
// the size any other float implementation's rounding makes.
std::vector<float> cpu_float_gradient(const std::vector<float>& z, const std::vector<float>& target,
                                      const Instance& in, const char* preset,
                                      unsigned perturb_seed) {
  const std::vector<float> p = params_from_logits(z);
  const VoiceSpec spec{int(target.size()), in.sample_rate, in.noise_seed};
  VoiceTape<float> tape;
  render_voice(p.data(), spec, tape);
  if (perturb_seed) {
    std::mt19937 rng(perturb_seed);
    for (float& v : tape.out) v = std::nextafter(v, (rng() & 1) ? INFINITY : -INFINITY);
  }
  MrstftLoss<float> loss(named_loss(preset), in.sample_rate, target);
  std::vector<float> v_audio, v_p(kNumParams, 0.0f);
  loss.loss_and_gradient(tape.out, v_audio);
  render_voice_vjp(p.data(), spec, tape, v_audio.data(), v_p.data());
  return params_from_logits_vjp(z, p, v_p);
}

// How far float computations of this instance's gradient land from double:
// the worst of the CPU's as rendered and three with its audio moved by an
// ulp. Which bins the float FFT's rounding hits near the magnitude clamp
// differs between any two float computations, so this, not the CPU's one
// error, is the instance's float spread that another float implementation
// (the GPU) is held to (twice, as gradient_bound).
double float_spread(const std::vector<float>& z, const std::vector<float>& target,
                    const Instance& in, const char* preset,
                    const std::vector<double>& ref_v_logits) {
  double worst = 0;
  for (unsigned seed : {0u, 1u, 2u, 3u}) {
    const std::vector<float> g = cpu_float_gradient(z, target, in, preset, seed);
    worst = std::max(worst, rel_to_ref(g.data(), ref_v_logits.data(), kNumParams));
  }
  return worst;
}

// The whole backend: loss (relative 1e-4 of the CPU backend's) and dL/dlogits
// against the double reference, every instance on its own: within 1e-3, or
// within twice its float spread (float_spread: measured on the CPU, the worst
// of four float computations of the same instance) where that is larger; for
// B = 1, 7 and 64, every preset, with either kernels (v1: one thread per
// sound, the cuFFT chain; v2: scans, and the fused spectral kernels where the
// build has them). On the CPU the spread of an instance was up to 27x its
// as-rendered error (seed preset, B = 7: 1.9e-4 as rendered, 5.1e-3 with the
// audio an ulp away), which is why one CPU error is not the yardstick.
TEST(CudaParity, LossAndGradientMatchCpuBackend) {
  REQUIRE_GPU();
#if DRUMSYNTH_HAVE_CUDA
  std::printf("  v2's loss: %s\n", cuda::fused_spectral_built()
                                       ? "fused spectral kernels (cuFFTDx)"
                                       : "cuFFT chain (built without cuFFTDx)");
  for (const std::string& preset_name : loss_preset_names()) {
    const char* preset = preset_name.c_str();
    for (int B : parity_batch_sizes()) {
      ParityBatch pb = parity_batch(B);
      auto cpu = make_cpu_backend(pb.instances, named_loss(preset), 2);
      std::vector<float> lc(static_cast<size_t>(B)), gc(pb.logits.size());
      cpu->loss_and_gradient(pb.logits.data(), lc.data(), gc.data());
      std::vector<DoubleReference> refs;
      std::vector<double> spread;
      for (int b = 0; b < B; ++b) {
        ASSERT_TRUE(std::isfinite(lc[b]) && lc[b] > 0)
            << "CPU loss of instance " << b << ": " << lc[b];
        refs.push_back(
            double_reference(pb.instance_logits(b), pb.targets[b], pb.instances[b], preset));
        spread.push_back(float_spread(pb.instance_logits(b), pb.targets[b], pb.instances[b], preset,
                                      refs.back().v_logits));
      }
      for (const char* kernels : {"v1", "v2"}) {
        auto gpu = make_backend(test::plan_now(Device::cuda, named_kernels(kernels)), pb.instances,
                                named_loss(preset), 1);
        std::vector<float> lg(lc.size()), gg(gc.size());
        gpu->loss_and_gradient(pb.logits.data(), lg.data(), gg.data());
        double worst_loss = 0, worst_share = 0, worst_gpu = 0, worst_spread = 0;
        for (int b = 0; b < B; ++b) {
          const double loss_err =
              std::isfinite(lg[b]) ? std::abs(double(lc[b]) - lg[b]) / lc[b] : INFINITY;
          const double e_gpu =
              rel_to_ref(gg.data() + b * kNumParams, refs[b].v_logits.data(), kNumParams);
          EXPECT_LT(loss_err, 1e-4)
              << kernels << " " << preset << " B = " << B << " instance " << b;
          EXPECT_LT(e_gpu, gradient_bound(spread[b]))
              << kernels << " " << preset << " B = " << B << " instance " << b << ": float spread "
              << spread[b];
          worst_loss = std::max(worst_loss, loss_err), worst_gpu = std::max(worst_gpu, e_gpu);
          worst_spread = std::max(worst_spread, spread[b]);
          worst_share = std::max(worst_share, e_gpu / gradient_bound(spread[b]));
        }
        std::printf(
            "  kernels %s, %s B = %d: loss rel err %.2e (%.0f%% of 1e-4); dL/dlogits vs double: "
            "GPU worst "
            "%.2e, CPU float spread worst %.2e; the closest instance at %.0f%% of its bound\n",
            kernels, preset, B, worst_loss, worst_loss / 1e-4 * 100, worst_gpu, worst_spread,
            worst_share * 100);
      }
    }
  }
#endif
}

// At scale: B = 1024 sounds of 1.0 s at 48 kHz (the benchmark's batch) and
// B = 8 of 10 s, `seed` preset, either kernels; the GPU computes the whole
// batch, and a sample of its instances (every 64th; two of the 10 s ones) is
// checked as LossAndGradientMatchCpuBackend checks every instance. The targets
// are 16 rendered presets shared round-robin (the CPU's rendering of 1024
// would take longer than the check), the starting logits all different.
// Skipped under DRUMSYNTH_PARITY_QUICK (compute-sanitizer).
TEST(CudaParity, LargeBatchesAndLongSoundsMatchOnSampledInstances) {
  REQUIRE_GPU();
#if DRUMSYNTH_HAVE_CUDA
  if (parity_batch_sizes().size() == 1)
    GTEST_SKIP() << "DRUMSYNTH_PARITY_QUICK: large batches left out";
  const char* preset = "seed";
  struct Scale {
    int B;
    double seconds;
    int every;
  };
  for (const Scale sc : {Scale{1024, 1.0, 64}, Scale{8, 10.0, 4}}) {
    const double sr = 48000;
    const int n = int(sr * sc.seconds), distinct = std::min(sc.B, 16);
    std::vector<std::vector<float>> targets(static_cast<size_t>(distinct));
    for (int t = 0; t < distinct; ++t) {
      const auto y =
          render(params_from_logits(random_logits(uint64_t(700 + t))), VoiceSpec{n, sr, 9});
      targets[size_t(t)].assign(y.begin(), y.end());
    }
    std::vector<Instance> instances;
    std::vector<float> logits;
    for (int b = 0; b < sc.B; ++b) {
      instances.push_back({&targets[size_t(b % distinct)], sr, uint64_t(b)});
      const auto z = random_logits(uint64_t(3000 + b));
      logits.insert(logits.end(), z.begin(), z.end());
    }
    std::vector<int> sampled;
    for (int b = 0; b < sc.B; b += sc.every) sampled.push_back(b);
    std::vector<Instance> cpu_instances;
    std::vector<float> cpu_logits;
    for (int b : sampled) {
      cpu_instances.push_back(instances[size_t(b)]);
      cpu_logits.insert(cpu_logits.end(), logits.begin() + b * kNumParams,
                        logits.begin() + (b + 1) * kNumParams);
    }
    auto cpu = make_cpu_backend(cpu_instances, named_loss(preset), 2);
    std::vector<float> lc(sampled.size()), gc(cpu_logits.size());
    cpu->loss_and_gradient(cpu_logits.data(), lc.data(), gc.data());
    std::vector<DoubleReference> refs;
    std::vector<double> spread;
    for (size_t i = 0; i < sampled.size(); ++i) {
      const std::vector<float> z(cpu_logits.begin() + i * kNumParams,
                                 cpu_logits.begin() + (i + 1) * kNumParams);
      refs.push_back(double_reference(z, *cpu_instances[i].target, cpu_instances[i], preset));
      spread.push_back(float_spread(z, *cpu_instances[i].target, cpu_instances[i], preset,
                                    refs.back().v_logits));
    }
    for (const char* kernels : {"v1", "v2"}) {
      auto gpu = make_backend(test::plan_now(Device::cuda, named_kernels(kernels)), instances,
                              named_loss(preset), 1);
      std::vector<float> lg(size_t(sc.B)), gg(logits.size());
      gpu->loss_and_gradient(logits.data(), lg.data(), gg.data());
      double worst_loss = 0, worst_share = 0;
      for (size_t i = 0; i < sampled.size(); ++i) {
        const int b = sampled[i];
        const double loss_err = std::abs(double(lc[i]) - lg[size_t(b)]) / lc[i];
        const double e_gpu =
            rel_to_ref(gg.data() + size_t(b) * kNumParams, refs[i].v_logits.data(), kNumParams);
        EXPECT_LT(loss_err, 1e-4) << kernels << " B = " << sc.B << " instance " << b;
        EXPECT_LT(e_gpu, gradient_bound(spread[i]))
            << kernels << " B = " << sc.B << " instance " << b;
        worst_loss = std::max(worst_loss, loss_err);
        worst_share = std::max(worst_share, e_gpu / gradient_bound(spread[i]));
      }
      for (int b = 0; b < sc.B; ++b)
        EXPECT_TRUE(std::isfinite(lg[size_t(b)])) << kernels << " instance " << b;
      std::printf(
          "  kernels %s, %s, B = %d x %.1f s, %zu instances checked: loss rel err %.2e; closest "
          "gradient "
          "at %.0f%% of its bound\n",
          kernels, preset, sc.B, sc.seconds, sampled.size(), worst_loss, worst_share * 100);
    }
  }
#endif
}

// The float spread starts from what the CPU backend computes: the helper's
// as-rendered gradient is the backend's, bit for bit (so the spread measures
// the CPU's float path, not another one).
TEST(CudaParity, FloatSpreadStartsFromTheCpuBackendsGradient) {
  for (const std::string& preset : loss_preset_names()) {
    ParityBatch pb = parity_batch(7);
    auto cpu = make_cpu_backend(pb.instances, named_loss(preset), 2);
    std::vector<float> loss(7), grad(pb.logits.size());
    cpu->loss_and_gradient(pb.logits.data(), loss.data(), grad.data());
    for (int b = 0; b < 7; ++b) {
      const std::vector<float> g = cpu_float_gradient(pb.instance_logits(b), pb.targets[b],
                                                      pb.instances[b], preset.c_str(), 0);
      EXPECT_EQ(std::memcmp(g.data(), grad.data() + b * kNumParams, kNumParams * sizeof(float)), 0)
          << preset << " instance " << b;
      const std::vector<float> moved = cpu_float_gradient(pb.instance_logits(b), pb.targets[b],
                                                          pb.instances[b], preset.c_str(), 1);
      EXPECT_NE(std::memcmp(moved.data(), g.data(), kNumParams * sizeof(float)), 0)
          << preset << " instance " << b << ": an ulp's change of the audio changed nothing";
    }
  }
}

// Per instance, where float is accurate: spectral convergence alone (with each
// preset's RMS term and pre-filter), whose gradient -(|Y| - |X|) / (||Y||
// ||Y| - |X|||) has no 1/|X| to blow up the float FFT's rounding in bins near
// the clamp. Every instance's dL/dlogits within 1e-3 (relative to its largest
// component) of the double reference: the CPU float backend's first (this
// part runs without a GPU too: it shows the bound is one float can meet),
// then the GPU's with either kernels, B = 1, 7, 64.
TEST(CudaParity, EveryInstanceMatchesWhereFloatIsAccurate) {
  for (const std::string& preset : loss_preset_names()) {
    LossSettings sc_alone = named_loss(preset);
    sc_alone.w_log_mag = 0, sc_alone.w_band_log = 0;
    ParityBatch pb = parity_batch(7);
    auto cpu = make_cpu_backend(pb.instances, sc_alone, 2);
    std::vector<float> loss(7), grad(pb.logits.size());
    cpu->loss_and_gradient(pb.logits.data(), loss.data(), grad.data());
    double worst = 0;
    for (int b = 0; b < 7; ++b) {
      const DoubleReference ref =
          double_reference(pb.instance_logits(b), pb.targets[b], pb.instances[b], sc_alone);
      const double e = rel_to_ref(grad.data() + b * kNumParams, ref.v_logits.data(), kNumParams);
      EXPECT_LT(e, 1e-3) << "CPU float, " << preset << ", instance " << b;
      worst = std::max(worst, e);
    }
    std::printf("  spectral convergence alone, %s: CPU float worst instance %.1e of 1e-3\n",
                preset.c_str(), worst);
  }
  REQUIRE_GPU();
#if DRUMSYNTH_HAVE_CUDA
  const std::vector<ParityVariant> variants = parity_variants();
  if (variants.empty()) GTEST_FAIL() << "DRUMSYNTH_PARITY_VARIANTS names no variant";
  for (const std::string& preset : loss_preset_names()) {
    LossSettings sc_alone = named_loss(preset);
    sc_alone.w_log_mag = 0, sc_alone.w_band_log = 0;
    for (int B : parity_batch_sizes()) {
      ParityBatch pb = parity_batch(B);
      std::vector<DoubleReference> refs;  // once, for every variant
      for (int b = 0; b < B; ++b)
        refs.push_back(
            double_reference(pb.instance_logits(b), pb.targets[b], pb.instances[b], sc_alone));
      for (const ParityVariant& variant : variants) {
        if (variant.switch_name) setenv(variant.switch_name, variant.switch_value, 1);
        auto gpu = make_backend(test::plan_now(Device::cuda, named_kernels(variant.kernels)),
                                pb.instances, sc_alone, 1);
        std::vector<float> loss(static_cast<size_t>(B)), grad(pb.logits.size());
        gpu->loss_and_gradient(pb.logits.data(), loss.data(), grad.data());
        if (variant.switch_name) unsetenv(variant.switch_name);
        double worst = 0;
        for (int b = 0; b < B; ++b) {
          const double e =
              rel_to_ref(grad.data() + b * kNumParams, refs[size_t(b)].v_logits.data(), kNumParams);
          EXPECT_LT(e, 1e-3) << variant.name << " " << preset << " B = " << B << " instance " << b;
          worst = std::max(worst, e);
        }
        std::printf(
            "  kernels %s, spectral convergence alone, %s B = %d: GPU worst instance %.1e of "
            "1e-3\n",
            variant.name.c_str(), preset.c_str(), B, worst);
      }
    }
  }
#endif
}

// Stage by stage, per instance (so a mismatch is located, not only seen):
// parameters, synthesised audio (max abs 1e-4), the loss of the CPU's audio
// (relative 1e-4), its dL/daudio and the synth adjoint of the CPU's dL/daudio
// (against the double reference, over the batch, as above).
TEST(CudaParity, EachStageMatchesCpu) {
  REQUIRE_GPU();
#if DRUMSYNTH_HAVE_CUDA
  const int B = 7;
  for (const char* kernels : {"v1", "v2"})
    for (const std::string& preset_name : loss_preset_names()) {
      const char* preset = preset_name.c_str();
      std::printf("  kernels %s:\n", kernels);
      ParityBatch pb = parity_batch(B);
      std::vector<float> audio, v_audio, v_params, params;
      std::vector<float> loss(static_cast<size_t>(B));
      for (int b = 0; b < B; ++b) {
        const auto p = params_from_logits(pb.instance_logits(b));
        const VoiceSpec spec{int(pb.targets[b].size()), pb.instances[b].sample_rate,
                             pb.instances[b].noise_seed};
        VoiceTape<float> tape;
        render_voice(p.data(), spec, tape);
        MrstftLoss<float> L(named_loss(preset), spec.sample_rate, pb.targets[b]);
        std::vector<float> va;
        loss[b] = L.loss_and_gradient(tape.out, va);
        std::vector<float> vp(kNumParams, 0.0f);
        render_voice_vjp(p.data(), spec, tape, va.data(), vp.data());
        params.insert(params.end(), p.begin(), p.end());
        audio.insert(audio.end(), tape.out.begin(), tape.out.end());
        v_audio.insert(v_audio.end(), va.begin(), va.end());
        v_params.insert(v_params.end(), vp.begin(), vp.end());
      }
      auto gpu = make_backend(test::plan_now(Device::cuda, named_kernels(kernels)), pb.instances,
                              named_loss(preset), 1);
      const cuda::BackendTrace t = cuda::trace_cuda_backend(*gpu, pb.logits, audio, v_audio);
      size_t o = 0;
      double worst_v_audio[2] = {0, 0}, worst_v_params[2] = {0, 0};  // GPU, CPU
      for (int b = 0; b < B; ++b) {
        const size_t n = pb.targets[b].size(), P = kNumParams;
        const double e_params = rel_to_ref(t.params.data() + b * P, params.data() + b * P, P);
        double e_audio = 0;
        for (size_t i = 0; i < n; ++i)
          e_audio = std::max(e_audio, double(std::abs(audio[o + i] - t.audio[o + i])));
        const double e_loss =
            std::isfinite(t.loss[b]) ? std::abs(double(loss[b]) - t.loss[b]) / loss[b] : INFINITY;
        const std::vector<float> va(v_audio.begin() + o, v_audio.begin() + o + n);
        const DoubleReference ref =
            double_reference(pb.instance_logits(b), pb.targets[b], pb.instances[b], preset, &va);
        const double e_v_audio = rel_to_ref(t.v_audio.data() + o, ref.v_audio.data(), n);
        const double e_v_audio_cpu = rel_to_ref(v_audio.data() + o, ref.v_audio.data(), n);
        const double e_v_params = rel_to_ref(t.v_params.data() + b * P, ref.v_params.data(), P);
        const double e_v_params_cpu = rel_to_ref(v_params.data() + b * P, ref.v_params.data(), P);
        int worst_k = 0;
        for (int k = 0; k < kNumParams; ++k)
          if (std::abs(v_params[b * P + k] - t.v_params[b * P + k]) >
              std::abs(v_params[b * P + worst_k] - t.v_params[b * P + worst_k]))
            worst_k = k;
        std::printf(
            "  %s b=%d (%zu samples at %.0f Hz): params %.1e audio %.1e | loss %.6g vs %.6g rel "
            "%.1e"
            " | vs double: dL/daudio GPU %.1e CPU %.1e | dL/dparams GPU %.1e CPU %.1e (worst %s: "
            "%.4g vs %.4g)\n",
            preset, b, n, pb.instances[b].sample_rate, e_params, e_audio, loss[b], t.loss[b],
            e_loss, e_v_audio, e_v_audio_cpu, e_v_params, e_v_params_cpu,
            param_table()[worst_k].name.c_str(), v_params[b * P + worst_k],
            t.v_params[b * P + worst_k]);
        EXPECT_LT(e_params, 1e-6) << preset << " instance " << b;
        EXPECT_LT(e_audio, 1e-4) << preset << " instance " << b;
        EXPECT_LT(e_loss, 1e-4) << preset << " instance " << b;
        worst_v_audio[0] = std::max(worst_v_audio[0], e_v_audio);
        worst_v_audio[1] = std::max(worst_v_audio[1], e_v_audio_cpu);
        worst_v_params[0] = std::max(worst_v_params[0], e_v_params);
        worst_v_params[1] = std::max(worst_v_params[1], e_v_params_cpu);
        o += n;
      }
      std::printf(
          "  %s worst over the batch, vs double: dL/daudio GPU %.1e CPU %.1e, dL/dparams GPU %.1e "
          "CPU %.1e\n",
          preset, worst_v_audio[0], worst_v_audio[1], worst_v_params[0], worst_v_params[1]);
      EXPECT_LT(worst_v_audio[0], gradient_bound(worst_v_audio[1])) << preset;
      EXPECT_LT(worst_v_params[0], gradient_bound(worst_v_params[1])) << preset;
    }
#endif
}

// The optimiser on the device (DRUMSYNTH_DEVICE_OPTIMIZER=1) against the host
// loop over the same GPU gradients: the same shared step, so the same fit up to
// the last bits of the device's double pow and the float atomics' order.
// Over 10 iterations the loss histories agree to 1e-3 relative (bound: the
// fits are chaotic, and the GPU adjoint's atomics already make two GPU runs
// differ in the last bits; not yet measured on a GPU).
TEST(CudaParity, DeviceOptimizerMatchesTheHostLoop) {
  REQUIRE_GPU();
#if DRUMSYNTH_HAVE_CUDA
  const int B = 7;
  ParityBatch pb = parity_batch(B);
  FitOptions o;
  o.iterations = 10;
  const OptimizerConfig config = optimizer_config(o);
  auto host_side =
      make_backend(test::plan_now(Device::cuda), pb.instances, loss_preset(LossPreset::auraloss));
  auto device_side =
      make_backend(test::plan_now(Device::cuda), pb.instances, loss_preset(LossPreset::auraloss));
  const auto on_host = optimize_on_host(*host_side, pb.logits, config, {});
  const auto on_device = cuda::optimize_on_device(*device_side, pb.logits, config, {});
  double worst = 0;
  for (int b = 0; b < B; ++b) {
    ASSERT_EQ(on_device[b].loss_history.size(), 10u);
    for (int it = 0; it < 10; ++it)
      worst =
          std::max(worst, std::abs(on_host[b].loss_history[it] - on_device[b].loss_history[it]) /
                              on_host[b].loss_history[it]);
    EXPECT_EQ(on_host[b].best_iteration, on_device[b].best_iteration) << "instance " << b;
  }
  std::printf(
      "  device vs host optimiser, 10 iterations, B = 7: loss rel diff %.2e (%.0f%% of 1e-3)\n",
      worst, worst / 1e-3 * 100);
  EXPECT_LT(worst, 1e-3);
#endif
}

// The v2 kernels add every sum in a fixed order (scans, the fused spectral
// kernels, the parameter gradients' block sums, the target's norms), so two
// backends over the same batch give the same loss and gradient bit for bit,
// and so do two fits (the optimiser on the device, 20 iterations).
TEST(CudaParity, V2KernelsRepeatBitForBit) {
  REQUIRE_GPU();
#if DRUMSYNTH_HAVE_CUDA
  if (!cuda::fused_spectral_built())
    GTEST_SKIP() << "built without cuFFTDx: v2's loss is the cuFFT chain (atomics)";
  const int B = 7;
  ParityBatch pb = parity_batch(B);
  for (const std::string& preset : loss_preset_names()) {
    std::vector<float> loss[2], grad[2];
    for (int run = 0; run < 2; ++run) {
      auto gpu = make_backend(test::plan_now(Device::cuda, Kernels::v2), pb.instances,
                              named_loss(preset), 1);
      loss[run].resize(size_t(B)), grad[run].resize(pb.logits.size());
      gpu->loss_and_gradient(pb.logits.data(), loss[run].data(), grad[run].data());
    }
    EXPECT_EQ(std::memcmp(loss[0].data(), loss[1].data(), loss[0].size() * sizeof(float)), 0)
        << preset;
    EXPECT_EQ(std::memcmp(grad[0].data(), grad[1].data(), grad[0].size() * sizeof(float)), 0)
        << preset;
  }
  FitOptions o;
  o.iterations = 20;
  const OptimizerConfig config = optimizer_config(o);
  std::vector<InstanceFit> fits[2];
  for (int run = 0; run < 2; ++run) {
    auto gpu = make_backend(test::plan_now(Device::cuda, Kernels::v2), pb.instances,
                            loss_preset(kDefaultFitLoss), 1);
    fits[run] = cuda::optimize_on_device(*gpu, pb.logits, config, {});
  }
  for (int b = 0; b < B; ++b) {
    EXPECT_EQ(fits[0][b].loss_history, fits[1][b].loss_history) << "instance " << b;
    EXPECT_EQ(fits[0][b].best_logits, fits[1][b].best_logits) << "instance " << b;
  }
#endif
}

// The device loop replays its first iteration as a CUDA graph: the same
// kernels with the same arguments (the iteration number read on the device),
// so a fit with the graph equals one without it bit for bit (v2 sums in a
// fixed order), and the graph is what ran.
TEST(CudaParity, DeviceLoopGraphRepeatsTheLaunchesBitForBit) {
  REQUIRE_GPU();
#if DRUMSYNTH_HAVE_CUDA
  if (!cuda::fused_spectral_built())
    GTEST_SKIP() << "built without cuFFTDx: the cuFFT chain is not captured";
  const int B = 7;
  ParityBatch pb = parity_batch(B);
  FitOptions o;
  o.iterations = 20;
  const OptimizerConfig config = optimizer_config(o);
  std::vector<InstanceFit> fits[2];
  std::string path[2];
  for (int graph = 0; graph < 2; ++graph) {
    if (graph == 0) setenv("DRUMSYNTH_CUDA_GRAPH", "0", 1);
    auto gpu = make_backend(test::plan_now(Device::cuda, Kernels::v2), pb.instances,
                            loss_preset(kDefaultFitLoss), 1);
    fits[graph] = cuda::optimize_on_device(*gpu, pb.logits, config, {});
    path[graph] = cuda::device_loop_path(*gpu);
    unsetenv("DRUMSYNTH_CUDA_GRAPH");
  }
  std::printf("  device loop: %s, then %s\n", path[0].c_str(), path[1].c_str());
  EXPECT_EQ(path[1], "CUDA graph");
  for (int b = 0; b < B; ++b) {
    EXPECT_EQ(fits[0][b].loss_history, fits[1][b].loss_history) << "instance " << b;
    EXPECT_EQ(fits[0][b].best_logits, fits[1][b].best_logits) << "instance " << b;
    EXPECT_EQ(fits[0][b].best_iteration, fits[1][b].best_iteration) << "instance " << b;
  }
#endif
}

}  // namespace
}  // namespace drumsynth
