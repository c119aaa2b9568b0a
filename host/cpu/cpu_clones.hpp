// DS_CPU_CLONES marks the CPU path's hot loops (the voice and its adjoint, the
// loss's per-bin math) for GCC's function multiversioning: each is compiled for
// AVX-512 (x86-64-v4), AVX2 with FMA (x86-64-v3) and baseline x86-64, and the
// loader picks the widest this CPU runs (an ifunc). The loops are vectorised,
// glibc's vector math included, so the wider clones do 16 or 8 floats where the
// baseline does 4: the synth runs 2-3 times faster on a v4 CPU.
//
// Results are the same for any thread count on one machine; on CPUs of another
// vector width they agree to float rounding (sums taken in another order, FMA),
// not bit for bit. -DDRUMSYNTH_CPU_CLONES=OFF builds the baseline only, the same
// on every x86-64 CPU.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && \
    !defined(DRUMSYNTH_NO_CPU_CLONES)
#define DS_CPU_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define DS_CPU_CLONES
#endif
