// pocketfft (BSD-3, header only; Debian's python3-pythran ships it, CMake finds
// it as POCKETFFT_HEADER), configured once for every file that includes it.
// Our threads split the loss by resolution; pocketfft's own pool would only
// compete with them. Its plan cache holds every size one process uses (the two
// loss presets have 11, the analysis and reports a few more).
#pragma once

#define POCKETFFT_NO_MULTITHREADING
#define POCKETFFT_CACHE_SIZE 32
#include DRUMSYNTH_POCKETFFT_HEADER
