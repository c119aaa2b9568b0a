// A sequence of launches captured once as a CUDA graph and replayed: the
// device loop's iteration (synthesis, the fused loss, the adjoints, the
// optimiser step: some 60 kernels and memsets at `seed`'s eight resolutions)
// then costs the host one graph launch instead of one launch each, and the
// GPU no gaps between small kernels.
#pragma once

#include <exception>
#include <functional>
#include <string>

#include "cuda_common.cuh"

namespace drumsynth::cuda {

class CapturedLaunches {
 public:
  // Captures what `launches` enqueues on the library's stream; nothing runs.
  // A capture that fails (a call it does not allow: a synchronisation, the
  // legacy stream, an allocation) leaves no graph, and why_not() says why:
  // the caller runs the launches as they are instead.
  explicit CapturedLaunches(const std::function<void()>& launches) {
    cudaError_t err = cudaStreamBeginCapture(cudaStreamPerThread, cudaStreamCaptureModeThreadLocal);
    if (err != cudaSuccess) {
      why_not_ = std::string("cudaStreamBeginCapture: ") + cudaGetErrorString(err);
      (void)cudaGetLastError();
      return;
    }
    try {
      launches();
    } catch (const std::exception& e) {
      why_not_ = e.what();
    }
    cudaGraph_t graph = nullptr;
    err = cudaStreamEndCapture(cudaStreamPerThread, &graph);
    if (why_not_.empty() && err != cudaSuccess)
      why_not_ = std::string("cudaStreamEndCapture: ") + cudaGetErrorString(err);
    if (why_not_.empty()) {
      err = cudaGraphInstantiate(&exec_, graph, 0);
      if (err != cudaSuccess)
        why_not_ = std::string("cudaGraphInstantiate: ") + cudaGetErrorString(err), exec_ = nullptr;
    }
    if (graph) cudaGraphDestroy(graph);
    (void)cudaGetLastError();  // a failed capture's error is said by why_not, not left for the next
                               // check
  }
  ~CapturedLaunches() {
    if (exec_) cudaGraphExecDestroy(exec_);
  }
  CapturedLaunches(const CapturedLaunches&) = delete;
  CapturedLaunches& operator=(const CapturedLaunches&) = delete;

  bool captured() const { return exec_ != nullptr; }
  const std::string& why_not() const { return why_not_; }
  // One replay, enqueued on the library's stream.
  void launch() { CUDA_CHECK(cudaGraphLaunch(exec_, cudaStreamPerThread)); }

 private:
  cudaGraphExec_t exec_ = nullptr;
  std::string why_not_;
};

}  // namespace drumsynth::cuda
