// A reference point for the fit-quality metric (issue 6): each target resynthesised
// from its own short-time magnitudes with random phases. The MRSTFT metric compares
// magnitudes frame by frame, but two independent noises with the same spectrum do
// not have the same magnitudes in a frame (each bin's magnitude is Rayleigh
// distributed), so even a perfect model of a noisy sound scores well above zero:
// for stationary noise SC ~ sqrt(2 - pi/2) ~ 0.66 and the log-magnitude term
// ~ E|log R1 - log R2| ~ 0.7. This resynthesis has the target's time-frequency
// envelope exactly and random fine structure, which is what a synth with a noise
// source can hope for on the noisy part of a sound (on steady partials it is
// pessimistic: our tones have coherent phase). bench_quality scores its output
// like any arm's renders.
//
// Method: STFT with a periodic Hann window w of n samples, hop n/4; each bin keeps
// its magnitude and gets a uniform random phase; overlap-add of the frames times w.
// Normalisation for power, not amplitude: a frame with random phases spreads its
// energy E = p * sum(w^2) evenly over its n samples, and overlapping frames add
// incoherently, so the output power is p * mean(w^2) / S(t) with S(t) the summed
// squared windows at t; dividing by sqrt(S(t) * mean(w^2)) restores p. (Dividing
// by S(t), right when the phases are kept, would leave it 6 dB too quiet.)
// Usage: bench_phase_oracle FFT_SIZE SEED OUT_ROOT IN_DIR [IN_DIR ...]
//   writes OUT_ROOT/basename(IN_DIR)/x/y.wav for every sound IN_DIR/x/y.*
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include "drumsynth/audio_io.hpp"
#include "drumsynth/batch.hpp"
#include "drumsynth/loss_settings.hpp"
#include "loss/real_fft.hpp"

using namespace drumsynth;
namespace fs = std::filesystem;

namespace {

std::vector<float> phase_random_resynthesis(const std::vector<float>& y, int n, uint64_t seed) {
  const int hop = n / 4, bins = n / 2 + 1;
  const std::vector<double> window = stft_window({n, hop, n});
  double mean_w2 = 0;
  for (double w : window) mean_w2 += w * w / n;
  // Zero padding of n on both sides, so every sample is covered by four frames.
  const size_t len = y.size() + 2 * size_t(n);
  std::vector<double> padded(len + n, 0.0), out(len + n, 0.0), norm(len + n, 0.0);
  for (size_t i = 0; i < y.size(); ++i) padded[i + n] = y[i];
  RealFft<double> fft(n);
  std::vector<std::complex<double>> spectrum(bins);
  std::vector<double> frame(n), back(n);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> turn(0.0, 1.0);
  for (size_t start = 0; start + n <= padded.size(); start += hop) {
    for (int i = 0; i < n; ++i) frame[i] = padded[start + i] * window[i];
    fft.forward(frame.data(), spectrum.data());
    // Inverse real DFT through the forward's adjoint: x_m = (1/n) sum_k c_k Re(X_k e^{+2 pi i k
    // m/n}), c_k = 2 for the bins that stand for a conjugate pair, 1 for DC and Nyquist.
    for (int k = 0; k < bins; ++k) {
      const double c = (k == 0 || k == bins - 1) ? 1.0 : 2.0;
      spectrum[k] = std::polar(c * std::abs(spectrum[k]) / n, 2.0 * M_PI * turn(rng));
    }
    fft.adjoint(spectrum.data(), back.data());
    for (int i = 0; i < n; ++i) {
      out[start + i] += back[i] * window[i];
      norm[start + i] += window[i] * window[i];
    }
  }
  std::vector<float> x(y.size());
  for (size_t i = 0; i < y.size(); ++i)
    x[i] = float(out[i + n] / std::sqrt(std::max(norm[i + n] * mean_w2, 1e-12)));
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: bench_phase_oracle FFT_SIZE SEED OUT_ROOT IN_DIR [IN_DIR ...]\n");
    return 2;
  }
  const int n = std::stoi(argv[1]);
  const uint64_t seed = std::stoull(argv[2]);
  const fs::path out_root = argv[3];
  if (n < 8 || n % 4) {
    std::fprintf(stderr, "FFT_SIZE must be a multiple of 4, at least 8\n");
    return 2;
  }
  int written = 0;
  for (int a = 4; a < argc; ++a) {
    const fs::path in_dir = argv[a];
    for (const auto& f : find_audio_files(in_dir.string())) {
      // Where bench_quality looks for an arm's render of f.
      const fs::path dst =
          batch_output_paths(f, in_dir.string(), (out_root / in_dir.filename()).string()).wav;
      const Sound t = load_sound(f);
      fs::create_directories(dst.parent_path());
      save_wav(dst.string(), phase_random_resynthesis(t.samples, n, seed + written), t.sample_rate);
      ++written;
    }
  }
  std::fprintf(stderr, "%d resyntheses under %s\n", written, out_root.c_str());
  return 0;
}
