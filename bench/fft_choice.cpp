// The measurement behind the CPU FFT choice (issue: CPU speed). For each `seed`
// resolution of a 1.0 s, 48 kHz sound (every frame, hop n/4), the time of one
// forward real FFT of all frames:
//   kissfft   the C++ template, one frame at a time (the FFT before pocketfft)
//   pocketfft one frame per call (RealFft::forward)
//   batched   all frames in one pocketfft call (RealFft::forward_frames: pocketfft
//             runs 4 frames per SSE vector, copying them in and out)
//   lanes     what the loss uses (StftFrames): the frames windowed straight into
//             SIMD lanes and pocketfft's plan run on them, and its adjoint with
//             the windowed overlap-add.
// Markdown to stdout.
#include <algorithm>
#include <chrono>
#include <complex>
#include <cstdio>
#include <kissfft/kissfft.hh>
#include <random>
#include <vector>

#include "loss/real_fft.hpp"
#include "loss/stft_frames.hpp"

using namespace drumsynth;
using Clock = std::chrono::steady_clock;

template <typename F>
double best_ms(F&& f, int reps) {
  double best = 1e300;
  for (int i = 0; i < reps; ++i) {
    const auto a = Clock::now();
    f();
    best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - a).count());
  }
  return best;
}

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 15;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(-1, 1);
  std::printf(
      "| n | frames | kissfft ms | pocketfft ms | batched ms | lanes ms | lanes adjoint ms |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  double total[5] = {0, 0, 0, 0, 0};
  for (int n : {16384, 8192, 4096, 2048, 1024, 512, 128, 32}) {
    const int frames = 1 + 48000 / (n / 4), bins = n / 2 + 1;
    std::vector<float> x(static_cast<size_t>(frames) * n);
    for (float& v : x) v = uniform(rng);
    std::vector<std::complex<float>> X(static_cast<size_t>(frames) * bins),
        half(static_cast<size_t>(n / 2));
    const kissfft<float> kiss(static_cast<size_t>(n / 2), false);
    const RealFft<float> fft(n);
    // The loss's frames overlap (hop n/4) in a padded signal; kissfft and the
    // other pocketfft columns get them one after another, already windowed.
    const int hop = n / 4;
    std::vector<float> padded(static_cast<size_t>((frames - 1) * hop + n)), v_padded(padded.size());
    for (float& v : padded) v = uniform(rng);
    StftFrames<float> stft(n, hop, std::vector<float>(static_cast<size_t>(n), 0.5f));
    const double t[5] = {
        best_ms(
            [&] {
              for (int f = 0; f < frames; ++f) kiss.transform_real(&x[size_t(f) * n], half.data());
            },
            reps),
        best_ms(
            [&] {
              for (int f = 0; f < frames; ++f) fft.forward(&x[size_t(f) * n], &X[size_t(f) * bins]);
            },
            reps),
        best_ms([&] { fft.forward_frames(x.data(), frames, X.data()); }, reps),
        best_ms([&] { stft.forward(padded.data(), frames, X.data()); }, reps),
        best_ms([&] { stft.adjoint_add(X.data(), frames, v_padded.data()); }, reps)};
    for (int i = 0; i < 5; ++i) total[i] += t[i];
    std::printf("| %d | %d | %.3f | %.3f | %.3f | %.3f | %.3f |\n", n, frames, t[0], t[1], t[2],
                t[3], t[4]);
  }
  std::printf("| all | | %.2f | %.2f | %.2f | %.2f | %.2f |\n", total[0], total[1], total[2],
              total[3], total[4]);
  std::printf("\nfloat; best of %d runs each.\n", reps);
  return 0;
}
