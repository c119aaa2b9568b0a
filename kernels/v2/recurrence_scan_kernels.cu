// The v2 recurrence kernels (recurrence_scan_kernels.cuh), forward and adjoint
// side by side.
#include <cstdlib>
#include <cub/block/block_reduce.cuh>
#include <cub/block/block_scan.cuh>
#include <cub/warp/warp_reduce.cuh>
#include <cub/warp/warp_scan.cuh>

#include "cuda_common.cuh"
#include "drumsynth/synth/noise_band_scan.hpp"
#include "drumsynth/synth/resonator_scan.hpp"
#include "v2/recurrence_scan_kernels.cuh"

namespace drumsynth::cuda {

namespace {

// CUB scans combine (earlier, later): the step of `first`, then `second`.
struct AffineThen {
  __device__ AffineStep<float> operator()(const AffineStep<float>& first,
                                          const AffineStep<float>& second) const {
    return affine_then(first, second);
  }
};
struct Affine2Then {
  __device__ AffineStep2<float> operator()(const AffineStep2<float>& first,
                                           const AffineStep2<float>& second) const {
    return affine2_then(first, second);
  }
};

constexpr int kScanThreads = 256;  // the noise band: one block per instance, a chunk per thread
constexpr int kScanWarps = 4;      // the resonator: one warp per instance, four per block
constexpr unsigned kFullWarp = 0xffffffffu;

struct InstanceView {
  int o, n;
  const float* p;
  float sr;
};
__device__ InstanceView instance(const BatchView& batch, int b) {
  return {batch.offset[b], batch.offset[b + 1] - batch.offset[b],
          batch.params + size_t(b) * kNumParams, batch.sample_rate[b]};
}

// ---- the noise band ----

// Chunk c of n samples, of kScanThreads chunks: [i0, i1).
__device__ void chunk_range(int c, int n, int& i0, int& i1) {
  const int chunk = (n + kScanThreads - 1) / kScanThreads;
  i0 = min(n, c * chunk), i1 = min(n, i0 + chunk);
}

__global__ void noise_band_scan_kernel(BatchView batch, SynthTape tape) {
  using BlockScan = cub::BlockScan<AffineStep2<float>, kScanThreads>;
  __shared__ typename BlockScan::TempStorage temp;
  const int b = blockIdx.x;
  const InstanceView v = instance(batch, b);
  const float a_low = one_pole_coefficient(v.p[P::noise_low_hz], v.sr);
  const float a_high = one_pole_coefficient(v.p[P::noise_high_hz], v.sr);
  int i0, i1;
  chunk_range(threadIdx.x, v.n, i0, i1);
  const AffineStep2<float> step = noise_band_chunk_step(a_low, a_high, batch.seed[b], i0, i1);
  AffineStep2<float> entry;  // the chunks before this one, applied to rest: the state on entry
  BlockScan(temp).ExclusiveScan(step, entry, affine2_identity<float>(), Affine2Then());
  noise_band_run(a_low, a_high, batch.seed[b], i0, i1, entry.b0, entry.b1, tape.noise_low + v.o,
                 tape.noise_band + v.o);
}

// Thread t takes chunk kScanThreads - 1 - t, so the scan in thread order runs
// the chunks from the end; the cutoffs' gradients are block sums (a fixed
// order: no atomics, the same result every run).
__global__ void noise_band_scan_vjp_kernel(BatchView batch, SynthTape tape, SynthAdjointScratch s,
                                           float* __restrict__ v_params) {  // [B, P]
  using BlockScan = cub::BlockScan<AffineStep2<float>, kScanThreads>;
  using BlockReduce = cub::BlockReduce<float, kScanThreads>;
  __shared__ union {
    typename BlockScan::TempStorage scan;
    typename BlockReduce::TempStorage reduce;
  } temp;
  const int b = blockIdx.x;
  const InstanceView v = instance(batch, b);
  const float a_low = one_pole_coefficient(v.p[P::noise_low_hz], v.sr);
  const float a_high = one_pole_coefficient(v.p[P::noise_high_hz], v.sr);
  int i0, i1;
  chunk_range(kScanThreads - 1 - int(threadIdx.x), v.n, i0, i1);
  const AffineStep2<float> step =
      noise_band_adjoint_chunk_step(a_low, a_high, s.v_band + v.o, i0, i1);
  AffineStep2<float> entry;
  BlockScan(temp.scan).ExclusiveScan(step, entry, affine2_identity<float>(), Affine2Then());
  const auto r = noise_band_run_vjp(a_low, a_high, batch.seed[b], i0, i1, tape.noise_low + v.o,
                                    tape.noise_band + v.o, s.v_band + v.o, entry.b0, entry.b1);
  __syncthreads();  // temp.scan -> temp.reduce
  const float v_a_low = BlockReduce(temp.reduce).Sum(r.v_a_low);
  __syncthreads();
  const float v_a_high = BlockReduce(temp.reduce).Sum(r.v_a_high);
  if (threadIdx.x == 0)
    noise_band_coefficients_vjp(v.p, v.sr, v_a_low, v_a_high, v_params + size_t(b) * kNumParams);
}

// ---- the resonator ----

// Blocks of resonator_blocking(D, lane_samples) samples in order, each lane a
// run of per_lane of them: the lane composes its run's steps (its taps read
// earlier blocks only), the warp scans the compositions (exclusive: each
// lane's entry), and the lane walks its run again from there.
__global__ void resonator_scan_kernel(BatchView batch, SynthTape tape, int lane_samples) {
  using WarpScan = cub::WarpScan<AffineStep<float>>;
  __shared__ typename WarpScan::TempStorage temp[kScanWarps];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int b = blockIdx.x * kScanWarps + warp;
  if (b >= batch.n_instances) return;  // the whole warp
  const InstanceView v = instance(batch, b);
  const auto c = resonator_coefficients(v.p, v.sr);
  const ResonatorBlocking k = resonator_blocking(c.delay_int, lane_samples);
  const float* __restrict__ x = tape.res_in + v.o;
  float* __restrict__ y = tape.res_y + v.o;
  float* __restrict__ h = tape.res_h + v.o;
  float carry = 0.0f;  // h before the block
  for (int i0 = 0; i0 < v.n; i0 += k.block) {
    const int m = min(k.block, v.n - i0), count = resonator_lane_count(k, m, lane),
              first = i0 + lane * k.per_lane;
    float d[kResonatorLaneSamples];  // the run's taps
    AffineStep<float> run = affine_identity<float>();
#pragma unroll
    for (int s = 0; s < kResonatorLaneSamples; ++s) {
      d[s] = s < count ? resonator_tap(y, first + s, c) : 0.0f;
      if (s < count) run = affine_then(run, one_pole_affine_step(c.a, d[s]));
    }
    AffineStep<float> entry;  // the lanes before this one, composed
    WarpScan(temp[warp]).ExclusiveScan(run, entry, affine_identity<float>(), AffineThen());
    float hk = affine_apply(entry, carry);
#pragma unroll
    for (int s = 0; s < kResonatorLaneSamples; ++s)
      if (s < count) {
        hk = affine_apply(one_pole_affine_step(c.a, d[s]), hk);
        h[first + s] = hk, y[first + s] = x[first + s] + c.fb * hk;
      }
    carry = __shfl_sync(kFullWarp, hk, (m - 1) / k.per_lane);  // after the block's last sample
    __syncwarp();  // this block's y before the next block's taps read it
  }
}

// Backwards in blocks; lane k's run is the samples i1 - r for its offsets r
// (from the top down). The taps' scatter into v_y lands D or more back, in
// earlier blocks, gathered to one write a place (resonator_lane_vjp); the
// two shares that meet a neighbour's cross by a shuffle
// (resonator_lane_edges_vjp). resonator_blocked_vjp is the CPU twin.
__global__ void resonator_scan_vjp_kernel(BatchView batch, SynthTape tape, SynthAdjointScratch s,
                                          float* __restrict__ v_params,
                                          int lane_samples) {  // [B, P]
  using WarpScan = cub::WarpScan<AffineStep<float>>;
  using WarpReduce = cub::WarpReduce<float>;
  __shared__ typename WarpScan::TempStorage scan_temp[kScanWarps];
  __shared__ typename WarpReduce::TempStorage reduce_temp[kScanWarps];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int b = blockIdx.x * kScanWarps + warp;
  if (b >= batch.n_instances) return;
  const InstanceView v = instance(batch, b);
  const auto c = resonator_coefficients(v.p, v.sr);
  const float gain = v.p[P::resonator_gain];
  const ResonatorBlocking k = resonator_blocking(c.delay_int, lane_samples);
  const float* __restrict__ y = tape.res_y + v.o;
  const float* __restrict__ h = tape.res_h + v.o;
  const float* __restrict__ v_out = s.v_mix + v.o;
  float* __restrict__ v_y = s.v_res_y + v.o;  // when done, the input's gradient (resonator_vjp)
  for (int i = lane; i < v.n; i += 32) v_y[i] = 0.0f;
  __syncwarp();
  float carry = 0.0f;  // lambda after the block
  ResonatorGrads<float> g{0.0f, 0.0f, 0.0f, 0.0f};
  for (int i0 = ((v.n - 1) / k.block) * k.block; i0 >= 0; i0 -= k.block) {
    const int m = min(k.block, v.n - i0), count = resonator_lane_count(k, m, lane);
    const int top = i0 + m - 1 - lane * k.per_lane;  // the run's samples top, top - 1, ...
    float vy[kResonatorLaneSamples],
        vo[kResonatorLaneSamples];  // complete: their scatters come from later blocks
    AffineStep<float> run = affine_identity<float>();
#pragma unroll
    for (int q = 0; q < kResonatorLaneSamples; ++q) {
      vy[q] = q < count ? v_y[top - q] : 0.0f, vo[q] = q < count ? v_out[top - q] : 0.0f;
      if (q < count) run = affine_then(run, AffineStep<float>{c.a, gain * vo[q] + c.fb * vy[q]});
    }
    AffineStep<float> entry;
    WarpScan(scan_temp[warp]).ExclusiveScan(run, entry, affine_identity<float>(), AffineThen());
    const auto r =
        resonator_lane_vjp(c, gain, y, h, vy, vo, count, top, affine_apply(entry, carry), v_y, g);
    const float from_above =
        __shfl_up_sync(kFullWarp, r.bottom_frac, 1);  // the lane above's bottom sample's
    resonator_lane_edges_vjp(c, lane, i0, top, count, r, from_above, v_y);
    const float lambda = r.lambda;
    carry = __shfl_sync(kFullWarp, lambda,
                        (m - 1) / k.per_lane);  // lambda at the block's bottom sample
    __syncwarp();
  }
  const float sf = WarpReduce(reduce_temp[warp]).Sum(g.v_frac);
  __syncwarp();  // the reduction's storage, reused
  const float sa = WarpReduce(reduce_temp[warp]).Sum(g.v_a);
  __syncwarp();
  const float sb = WarpReduce(reduce_temp[warp]).Sum(g.v_fb);
  __syncwarp();
  const float sg = WarpReduce(reduce_temp[warp]).Sum(g.v_gain);
  if (lane == 0)
    resonator_coefficients_vjp(v.p, v.sr, c, sf, sb, sa, sg, v_params + size_t(b) * kNumParams);
}

int warp_blocks(int n_instances) { return (n_instances + kScanWarps - 1) / kScanWarps; }

}  // namespace

void recurrences_scan_forward(const BatchView& batch, const SynthTape& tape, int lane_samples) {
  noise_band_scan_kernel<<<batch.n_instances, kScanThreads>>>(batch, tape);
  CUDA_CHECK_LAUNCH(noise_band_scan_kernel);
  resonator_scan_kernel<<<warp_blocks(batch.n_instances), 32 * kScanWarps>>>(batch, tape,
                                                                             lane_samples);
  CUDA_CHECK_LAUNCH(resonator_scan_kernel);
}

void recurrences_scan_adjoint(const BatchView& batch, const SynthTape& tape,
                              const SynthAdjointScratch& s, float* v_params, int lane_samples) {
  noise_band_scan_vjp_kernel<<<batch.n_instances, kScanThreads>>>(batch, tape, s, v_params);
  CUDA_CHECK_LAUNCH(noise_band_scan_vjp_kernel);
  resonator_scan_vjp_kernel<<<warp_blocks(batch.n_instances), 32 * kScanWarps>>>(
      batch, tape, s, v_params, lane_samples);
  CUDA_CHECK_LAUNCH(resonator_scan_vjp_kernel);
}

}  // namespace drumsynth::cuda
