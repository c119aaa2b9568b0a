// CUDA helpers: error checks that throw with file, line and expression, a
// typed device buffer, and a block-wide sum for per-instance reductions.
//
// The library's stream: every .cu file here is compiled with
// --default-stream per-thread (CMakeLists.txt), so a launch without a stream,
// and cudaStreamPerThread where a call takes one, is the calling thread's own
// default stream: ordered like the legacy default stream for this library's
// single host thread, but one a CUDA graph can capture (the legacy stream
// cannot be). cuFFT's plans (the v1 chain) run on the legacy stream, which the
// per-thread stream synchronises with.
#pragma once

#include <cuda_runtime.h>
#include <cufft.h>

#include <algorithm>
#include <string>
#include <vector>

#include "drumsynth/error.hpp"
#include "drumsynth/math/common.hpp"

#define CUDA_CHECK(expr)                                                                       \
  do {                                                                                         \
    const cudaError_t err_ = (expr);                                                           \
    if (err_ != cudaSuccess)                                                                   \
      throw ::drumsynth::Error(std::string(__FILE__ ":" DS_STRINGIFY(__LINE__) ": ") + #expr + \
                               ": " + cudaGetErrorString(err_));                               \
  } while (0)

#define CUFFT_CHECK(expr)                                                                      \
  do {                                                                                         \
    const cufftResult err_ = (expr);                                                           \
    if (err_ != CUFFT_SUCCESS)                                                                 \
      throw ::drumsynth::Error(std::string(__FILE__ ":" DS_STRINGIFY(__LINE__) ": ") + #expr + \
                               ": cuFFT error " + std::to_string(int(err_)));                  \
  } while (0)

#define CUDA_CHECK_LAUNCH(kernel) \
  ::drumsynth::cuda::check_launch(#kernel, __FILE__ ":" DS_STRINGIFY(__LINE__))

namespace drumsynth::cuda {

// Checked after every kernel launch (CUDA_CHECK_LAUNCH): a bad launch
// configuration (grid too large, too much shared memory) throws here, naming
// the kernel. Faults inside a kernel surface only at the next synchronising
// call, in release builds once per group of launches; debug builds
// (DRUMSYNTH_CUDA_SYNC_CHECKS, on with CMAKE_BUILD_TYPE=Debug or the
// DRUMSYNTH_CUDA_DEBUG option) wait for each kernel so its fault names it too.
inline void check_launch(const char* kernel, const char* where) {
  cudaError_t err = cudaGetLastError();
#if defined(DRUMSYNTH_CUDA_SYNC_CHECKS)
  if (err == cudaSuccess) err = cudaDeviceSynchronize();
#endif
  if (err != cudaSuccess)
    throw ::drumsynth::Error(std::string(where) + ": kernel " + kernel + ": " +
                             cudaGetErrorString(err));
}

// Every DeviceBuffer's bytes, and their most since the last reset
// (cuda_backend.hpp's device_buffer_peak_bytes): a backend's set-up peak,
// which a reading of free memory after the set-up does not see.
void note_device_buffer_bytes(long long delta);

// Device memory of n elements of T, freed on destruction.
template <typename T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t n) { resize(n); }
  ~DeviceBuffer() {
    cudaFree(ptr_);
    note_device_buffer_bytes(-(long long)(n_ * sizeof(T)));
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  // On a failed allocation it throws and holds nothing (size 0), never a size
  // without memory.
  void resize(size_t n) {
    if (n == n_) return;
    cudaFree(ptr_);
    note_device_buffer_bytes(-(long long)(n_ * sizeof(T)));
    ptr_ = nullptr;
    n_ = 0;
    if (n) CUDA_CHECK(cudaMalloc(&ptr_, n * sizeof(T)));
    note_device_buffer_bytes((long long)(n * sizeof(T)));
    n_ = n;
  }
  void upload(const std::vector<T>& v) {
    resize(v.size());
    if (n_) CUDA_CHECK(cudaMemcpy(ptr_, v.data(), n_ * sizeof(T), cudaMemcpyHostToDevice));
  }
  std::vector<T> download() const {
    std::vector<T> v(n_);
    if (n_) CUDA_CHECK(cudaMemcpy(v.data(), ptr_, n_ * sizeof(T), cudaMemcpyDeviceToHost));
    return v;
  }
  // In the library's stream, behind the kernels before it (so a graph
  // capture of an iteration takes it too).
  void zero() {
    if (n_) CUDA_CHECK(cudaMemsetAsync(ptr_, 0, n_ * sizeof(T), cudaStreamPerThread));
  }
  T* get() const { return ptr_; }
  size_t size() const { return n_; }

 private:
  T* ptr_ = nullptr;
  size_t n_ = 0;
};

// Sum of v over the block (blockDim.x a multiple of 32, at most 1024); the
// result is valid in thread 0.
__device__ inline float block_sum(float v) {
  __shared__ float warp_sums[32];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  __syncthreads();  // warp_sums may still be read by a previous call
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  v = threadIdx.x < (blockDim.x >> 5) ? warp_sums[lane] : 0.0f;
  if (warp == 0)
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}

constexpr int kThreads = 256;

// A grid of per-instance kernels (grid.y = instance): blocks of kThreads
// over the longest instance's max_len elements, at most 64 a row.
inline dim3 per_instance_grid(int max_len, int n_instances) {
  const int blocks = std::max(1, std::min(64, (max_len + kThreads - 1) / kThreads));
  return dim3(unsigned(blocks), unsigned(n_instances));
}
// Blocks of kThreads for a grid-stride loop over count elements.
inline int flat_blocks(size_t count) {
  return int(std::min<size_t>(65535, (count + kThreads - 1) / kThreads));
}

}  // namespace drumsynth::cuda
