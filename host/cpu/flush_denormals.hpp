// FlushDenormals: while in scope, this thread's float arithmetic flushes
// denormal results and inputs to zero (SSE's FTZ and DAZ bits). The voice's
// envelopes decay through the denormal range (a 5 ms transient is below 1e-38
// after 0.45 s), where every operation takes a microcode assist, 100 times
// slower: on a 1 s sound that was half the synth adjoint's time. Values that
// small add nothing to the audio, the loss or a gradient. Set at each CPU entry
// point and in each thread it starts, so results do not depend on the caller's
// mode nor on the number of threads.
#pragma once

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace drumsynth {

class FlushDenormals {
 public:
#if defined(__SSE__)
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFtzDaz); }
  ~FlushDenormals() { _mm_setcsr(saved_); }

 private:
  static constexpr unsigned kFtzDaz = 0x8040;  // flush-to-zero (bit 15), denormals-are-zero (bit 6)
  unsigned saved_;
#else
  FlushDenormals() = default;
#endif
 public:
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;
};

}  // namespace drumsynth
