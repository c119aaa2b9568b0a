// CPU orchestration of one voice: the same per-sample and per-buffer math as the
// CUDA kernels (include/drumsynth/*.hpp), run serially. This is the readable
// reference the GPU is tested against.
#include "drumsynth/voice.hpp"

namespace drumsynth {

template <typename Real>
void VoiceTape<Real>::resize(int n) {
  for (auto* v : {&white, &noise_low, &noise_band_in, &noise_band, &source, &res_y, &res_h,
                  &res_out, &out})
    v->assign(size_t(n), Real(0));
}

template <typename Real>
void render_voice(const Real* p, const VoiceSpec& spec, VoiceTape<Real>& tape) {
  const int n = spec.n_samples;
  const Real sr = Real(spec.sample_rate);
  tape.resize(n);
  noise_band_filter(p, sr, spec.noise_seed, n, tape.white.data(), tape.noise_low.data(),
                    tape.noise_band_in.data(), tape.noise_band.data());
  for (int i = 0; i < n; ++i) tape.source[i] = voice_source_sample(p, time_since_onset(p, i, sr));
  // The resonator is excited by half the source, as in the original.
  std::vector<Real> res_in(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) res_in[i] = Real(0.5) * tape.source[i];
  resonator(p, sr, n, res_in.data(), tape.res_y.data(), tape.res_h.data(), tape.res_out.data());
  for (int i = 0; i < n; ++i) {
    const Real t = time_since_onset(p, i, sr);
    const Real noise = noise_band_sample(p, t, tape.noise_band[i]);
    tape.out[i] = dm::tanh(tape.source[i] + noise + tape.res_out[i]);
  }
}

// Adjoint of the mix: v_mix = v_out (1 - out^2) (tanh'), which reaches the noise,
// the resonator's output and the source; the resonator's input gradient adds
// 0.5 v_res_in to the source's.
template <typename Real>
void render_voice_vjp(const Real* p, const VoiceSpec& spec, const VoiceTape<Real>& tape,
                      const Real* v_out, Real* v_p) {
  const int n = spec.n_samples;
  const Real sr = Real(spec.sample_rate);
  const size_t len = static_cast<size_t>(n);
  std::vector<Real> v_mix(len), v_band(len), scratch(len), v_res_in(len);
  Real v_t = Real(0);
  for (int i = 0; i < n; ++i) {
    v_mix[i] = v_out[i] * (Real(1) - tape.out[i] * tape.out[i]);
    const Real t = time_since_onset(p, i, sr);
    v_band[i] = noise_band_sample_vjp(p, t, tape.noise_band[i], v_mix[i], v_p, v_t);
  }
  v_p[P::onset_s] -= v_t;
  noise_band_filter_vjp(p, sr, n, tape.white.data(), tape.noise_low.data(),
                        tape.noise_band_in.data(), tape.noise_band.data(), v_band.data(), v_p,
                        scratch.data());
  resonator_vjp(p, sr, n, tape.res_y.data(), tape.res_h.data(), v_mix.data(), v_p, scratch.data(),
                v_res_in.data());
  for (int i = 0; i < n; ++i)
    voice_source_sample_vjp(p, time_since_onset(p, i, sr), v_mix[i] + Real(0.5) * v_res_in[i],
                            v_p);
}

template <typename Real>
std::vector<Real> render(const std::vector<Real>& params, const VoiceSpec& spec) {
  DS_CHECK(params.size() == size_t(kNumParams));
  VoiceTape<Real> tape;
  render_voice(params.data(), spec, tape);
  return tape.out;
}

template struct VoiceTape<float>;
template struct VoiceTape<double>;
template void render_voice(const float*, const VoiceSpec&, VoiceTape<float>&);
template void render_voice(const double*, const VoiceSpec&, VoiceTape<double>&);
template void render_voice_vjp(const float*, const VoiceSpec&, const VoiceTape<float>&,
                               const float*, float*);
template void render_voice_vjp(const double*, const VoiceSpec&, const VoiceTape<double>&,
                               const double*, double*);
template std::vector<float> render(const std::vector<float>&, const VoiceSpec&);
template std::vector<double> render(const std::vector<double>&, const VoiceSpec&);
// long double: the finite-difference side of the gradient tests.
template struct VoiceTape<long double>;
template void render_voice(const long double*, const VoiceSpec&, VoiceTape<long double>&);
template std::vector<long double> render(const std::vector<long double>&, const VoiceSpec&);

}  // namespace drumsynth
