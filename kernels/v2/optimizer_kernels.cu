// The optimiser's kernels: one thread per instance, the shared step function.
#include "cuda_common.cuh"
#include "v2/optimizer_kernels.cuh"

namespace drumsynth::cuda {

namespace {

__global__ void optimizer_init_kernel(OptimizerConfig config,
                                      OptimizerState* __restrict__ states,  // [B]
                                      int n_instances) {
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b < n_instances) drumsynth::optimizer_init(config, states[b]);
}

__global__ void optimizer_step_kernel(OptimizerConfig config,
                                      OptimizerState* __restrict__ states,  // [B]
                                      const int* __restrict__ iteration_on_device,
                                      const float* __restrict__ loss,      // [B]
                                      const float* __restrict__ v_logits,  // [B, P]
                                      float* __restrict__ logits,          // [B, P]
                                      float* __restrict__ history,         // [iterations, B]
                                      int n_instances) {
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= n_instances) return;
  const int iteration = *iteration_on_device;
  history[size_t(iteration) * n_instances + b] = loss[b];
  drumsynth::optimizer_step(config, states[b], iteration, loss[b],
                            v_logits + size_t(b) * kNumParams, logits + size_t(b) * kNumParams);
}

__global__ void running_instances_kernel(const OptimizerState* __restrict__ states,  // [B]
                                         int n_instances, int* __restrict__ count) {
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b < n_instances && states[b].stopped_after == 0) atomicAdd(count, 1);
}

// After every instance's step (the next kernel in the stream).
__global__ void advance_iteration_kernel(int* iteration_on_device) { ++*iteration_on_device; }

constexpr int kOptimizerThreads = 64;  // an instance's step touches ~1 KB of state: few per block

int blocks_for(int n) { return (n + kOptimizerThreads - 1) / kOptimizerThreads; }

}  // namespace

void optimizer_init(const OptimizerConfig& config, OptimizerState* states, int n_instances) {
  optimizer_init_kernel<<<blocks_for(n_instances), kOptimizerThreads>>>(config, states,
                                                                        n_instances);
  CUDA_CHECK_LAUNCH(optimizer_init_kernel);
}

void optimizer_step(const OptimizerConfig& config, OptimizerState* states, int* iteration_on_device,
                    const float* loss, const float* v_logits, float* logits, float* history,
                    int n_instances) {
  optimizer_step_kernel<<<blocks_for(n_instances), kOptimizerThreads>>>(
      config, states, iteration_on_device, loss, v_logits, logits, history, n_instances);
  CUDA_CHECK_LAUNCH(optimizer_step_kernel);
  advance_iteration_kernel<<<1, 1>>>(iteration_on_device);
  CUDA_CHECK_LAUNCH(advance_iteration_kernel);
}

int running_instances(const OptimizerState* states, int n_instances, int* count_on_device) {
  CUDA_CHECK(cudaMemsetAsync(count_on_device, 0, sizeof(int), cudaStreamPerThread));
  running_instances_kernel<<<blocks_for(n_instances), kOptimizerThreads>>>(states, n_instances,
                                                                           count_on_device);
  CUDA_CHECK_LAUNCH(running_instances_kernel);
  int count = 0;
  CUDA_CHECK(cudaMemcpyAsync(&count, count_on_device, sizeof(int), cudaMemcpyDeviceToHost,
                             cudaStreamPerThread));
  CUDA_CHECK(cudaStreamSynchronize(cudaStreamPerThread));
  return count;
}

}  // namespace drumsynth::cuda
