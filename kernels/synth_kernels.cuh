// Synthesis kernels, forward and adjoint side by side: a batch of instances,
// each with its own parameters, length, sample rate and noise seed, packed one
// after another (instance b's samples are [offset[b], offset[b + 1])).
// Per-sample work runs one thread per sample (grid.y = instance); the
// recurrences (noise filters, resonator) one thread per instance.
#pragma once

#include <stdint.h>

#include "drumsynth/synth/params.hpp"
#include "drumsynth/synth/resonator_scan.hpp"

namespace drumsynth::cuda {

struct BatchView {
  int n_instances;
  const int* offset;         // [B + 1]
  const float* sample_rate;  // [B]
  const uint64_t* seed;      // [B]
  const float* params;       // [B, kNumParams], physical units
};

// Forward values kept for the adjoint, each [total samples] but fixed, the
// mix bus's fixed inputs (voice_program.hpp), [kFixedInputs, total samples]
// (input k of every instance at k * total). Only
// what cannot be had again cheaply is kept: the white noise and the high-pass's
// output are drawn again (noise_band.hpp), the resonator's output is gain res_h
// (resonator_out), and its input res_in lives in the adjoint's v_res_y buffer,
// which nothing reads between the resonator and the adjoint.
struct SynthTape {
  float *noise_low, *noise_band, *fixed;
  float *source, *res_in, *res_y, *res_h, *out;
};

// Scratch of the adjoint, each [total samples]; and, for the v2 kernels,
// block_grads [B][kSampleBlocks][kNumParams]: each per-sample block's sums of
// the parameter gradients, added up in block order afterwards (the v1 kernels,
// block_grads null, add them with float atomics, whose order varies run to run).
struct SynthAdjointScratch {
  float* v_mix;
  float* v_band;   // may be synth_adjoint's v_out: the mix's adjoint reads v_out[i] before writing
                   // v_band[i]
  float* v_res_y;  // the resonator adjoint's v_y; when it is done, the gradient of res_in
  float* block_grads = nullptr;
};

// Blocks per instance of the per-sample kernels, at most.
constexpr int kSampleBlocks = 64;

// The parameter table's ranges and maps [kNumParams], into constant memory.
void upload_param_ranges(const ParamRange* ranges);

void params_from_logits(const float* logits, float* params, int n_instances);  // [B, P] both
void params_from_logits_vjp(const float* logits, const float* params, const float* v_params,
                            float* v_logits, int n_instances);

// The mix bus's fixed inputs of every instance into fixed [kFixedInputs,
// total]; they depend on the seeds and rates only, so a backend makes them once.
void make_fixed_inputs(const BatchView& batch, float* fixed);

// How the recurrences run: v1, one thread walks each sound's chain; v2,
// parallel over samples by scans (v2/recurrence_scan_kernels.cuh), with
// resonator blocks of lanes of resonator_lane_samples samples (1 to
// kResonatorLaneSamples, resonator_scan.hpp).
enum class Recurrences { v1_loop, v2_scan };
struct RecurrenceKernels {
  Recurrences kind = Recurrences::v1_loop;
  int resonator_lane_samples = kResonatorLaneSamples;
};

void synth_forward(const BatchView& batch, int max_samples, const SynthTape& tape,
                   const RecurrenceKernels& r);
// Adds dL/dparams into v_params [B, kNumParams] (zeroed by the caller) given
// v_out (overwritten by v_band when s.v_band is v_out).
void synth_adjoint(const BatchView& batch, int max_samples, const SynthTape& tape,
                   const float* v_out, const SynthAdjointScratch& s, float* v_params,
                   const RecurrenceKernels& r);

}  // namespace drumsynth::cuda
