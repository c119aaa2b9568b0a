// Links against drumsynth_cuda alone: if the CUDA library called back into the
// host library (as it once did for the parameter table and the A-weighting
// design), this program would not link. Run, it says whether a GPU is usable.
#include <cstdio>
#include <string>

#include "cuda_backend.hpp"

int main() {
  std::string why;
  const bool usable = drumsynth::cuda::device_available(&why);
  // Referenced, so the backend's object file and everything it calls are linked in.
  auto* make = &drumsynth::cuda::make_cuda_backend;
  std::printf("drumsynth_cuda linked alone (make_cuda_backend at %p); GPU usable: %s%s\n",
              reinterpret_cast<void*>(make), usable ? "yes" : "no, ", usable ? "" : why.c_str());
  return 0;
}
