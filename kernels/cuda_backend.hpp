// What the CUDA library offers the host library, when built with it
// (DRUMSYNTH_HAVE_CUDA): device discovery, the CUDA backend, and the parity
// helpers. The CUDA library calls nothing of the host library: what it needs
// of the host's tables (parameter ranges, A-weighting taps) is passed in.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "drumsynth/backend.hpp"
#include "drumsynth/switches.hpp"
#include "drumsynth/synth/params.hpp"

namespace drumsynth::cuda {

// True when a CUDA device can be used; otherwise false with the reason in *why
// (no driver, no device, ...). Never throws.
bool device_available(std::string* why);
std::string device_name();
// Bytes of device memory in use (total - free), for memory-per-sound figures.
size_t device_bytes_in_use();
// Bytes the library's device buffers hold now, their most since
// reset_device_buffer_peak (cuFFT's plans not included: device_bytes_in_use
// sees those).
size_t device_buffer_bytes();
size_t device_buffer_peak_bytes();
void reset_device_buffer_peak();
// Bytes of device memory free now.
size_t device_bytes_free();
// Makes device index % (visible devices) the current one.
void set_device(int index);
// Waits for the device to finish its queued work.
void synchronize();

// Renders the source (transient + tones) of B instances on the GPU with the
// same per-sample math as the CPU (source_sample), for parity tests.
// params: [B * kNumParams]; n_samples, sample_rate: [B]; returns [B][n_samples[b]].
std::vector<std::vector<float>> render_source(const std::vector<float>& params,
                                              const std::vector<int>& n_samples,
                                              const std::vector<float>& sample_rate);

// The pieces of one loss-and-gradient call of a CUDA backend, each downloaded,
// so a parity test can say which stage differs from the CPU: for `logits`, the
// parameters and the audio the GPU synthesises; the GPU loss and dL/daudio of
// `audio_in` (give the CPU's audio, so the losses see equal input); and the
// GPU synth adjoint of `v_audio_in` (the CPU's dL/daudio) at those parameters.
// Flat arrays in instance order: params, v_params [B * kNumParams]; audio,
// v_audio, audio_in, v_audio_in [total samples]; loss [B].
struct BackendTrace {
  std::vector<float> params, audio, loss, v_audio, v_params;
};
BackendTrace trace_cuda_backend(Backend& cuda_backend, const std::vector<float>& logits,
                                const std::vector<float>& audio_in,
                                const std::vector<float>& v_audio_in);

// The CUDA backend's fit with the optimiser on the device (what optimize runs
// with DRUMSYNTH_DEVICE_OPTIMIZER=1), for the parity test against the host loop.
std::vector<InstanceFit> optimize_on_device(Backend& cuda_backend, std::vector<float> logits,
                                            const OptimizerConfig& config,
                                            const FitControl& control);
// How the backend's last device loop ran its iterations: "CUDA graph", or
// "launches (why not a graph)", or "not run".
std::string device_loop_path(Backend& cuda_backend);
// Which spectral path the backend's loss runs (GpuMrstft::spectral_path): the
// cuFFT chain, or the fused kernels with each resolution's run length.
std::string spectral_path(Backend& cuda_backend);

// What a CUDA backend needs besides its instances and loss: the parameter
// table's ranges and maps, when the loss A-weights each instance's FIR taps
// (a_weighting_fir at its rate), [B][kAWeightingTaps], and which kernels to
// run.
struct CudaBackendTables {
  std::array<ParamRange, kNumParams> param_ranges;
  std::vector<std::vector<double>> a_weighting_taps;
  Kernels kernels = Kernels::v1;
  Switches switches;  // the plan's (run_plan.hpp): the backend reads no environment
};

// The CUDA backend over a batch of instances. Throws drumsynth::Error when no
// device is usable.
std::unique_ptr<Backend> make_cuda_backend(const std::vector<Instance>& instances,
                                           const LossSettings& loss,
                                           const CudaBackendTables& tables);

}  // namespace drumsynth::cuda
