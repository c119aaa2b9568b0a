// How long the fused spectral kernel's runs are (fused_stft.hpp), per
// resolution and batch: host code, checked on the CPU against an SM modelled
// as the occupancy calculator sees it (tests/spectral/test_fused_stft.cpp), run by the
// CUDA loss with the device's own occupancy (kernels/mrstft_loss.cu).
//
// A run computes its own R frames and the halo frames before them again (their
// overlap-add reaches its positions), in groups of the block's `ffts` frames.
// Its block's shared memory grows with R (both gradient parts of R hop
// positions), and costs nothing while an SM holds as many blocks; the halo is
// FFT work done twice, most of the work at the largest FFTs: with runs of one
// frame, a 16384-point FFT with a hop of 4096 transforms 4 frames for each of
// its own. So the plan takes the longest runs that keep the fixed plan's
// blocks an SM, and of those the one whose blocks transform the fewest frame
// slots over the batch.
#pragma once

#include <vector>

#include "drumsynth/spectral/fused_stft.hpp"

namespace drumsynth {

// One resolution's runs over a batch at a run length: the FFT slots its
// blocks transform (whole groups of ffts frames, idle slots included), and
// its blocks.
struct FusedRunCost {
  long long slots = 0;
  long long blocks = 0;
};

// padded_len, n_frames: each sound's (stft_padded_length, stft_frame_count).
inline FusedRunCost fused_run_cost(const StftResolution& r, int ffts, int frames_per_run,
                                   const std::vector<int>& padded_len,
                                   const std::vector<int>& n_frames) {
  FusedRunCost cost;
  for (size_t b = 0; b < padded_len.size(); ++b) {
    const int runs = stft_run_count(padded_len[b], r, frames_per_run);
    cost.blocks += runs;
    for (int j = 0; j < runs; ++j) {
      const StftRun run = stft_run(j, frames_per_run, r, n_frames[b], padded_len[b]);
      cost.slots += (long long)ffts * ((run.end_frame - run.first_frame + ffts - 1) / ffts);
    }
  }
  return cost;
}

// The run length for one resolution and batch. Candidates: the fixed plan's
// (fused_frames_per_run), the lengths that fill whole groups (g ffts - halo),
// and the length of one run for the longest sound (no halo at all). Of
// those with at least min_occupancy blocks an SM (0: the fixed plan's; a
// plan may trade blocks an SM for fewer halo frames) (blocks_per_sm(frames):
// the device's occupancy for that block's shared memory, 0 when it does not
// fit) and, where the fixed plan fills the device once (min_blocks blocks),
// as many, the one with the fewest slots (fused_run_cost); ties go to the
// shorter. Deterministic for a device and batch, so fits repeat bit for bit
// (the runs' partial sums depend on the plan).
template <typename BlocksPerSm>
int fused_planned_frames(const StftResolution& r, int ffts, const std::vector<int>& padded_len,
                         const std::vector<int>& n_frames, long long min_blocks,
                         BlocksPerSm&& blocks_per_sm, int min_occupancy = 0) {
  const int fixed = fused_frames_per_run(r), halo = fused_halo_frames(r);
  const int fixed_occupancy = blocks_per_sm(fixed);
  if (fixed_occupancy <= 0 || padded_len.empty())
    return fixed;  // the caller finds that it does not fit
  const int occupancy =
      min_occupancy > 0 && min_occupancy < fixed_occupancy ? min_occupancy : fixed_occupancy;
  const FusedRunCost base = fused_run_cost(r, ffts, fixed, padded_len, n_frames);
  const long long enough = base.blocks < min_blocks ? base.blocks : min_blocks;
  int longest = 1;  // runs that own every position of the longest sound: one run a sound
  for (int q : padded_len) {
    const int one_run = (stft_padded_positions(q, r) + r.hop - 1) / r.hop;
    longest = one_run > longest ? one_run : longest;
  }
  int best = fixed;
  long long best_slots = base.slots;
  for (int g = 1;; ++g) {
    int frames = g * ffts - halo;
    if (frames < 1) continue;
    if (frames > longest) frames = longest;  // the last candidate
    // Occupancy and blocks only fall as runs grow: nothing longer qualifies.
    if (blocks_per_sm(frames) < occupancy) break;
    const FusedRunCost cost = fused_run_cost(r, ffts, frames, padded_len, n_frames);
    if (cost.blocks < enough) break;
    if (cost.slots < best_slots || (cost.slots == best_slots && frames < best))
      best = frames, best_slots = cost.slots;
    if (frames == longest) break;
  }
  return best;
}

}  // namespace drumsynth
