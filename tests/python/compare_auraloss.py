#!/usr/bin/env python3
"""Compares `drumsynth loss A B` with the real auraloss 0.4.0 on pairs of real
drum sounds, for both loss presets, to 1e-3 relative.

Usage: compare_auraloss.py DRUMSYNTH SHARED_DATA
Exit 77 (ctest: skipped) when auraloss, torch or scipy cannot be imported.
"""
import subprocess
import sys
from pathlib import Path

try:
    import numpy as np
    import scipy.io.wavfile
    import torch
    import auraloss
except ImportError as e:  # the reason goes to the test log
    print(f"SKIP: cannot import {e.name} ({e}); scripts/test installs auraloss 0.4.0 in a venv")
    sys.exit(77)

# 16-bit WAV pairs at one rate, longer than 16384 samples (auraloss's reflect
# padding needs the sound longer than half the largest FFT).
PAIRS = [
    ("seed-inputs/frame_drum.wav", "seed-inputs/hi_snare.wav"),
    ("seed-inputs/hi_snare.wav", "seed-inputs/frame_drum.wav"),
    ("drums-dev/circAfrique_v4/Djembe1 Bass.wav", "drums-dev/circAfrique_v4/Djembe1 Slap.wav"),
    ("drums-dev/circAfrique_v4/Djembe1 Tone.wav", "drums-dev/circAfrique_v4/Djembe1 Bass.wav"),
]


def load(path):
    """Mono float like drumsynth's libsndfile reader: int16 / 32768, channels averaged."""
    rate, data = scipy.io.wavfile.read(path)
    assert data.dtype == np.int16, f"{path}: expected 16-bit PCM"
    x = data.astype(np.float64) / 32768.0
    if x.ndim == 2:
        x = x.mean(axis=1)
    return rate, x


def auraloss_value(preset, x, y, rate):
    if preset == "auraloss":
        loss = auraloss.freq.MultiResolutionSTFTLoss()
        xt = torch.tensor(x, dtype=torch.float64).view(1, 1, -1)
        yt = torch.tensor(y, dtype=torch.float64).view(1, 1, -1)
        return float(loss(xt, yt))
    # seed: the original's DrumSoundLoss. auraloss's FIR weights are float32,
    # so this one runs in float32.
    sizes = [16384, 8192, 4096, 2048, 1024, 512, 128, 32]
    loss = auraloss.freq.MultiResolutionSTFTLoss(
        fft_sizes=sizes, hop_sizes=[n // 4 for n in sizes], win_lengths=sizes,
        perceptual_weighting=True, sample_rate=rate)
    xt = torch.tensor(x, dtype=torch.float32).view(1, 1, -1)
    yt = torch.tensor(y, dtype=torch.float32).view(1, 1, -1)
    rms = lambda s: np.sqrt(np.mean(s ** 2))
    return float(loss(xt, yt)) + 0.25 * (rms(x) - rms(y)) ** 2


def main():
    drumsynth, data = sys.argv[1], Path(sys.argv[2])
    if not data.is_dir():
        print(f"SKIP: no shared data at {data}")
        sys.exit(77)
    failures = 0
    worst = 0.0
    for a, b in PAIRS:
        rate_a, x = load(data / a)
        rate_b, y = load(data / b)
        assert rate_a == rate_b
        # drumsynth loss cuts or zero-pads the estimate to the target's length
        x = x[: len(y)] if len(x) >= len(y) else np.pad(x, (0, len(y) - len(x)))
        for preset in ("auraloss", "seed"):
            ours = float(subprocess.run(
                [drumsynth, "loss", str(data / a), str(data / b), "--loss-preset", preset],
                check=True, capture_output=True, text=True).stdout)
            ref = auraloss_value(preset, x, y, rate_b)
            rel = abs(ours - ref) / abs(ref)
            worst = max(worst, rel)
            ok = rel < 1e-3
            failures += not ok
            print(f"{'ok  ' if ok else 'FAIL'} {preset:8s} {Path(a).name} vs {Path(b).name}: "
                  f"drumsynth {ours:.6f} auraloss {ref:.6f} rel err {rel:.1e}")
    print(f"worst relative error {worst:.1e} ({100 * worst / 1e-3:.0f}% of the 1e-3 tolerance)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
