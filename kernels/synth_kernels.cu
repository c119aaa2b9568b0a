// Synthesis on the GPU: the forward kernels and, below each, its adjoint. They
// call the same __host__ __device__ math as the CPU reference (include/drumsynth).
#include <algorithm>
#include <atomic>

#include "cuda_backend.hpp"
#include "cuda_common.cuh"
#include "drumsynth/synth/voice_program.hpp"
#include "synth_kernels.cuh"
#include "v2/recurrence_scan_kernels.cuh"

namespace drumsynth::cuda {

__constant__ float c_param_lo[kNumParams];
__constant__ float c_param_hi[kNumParams];
__constant__ int c_param_log[kNumParams];

void upload_param_ranges(const ParamRange* ranges) {
  float lo[kNumParams], hi[kNumParams];
  int lg[kNumParams];
  for (int i = 0; i < kNumParams; ++i)
    lo[i] = float(ranges[i].min), hi[i] = float(ranges[i].max), lg[i] = ranges[i].log_map;
  CUDA_CHECK(cudaMemcpyToSymbol(c_param_lo, lo, sizeof(lo)));
  CUDA_CHECK(cudaMemcpyToSymbol(c_param_hi, hi, sizeof(hi)));
  CUDA_CHECK(cudaMemcpyToSymbol(c_param_log, lg, sizeof(lg)));
}

// ---- logits -> parameters, and back ----

__global__ void params_from_logits_kernel(const float* __restrict__ z,  // [B, P]
                                          float* __restrict__ p,        // [B, P]
                                          int count) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= count) return;
  const int i = j % kNumParams;
  p[j] = param_from_logit(z[j], c_param_lo[i], c_param_hi[i], c_param_log[i] != 0);
}

__global__ void params_from_logits_vjp_kernel(const float* __restrict__ z,    // [B, P]
                                              const float* __restrict__ p,    // [B, P]
                                              const float* __restrict__ v_p,  // [B, P]
                                              float* __restrict__ v_z,        // [B, P]
                                              int count) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= count) return;
  const int i = j % kNumParams;
  v_z[j] =
      v_p[j] * param_from_logit_vjp(z[j], p[j], c_param_lo[i], c_param_hi[i], c_param_log[i] != 0);
}

void params_from_logits(const float* logits, float* params, int n_instances) {
  const int count = n_instances * kNumParams;
  params_from_logits_kernel<<<(count + kThreads - 1) / kThreads, kThreads>>>(logits, params, count);
  CUDA_CHECK_LAUNCH(params_from_logits_kernel);
}

void params_from_logits_vjp(const float* logits, const float* params, const float* v_params,
                            float* v_logits, int n_instances) {
  const int count = n_instances * kNumParams;
  params_from_logits_vjp_kernel<<<(count + kThreads - 1) / kThreads, kThreads>>>(
      logits, params, v_params, v_logits, count);
  CUDA_CHECK_LAUNCH(params_from_logits_vjp_kernel);
}

// A block's sum s of parameter k's gradient (thread 0): into its slot of
// block_grads (v2, summed in block order by param_block_sums_kernel) or
// straight into v_params with an atomic add (v1).
__device__ inline void add_block_grad(float* v_params, float* block_grads, int b, int k, float s) {
  if (block_grads)
    block_grads[(size_t(b) * kSampleBlocks + blockIdx.x) * kNumParams + size_t(k)] += s;
  else
    atomicAdd(&v_params[size_t(b) * kNumParams + size_t(k)], s);
}

// v_params[b][k] += the blocks' sums in block order: the same additions in the
// same order every run, so a fit on the GPU repeats bit for bit.
__global__ void param_block_sums_kernel(const float* __restrict__ block_grads, int n_blocks,
                                        int n_instances, float* __restrict__ v_params) {
  const int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= n_instances * kNumParams) return;
  const int b = j / kNumParams, k = j % kNumParams;
  float sum = 0.0f;
  for (int blk = 0; blk < n_blocks; ++blk)
    sum += block_grads[(size_t(b) * kSampleBlocks + blk) * kNumParams + k];
  v_params[j] += sum;
}

// ---- the source bus (voice_program.hpp), one thread per sample ----

__global__ void source_kernel(BatchView batch, float* __restrict__ source,  // [total]
                              float* __restrict__ res_in) {                 // [total]
  const int b = blockIdx.y;
  const int n = batch.offset[b + 1] - batch.offset[b];
  const float* p = batch.params + size_t(b) * kNumParams;
  const float sr = batch.sample_rate[b];
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    const float s = source_sample(p, phase_time(p, i, sr));
    source[batch.offset[b] + i] = s;
    res_in[batch.offset[b] + i] = resonator_send(s);
  }
}

// Adjoint: v_src = source_gradient(v_mix, v_res_in) per sample; the parameter
// gradients are summed over the block, then added once per block.
__global__ void source_vjp_kernel(BatchView batch, const float* __restrict__ v_mix,  // [total]
                                  const float* __restrict__ v_res_in,                // [total]
                                  float* __restrict__ v_params,                      // [B, P]
                                  float* __restrict__ block_grads) {                 // or null
  const int b = blockIdx.y;
  const int n = batch.offset[b + 1] - batch.offset[b];
  const float* p = batch.params + size_t(b) * kNumParams;
  const float sr = batch.sample_rate[b];
  // Every loop over v_local is unrolled (here, in source_sample_vjp and in
  // the block sums below), so its indices are constants and it stays in
  // registers; one runtime index puts the whole array in local memory.
  float v_local[kNumParams];
#pragma unroll
  for (int k = 0; k < kNumParams; ++k) v_local[k] = 0.0f;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    const int g = batch.offset[b] + i;
    source_sample_vjp(p, phase_time(p, i, sr), source_gradient(v_mix[g], v_res_in[g]), v_local);
  }
  for_each_source_param([&](int k) {
    const float s = block_sum(v_local[k]);
    if (threadIdx.x == 0) add_block_grad(v_params, block_grads, b, k, s);
  });
}

// ---- noise band filters and resonator: one thread per instance and chain ----
// The two chains are independent, so they run side by side: the first half of
// the blocks walks every instance's noise filters, the second half its
// resonator (a recurrence's time is its length times a step's latency, so two
// chains at once take about half as long as one after the other).

constexpr int kRecurrenceThreads = 32;  // one warp per block: the chains spread over more SMs

__global__ void recurrences_kernel(BatchView batch, SynthTape tape) {
  const int half = gridDim.x / 2;
  const bool noise = int(blockIdx.x) < half;
  const int b = (noise ? blockIdx.x : blockIdx.x - half) * blockDim.x + threadIdx.x;
  if (b >= batch.n_instances) return;
  const int o = batch.offset[b], n = batch.offset[b + 1] - o;
  const float* p = batch.params + size_t(b) * kNumParams;
  const float sr = batch.sample_rate[b];
  if (noise)
    noise_band_filter(p, sr, batch.seed[b], n, tape.noise_low + o, tape.noise_band + o);
  else
    resonator(p, sr, n, tape.res_in + o, tape.res_y + o, tape.res_h + o);
}

// The chains write disjoint parameter gradients (noise_low/high_hz; the
// resonator's four), so they need no atomics between them.
__global__ void recurrences_vjp_kernel(BatchView batch, SynthTape tape, SynthAdjointScratch s,
                                       float* __restrict__ v_params) {  // [B, P]
  const int half = gridDim.x / 2;
  const bool noise = int(blockIdx.x) < half;
  const int b = (noise ? blockIdx.x : blockIdx.x - half) * blockDim.x + threadIdx.x;
  if (b >= batch.n_instances) return;
  const int o = batch.offset[b], n = batch.offset[b + 1] - o;
  const float* p = batch.params + size_t(b) * kNumParams;
  float* v_p = v_params + size_t(b) * kNumParams;
  const float sr = batch.sample_rate[b];
  if (noise)
    noise_band_filter_vjp(p, sr, batch.seed[b], n, tape.noise_low + o, tape.noise_band + o,
                          s.v_band + o, v_p);
  else
    resonator_vjp(p, sr, n, tape.res_y + o, tape.res_h + o, s.v_mix + o, v_p, s.v_res_y + o);
}

// ---- the mix bus's fixed inputs: they depend on no parameter, made once per batch ----

__global__ void fixed_inputs_kernel(BatchView batch,
                                    float* __restrict__ fixed) {  // [kFixedInputs, total]
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= batch.n_instances) return;
  const int o = batch.offset[b], n = batch.offset[b + 1] - o;
  drumsynth::make_fixed_inputs(batch.sample_rate[b], batch.seed[b], n, fixed + o,
                               size_t(batch.offset[batch.n_instances]));
}

void make_fixed_inputs(const BatchView& batch, float* fixed) {
  if (kFixedInputs == 0) return;
  fixed_inputs_kernel<<<(batch.n_instances + kRecurrenceThreads - 1) / kRecurrenceThreads,
                        kRecurrenceThreads>>>(batch, fixed);
  CUDA_CHECK_LAUNCH(fixed_inputs_kernel);
}

// ---- mix: out = release * tanh(source + noise + resonator + mix bus) ----

__global__ void mix_kernel(BatchView batch, SynthTape tape) {
  const int b = blockIdx.y;
  const size_t stride = size_t(batch.offset[batch.n_instances]);  // between the fixed inputs
  const int n = batch.offset[b + 1] - batch.offset[b];
  const float* p = batch.params + size_t(b) * kNumParams;
  const float sr = batch.sample_rate[b];
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    const int g = batch.offset[b] + i;
    const float t = time_since_onset(p, i, sr);
    const float bus = mix_bus_sample(p, t, tape.fixed + g, stride);
    tape.out[g] =
        mix_sample(p, t, tape.source[g], tape.noise_band[g], resonator_out(p, tape.res_h[g]), bus);
  }
}

// Adjoint (mix_sample_vjp, mix_bus_sample_vjp): v_mix, v_band, and the
// noise envelope's and the mix bus's parameter gradients (block sums, then
// one add per block).
// v_out is not __restrict__: s.v_band may be the same buffer (each sample's
// v_out is read, then its v_band written in its place).
__global__ void mix_vjp_kernel(BatchView batch, SynthTape tape, const float* v_out,
                               SynthAdjointScratch s, float* __restrict__ v_params) {
  const int b = blockIdx.y;
  const int n = batch.offset[b + 1] - batch.offset[b];
  const float* p = batch.params + size_t(b) * kNumParams;
  const float sr = batch.sample_rate[b];
  const size_t stride = size_t(batch.offset[batch.n_instances]);
  float va = 0, vd = 0, vg = 0, vt = 0, v_start = 0, v_release = 0, v_gate_start = 0, v_gate = 0;
  float v_local[kNumParams];  // the mix bus's parameters' (registers: constant indices, as in
#pragma unroll                // source_vjp_kernel)
  for (int k = 0; k < kNumParams; ++k) v_local[k] = 0.0f;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    const int g = batch.offset[b] + i;
    const float t = time_since_onset(p, i, sr);
    float v_band;
    const float v_mix = mix_sample_vjp(p, t, tape.noise_band[g], tape.out[g], v_out[g], v_band, va,
                                       vd, vg, vt, v_start, v_release, v_gate_start, v_gate);
    s.v_mix[g] = v_mix;
    s.v_band[g] = v_band;
    mix_bus_sample_vjp(p, t, tape.fixed + g, stride, v_mix, v_local, va, vt);
  }
  const float sa = block_sum(va), sd = block_sum(vd), sg = block_sum(vg), st = block_sum(vt);
  const float s_start = block_sum(v_start), s_release = block_sum(v_release);
  (void)v_gate_start, (void)v_gate;  // the gate is not fitted (release.hpp, host/synth/voice.cpp)
  if (threadIdx.x == 0) {
    add_block_grad(v_params, s.block_grads, b, P::release_start_s, s_start);
    add_block_grad(v_params, s.block_grads, b, P::release_s, s_release);
    add_block_grad(v_params, s.block_grads, b, P::noise_attack_s, sa);
    add_block_grad(v_params, s.block_grads, b, P::noise_decay_s, sd);
    add_block_grad(v_params, s.block_grads, b, P::noise_gain, sg);
    add_block_grad(v_params, s.block_grads, b, P::onset_s, -st);  // t = n / sr - onset
  }
  for_each_mix_block_param([&](int k) {
    const float sum = block_sum(v_local[k]);
    if (threadIdx.x == 0) add_block_grad(v_params, s.block_grads, b, k, sum);
  });
}

namespace {
dim3 sample_grid(int max_samples, int n_instances) {
  const int blocks = std::max(1, std::min(kSampleBlocks, (max_samples + kThreads - 1) / kThreads));
  return dim3(unsigned(blocks), unsigned(n_instances));
}
}  // namespace

void synth_forward(const BatchView& batch, int max_samples, const SynthTape& tape,
                   const RecurrenceKernels& r) {
  const dim3 grid = sample_grid(max_samples, batch.n_instances);
  source_kernel<<<grid, kThreads>>>(batch, tape.source, tape.res_in);
  CUDA_CHECK_LAUNCH(source_kernel);
  const int chain_blocks = (batch.n_instances + kRecurrenceThreads - 1) / kRecurrenceThreads;
  if (r.kind == Recurrences::v2_scan) {
    recurrences_scan_forward(batch, tape, r.resonator_lane_samples);
  } else {
    recurrences_kernel<<<2 * chain_blocks, kRecurrenceThreads>>>(batch, tape);
    CUDA_CHECK_LAUNCH(recurrences_kernel);
  }
  mix_kernel<<<grid, kThreads>>>(batch, tape);
  CUDA_CHECK_LAUNCH(mix_kernel);
}

void synth_adjoint(const BatchView& batch, int max_samples, const SynthTape& tape,
                   const float* v_out, const SynthAdjointScratch& s, float* v_params,
                   const RecurrenceKernels& r) {
  const dim3 grid = sample_grid(max_samples, batch.n_instances);
  if (s.block_grads)
    CUDA_CHECK(cudaMemsetAsync(
        s.block_grads, 0, size_t(batch.n_instances) * kSampleBlocks * kNumParams * sizeof(float),
        cudaStreamPerThread));
  mix_vjp_kernel<<<grid, kThreads>>>(batch, tape, v_out, s, v_params);
  CUDA_CHECK_LAUNCH(mix_vjp_kernel);
  const int chain_blocks = (batch.n_instances + kRecurrenceThreads - 1) / kRecurrenceThreads;
  if (r.kind == Recurrences::v2_scan) {
    recurrences_scan_adjoint(batch, tape, s, v_params, r.resonator_lane_samples);
  } else {
    recurrences_vjp_kernel<<<2 * chain_blocks, kRecurrenceThreads>>>(batch, tape, s, v_params);
    CUDA_CHECK_LAUNCH(recurrences_vjp_kernel);
  }
  source_vjp_kernel<<<grid, kThreads>>>(batch, s.v_mix, s.v_res_y, v_params, s.block_grads);
  CUDA_CHECK_LAUNCH(source_vjp_kernel);
  if (s.block_grads) {
    const int count = batch.n_instances * kNumParams;
    param_block_sums_kernel<<<(count + kThreads - 1) / kThreads, kThreads>>>(
        s.block_grads, int(grid.x), batch.n_instances, v_params);
    CUDA_CHECK_LAUNCH(param_block_sums_kernel);
  }
}

// ---- device discovery and the parity helper ----

bool device_available(std::string* why) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    if (why) *why = std::string("no usable CUDA device: ") + cudaGetErrorString(err);
    return false;
  }
  if (count == 0) {
    if (why) *why = "no CUDA device found";
    return false;
  }
  return true;
}

namespace {
std::atomic<long long> buffer_bytes{0}, buffer_peak{0};
}

void note_device_buffer_bytes(long long delta) {
  const long long now = buffer_bytes += delta;
  for (long long peak = buffer_peak.load();
       now > peak && !buffer_peak.compare_exchange_weak(peak, now);) {
  }
}

size_t device_buffer_bytes() { return size_t(std::max(0LL, buffer_bytes.load())); }
size_t device_buffer_peak_bytes() { return size_t(std::max(0LL, buffer_peak.load())); }
void reset_device_buffer_peak() { buffer_peak = buffer_bytes.load(); }

size_t device_bytes_in_use() {
  size_t free_b = 0, total_b = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  return total_b - free_b;
}

size_t device_bytes_free() {
  size_t free_b = 0, total_b = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  return free_b;
}

void set_device(int index) {
  int count = 0;
  CUDA_CHECK(cudaGetDeviceCount(&count));
  if (count > 0) CUDA_CHECK(cudaSetDevice(index % count));
}

void synchronize() { CUDA_CHECK(cudaDeviceSynchronize()); }

std::string device_name() {
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  return prop.name;
}

std::vector<std::vector<float>> render_source(const std::vector<float>& params,
                                              const std::vector<int>& n_samples,
                                              const std::vector<float>& sample_rate) {
  const int B = int(n_samples.size());
  std::vector<int> offset(static_cast<size_t>(B) + 1, 0);
  for (int b = 0; b < B; ++b) offset[b + 1] = offset[b] + n_samples[b];
  DeviceBuffer<float> d_params, d_rate, d_out(static_cast<size_t>(offset[B])),
      d_res_in(d_out.size());
  DeviceBuffer<int> d_offset;
  d_params.upload(params), d_rate.upload(sample_rate), d_offset.upload(offset);
  const BatchView batch{B, d_offset.get(), d_rate.get(), nullptr, d_params.get()};
  source_kernel<<<sample_grid(*std::max_element(n_samples.begin(), n_samples.end()), B),
                  kThreads>>>(batch, d_out.get(), d_res_in.get());
  CUDA_CHECK_LAUNCH(source_kernel);
  const std::vector<float> flat = d_out.download();
  std::vector<std::vector<float>> out(static_cast<size_t>(B));
  for (int b = 0; b < B; ++b) out[b].assign(flat.begin() + offset[b], flat.begin() + offset[b + 1]);
  return out;
}

}  // namespace drumsynth::cuda
