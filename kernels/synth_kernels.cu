// CUDA kernels of the synth, one thread per (instance, sample), calling the
// same __host__ __device__ per-sample math as the CPU backend (include/drumsynth).
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#include "drumsynth/cuda_device.hpp"
#include "drumsynth/voice.hpp"

#define CUDA_CHECK(expr)                                                                  \
  do {                                                                                    \
    const cudaError_t err_ = (expr);                                                      \
    if (err_ != cudaSuccess)                                                              \
      throw ::drumsynth::Error(std::string(__FILE__ ":" DS_STRINGIFY(__LINE__) ": ") +    \
                               #expr + ": " + cudaGetErrorString(err_));                  \
  } while (0)

namespace drumsynth::cuda {

// Instances are packed one after another: instance b's samples start at offset[b].
__global__ void voice_source_kernel(const float* __restrict__ params,       // [B, kNumParams]
                                    const float* __restrict__ sample_rate,  // [B]
                                    const int* __restrict__ offset,         // [B + 1]
                                    int n_instances,
                                    float* __restrict__ out) {              // [offset[B]]
  const int b = blockIdx.y;
  if (b >= n_instances) return;
  const int n = offset[b + 1] - offset[b];
  const float* p = params + size_t(b) * kNumParams;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x)
    out[offset[b] + i] = voice_source_sample(p, time_since_onset(p, i, sample_rate[b]));
}

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

std::string device_name() {
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, 0));
  return prop.name;
}

std::vector<std::vector<float>> render_source(const std::vector<float>& params,
                                              const std::vector<int>& n_samples,
                                              const std::vector<float>& sample_rate) {
  const int B = int(n_samples.size());
  std::vector<int> offset(size_t(B) + 1, 0);
  for (int b = 0; b < B; ++b) offset[b + 1] = offset[b] + n_samples[b];
  float *d_params, *d_rate, *d_out;
  int* d_offset;
  CUDA_CHECK(cudaMalloc(&d_params, params.size() * sizeof(float)));
  CUDA_CHECK(cudaMalloc(&d_rate, sample_rate.size() * sizeof(float)));
  CUDA_CHECK(cudaMalloc(&d_offset, offset.size() * sizeof(int)));
  CUDA_CHECK(cudaMalloc(&d_out, size_t(offset[B]) * sizeof(float)));
  CUDA_CHECK(cudaMemcpy(d_params, params.data(), params.size() * sizeof(float), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_rate, sample_rate.data(), sample_rate.size() * sizeof(float), cudaMemcpyHostToDevice));
  CUDA_CHECK(cudaMemcpy(d_offset, offset.data(), offset.size() * sizeof(int), cudaMemcpyHostToDevice));
  const dim3 grid(64, unsigned(B));
  voice_source_kernel<<<grid, 256>>>(d_params, d_rate, d_offset, B, d_out);
  CUDA_CHECK(cudaGetLastError());
  std::vector<float> flat(static_cast<size_t>(offset[B]));
  CUDA_CHECK(cudaMemcpy(flat.data(), d_out, flat.size() * sizeof(float), cudaMemcpyDeviceToHost));
  cudaFree(d_params), cudaFree(d_rate), cudaFree(d_offset), cudaFree(d_out);
  std::vector<std::vector<float>> out(static_cast<size_t>(B));
  for (int b = 0; b < B; ++b) out[b].assign(flat.begin() + offset[b], flat.begin() + offset[b + 1]);
  return out;
}

}  // namespace drumsynth::cuda
