// How the fitting engine cuts a list of sounds into CUDA backend batches
// (gpu_groups.hpp): every sound lands in exactly one batch, in order, and
// no batch passes the grid's 65,535 instances, the kernels' 32-bit offsets or
// its memory budget. Pure host arithmetic, checked here without a GPU; the
// memory estimate is checked against a real allocation when a GPU is usable.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "drumsynth/backend.hpp"
#include "drumsynth/fit.hpp"
#include "fit/gpu_groups.hpp"
#include "named_choices.hpp"
#include "test_support.hpp"

namespace drumsynth {
namespace {

// The groups tile [0, n) in order; each within the limits unless it is a lone
// sound marked as not fitting.
void expect_valid_plan(const std::vector<GpuGroup>& groups, const std::vector<int>& lengths,
                       int restarts, int max_sounds, const LossSettings& loss, int iterations,
                       const GpuGroupLimits& limits) {
  size_t next = 0;
  for (const GpuGroup& g : groups) {
    ASSERT_EQ(g.first, next);
    ASSERT_GT(g.last, g.first);
    next = g.last;
    if (!g.fits) {
      EXPECT_EQ(g.last - g.first, 1u);
      continue;
    }
    EXPECT_LE(g.last - g.first, size_t(max_sounds));
    size_t instances = 0, flat = 0, bytes = 0;
    for (size_t s = g.first; s < g.last; ++s) {
      instances += size_t(restarts);
      flat += size_t(restarts) * gpu_instance_flat_elements(lengths[s], loss);
      bytes += size_t(restarts) * gpu_instance_bytes(lengths[s], loss, iterations);
    }
    EXPECT_LE(instances, limits.max_instances);
    EXPECT_LE(flat, limits.max_flat_elements);
    if (limits.memory_bytes) EXPECT_LE(bytes, limits.memory_bytes);
    EXPECT_EQ(bytes, g.bytes);
  }
  EXPECT_EQ(next, lengths.size());
}

TEST(GpuGroups, CapsEachBatchAtTheRequestedNumberOfSounds) {
  const auto loss = loss_preset(LossPreset::auraloss);
  const std::vector<int> lengths(10, 48000);
  const auto groups = plan_gpu_groups(lengths, 1, 4, loss, 100, {});
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].last, 4u);
  EXPECT_EQ(groups[1].last, 8u);
  EXPECT_EQ(groups[2].last, 10u);
  expect_valid_plan(groups, lengths, 1, 4, loss, 100, {});
}

// More instances than one grid holds: 70,000 short sounds, and with 3
// restarts each, no batch passes gridDim.y's 65,535.
TEST(GpuGroups, NoBatchPassesTheGridsInstanceLimit) {
  const auto loss = loss_preset(LossPreset::auraloss);
  const std::vector<int> lengths(70000, 2000);
  for (int restarts : {1, 3}) {
    const auto groups = plan_gpu_groups(lengths, restarts, 1 << 30, loss, 10, {});
    EXPECT_EQ(groups.size(), restarts == 1 ? 2u : 4u) << restarts << " restarts";
    EXPECT_EQ(groups[0].last, size_t(65535 / restarts));
    expect_valid_plan(groups, lengths, restarts, 1 << 30, loss, 10, {});
  }
}

// 10 s sounds at 48 kHz under the `seed` loss: its FFT-32 frames (hop 8) hold
// four values per sample, 1.9 million per sound, so about 1,100 sounds fill
// the 32-bit offsets of the frame array.
TEST(GpuGroups, NoBatchPassesThirtyTwoBitOffsets) {
  const auto loss = loss_preset(LossPreset::seed);
  const std::vector<int> lengths(3000, 480000);
  const size_t per_sound = gpu_instance_flat_elements(480000, loss);
  EXPECT_GE(per_sound, size_t(480000 / 8 * 32));
  const auto groups = plan_gpu_groups(lengths, 1, 1 << 30, loss, 10, {});
  EXPECT_EQ(groups.size(), (3000 + 2147483647 / per_sound - 1) / (2147483647 / per_sound));
  expect_valid_plan(groups, lengths, 1, 1 << 30, loss, 10, {});
}

// A memory budget: batches stay under it; a sound that alone needs more is
// set apart (fits = false) and the sounds after it are still planned.
TEST(GpuGroups, BatchesFitTheMemoryBudgetAndAnOversizedSoundIsSetApart) {
  const auto loss = loss_preset(LossPreset::seed);
  std::vector<int> lengths(40, 48000);
  lengths[17] = 48000 * 60;  // a minute-long sound
  GpuGroupLimits limits;
  limits.memory_bytes = 12 * gpu_instance_bytes(48000, loss, 1000) + 100;
  ASSERT_GT(gpu_instance_bytes(lengths[17], loss, 1000), limits.memory_bytes);
  const auto groups = plan_gpu_groups(lengths, 1, 256, loss, 1000, limits);
  expect_valid_plan(groups, lengths, 1, 256, loss, 1000, limits);
  int set_apart = 0;
  for (const auto& g : groups)
    if (!g.fits) {
      ++set_apart;
      EXPECT_EQ(g.first, 17u);
    }
  EXPECT_EQ(set_apart, 1);
  EXPECT_EQ(groups.size(), 5u);  // 12 + 5 | the long one | 12 + 10
}

TEST(GpuGroups, MemoryEstimateGrowsWithLengthIterationsAndRestarts) {
  const auto loss = loss_preset(LossPreset::seed);
  EXPECT_LT(gpu_instance_bytes(48000, loss, 100), gpu_instance_bytes(96000, loss, 100));
  EXPECT_LT(gpu_instance_bytes(48000, loss, 100), gpu_instance_bytes(48000, loss, 10000));
  // At least every per-sample float buffer, 4 bytes each.
  EXPECT_GE(gpu_instance_bytes(48000, loss, 0), size_t(20 * 4 * 48000));
  const std::vector<int> one{48000};
  EXPECT_EQ(plan_gpu_groups(one, 4, 1, loss, 100, {})[0].bytes,
            4 * gpu_instance_bytes(48000, loss, 100));
}

// On a GPU: the estimate bounds what a backend really allocates (and is not
// wildly above it), and a fit asked for more sounds than one batch holds fits
// them all, batch after batch.
class GpuGroupsOnDevice : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!cuda_usable(&why)) GTEST_SKIP() << "no usable GPU: " << why;
  }
};

TEST_F(GpuGroupsOnDevice, EstimateBoundsTheBackendsAllocation) {
  const auto loss = loss_preset(LossPreset::seed);
  const std::vector<float> target = test::decaying_tone(48000, 48000.0);
  std::vector<Instance> instances(64, Instance{&target, 48000.0, 1});
  const size_t before = cuda_bytes_in_use();
  auto backend = make_backend(test::plan_now(Device::cuda), instances, loss);
  const size_t used = cuda_bytes_in_use() - before;
  const size_t estimate = 64 * gpu_instance_bytes(48000, loss, 0);
  EXPECT_LE(used, estimate + (size_t(64) << 20))
      << "measured " << used << " B, estimated " << estimate;
  EXPECT_LE(estimate, 3 * used) << "measured " << used << " B, estimated " << estimate;
}

TEST_F(GpuGroupsOnDevice, FitsMoreSoundsThanOneBatchHolds) {
  std::vector<Sound> sounds;
  for (int i = 0; i < 7; ++i)
    sounds.push_back({"tone" + std::to_string(i), 16000.0, 1,
                      test::decaying_tone(8000, 16000.0, 150.0 + 40 * i)});
  std::vector<const Sound*> ptrs;
  for (const auto& s : sounds) ptrs.push_back(&s);
  FitOptions o;
  o.device = DeviceChoice::cuda;
  o.iterations = 20;
  o.gpu_memory_bytes = 3 * gpu_instance_bytes(8000, o.loss, o.iterations);  // three sounds a batch
  const auto fits = fit_sounds(ptrs, o);
  ASSERT_EQ(fits.size(), 7u);
  for (const auto& f : fits) {
    ASSERT_FALSE(f.error);
    EXPECT_TRUE(std::isfinite(f.result.best_loss));
    EXPECT_LT(f.result.best_loss, f.result.initial_loss);
  }
}

}  // namespace
}  // namespace drumsynth
