// The optimiser on the device: optimizer_step (optimizer_step.hpp, the same
// arithmetic the host loop runs, tested on the CPU) for every instance of a
// batch, one thread each, with the loss recorded for the history.
#pragma once

#include "drumsynth/fit/optimizer_step.hpp"

namespace drumsynth::cuda {

// states: [B] device, initialised from config.
void optimizer_init(const OptimizerConfig& config, OptimizerState* states, int n_instances);

// One iteration: loss [B], v_logits [B, P] at logits [B, P] (updated in
// place); the loss goes to history[iteration * B + b]. The iteration number
// lives on the device and the call adds one to it, so the same launches (a
// captured CUDA graph) serve every iteration.
void optimizer_step(const OptimizerConfig& config, OptimizerState* states, int* iteration_on_device,
                    const float* loss, const float* v_logits, float* logits, float* history,
                    int n_instances);

// How many instances have not converged yet (OptimizerState::stopped_after
// 0): a count on the device, read back (a synchronisation, 4 bytes).
// count_on_device: [1] scratch.
int running_instances(const OptimizerState* states, int n_instances, int* count_on_device);

}  // namespace drumsynth::cuda
