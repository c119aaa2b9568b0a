// The CPU voice over whole buffers: the forward pass keeps a tape of the values
// its adjoint needs (host/synth/voice.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include "drumsynth/render.hpp"
#include "drumsynth/synth/voice_program.hpp"

namespace drumsynth {

// Forward values the adjoint needs, each [n_samples]; `out` is the audio.
// t, S and rise (time since onset, swept time, the source bus's attack) are
// zero before the first sample after the onset, `first`. A tape is reused
// from one iteration of a fit to the next: its buffers keep their memory, the
// mix bus's fixed inputs (which depend on the rate, the seed and the length
// only) are made once, and the adjoint's working buffers live here too.
template <typename Real>
struct VoiceTape {
  int first = 0;
  std::vector<Real> t, rise;
  std::vector<wide_t<Real>> S;  // swept time, wide: it feeds the phases
  std::vector<Real> noise_low,
      noise_band;              // the white noise and the high-pass's output are drawn again
  std::vector<Real> fixed;     // [kFixedInputs * n], the mix bus's fixed input i at i * n
  std::vector<Real> mix_rise;  // the mix bus's shared attack (noise_attack_s)
  std::vector<Real> mix_bus;   // the mix bus's sum
  std::vector<Real> source, res_y, res_h,
      out;                     // the resonator's output is gain res_h (resonator_out)
  std::vector<Real> source_b;  // the source units made beside the noise (voice.cpp), added in
  struct FixedKey {
    double sample_rate = 0;
    uint64_t seed = 0;
    int n = -1;
    bool operator==(const FixedKey&) const = default;
  } fixed_made_for;  // the (rate, seed, length) the fixed inputs were made for
  // The adjoint's: dL/d(mix), dL/d(noise band), dL/d(resonator input), dL/d(source),
  // dL/dt, dL/dS, dL/d(source rise), dL/d(mix rise).
  std::vector<Real> v_mix, v_band, v_res_in, v_src, v_t, v_S, v_rise, v_mix_rise;
  // The noise branch's own dL/dt, dL/dS, dL/d(source rise) and dL/dp, added in after it.
  std::vector<Real> v_t_b, v_S_b, v_rise_b, v_p_b;
  void resize(int n);  // keeps the buffers (and the bands) when n is unchanged
};

// Renders parameters p [kNumParams] (physical units) into tape.out. With
// threads > 1 the noise's branch runs beside the tone's on a second thread; the
// result is the same for any number of threads.
template <typename Real>
void render_voice(const Real* p, const VoiceSpec& spec, VoiceTape<Real>& tape, int threads = 1);

// Adds dL/dp into v_p [kNumParams], given v_out = dL/dout [n_samples] and the
// tape of the forward call with the same p (whose adjoint buffers it uses).
template <typename Real>
void render_voice_vjp(const Real* p, const VoiceSpec& spec, VoiceTape<Real>& tape,
                      const Real* v_out, Real* v_p, int threads = 1);

}  // namespace drumsynth
