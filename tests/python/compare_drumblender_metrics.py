#!/usr/bin/env python3
"""Compares the report's log-spectral distance and MFCC error
(host/report/spectral_metrics.cpp) with DrumBlender's definitions
(jorshi/drumblender, drumblender/metrics.py) computed here with torch.stft
and torchaudio.transforms.MFCC in float64, on pairs of real drum sounds, to
1e-5 relative (worst measured 4.0e-7, the MFCC error: the same definition,
another order of sums); and the end level against numpy.

Usage: compare_drumblender_metrics.py METRICS_DUMP SHARED_DATA
Exit 77 (ctest: skipped) when torch, torchaudio or scipy cannot be imported.
"""
import json
import subprocess
import sys
from pathlib import Path

try:
    import numpy as np
    import scipy.io.wavfile
    import torch
    import torchaudio
except ImportError as e:  # the reason goes to the test log
    print(f"SKIP: cannot import {e.name} ({e}); scripts/install-deps --with-python installs python3-torchaudio")
    sys.exit(77)

# 16-bit WAV pairs at one rate (estimate, target), of unequal lengths (the
# estimate is cut or zero-padded to the target's), each longer than the LSD's
# reflect padding of 4046 samples, as torch.stft needs.
PAIRS = [
    ("seed-inputs/frame_drum.wav", "seed-inputs/hi_snare.wav"),
    ("seed-inputs/hi_snare.wav", "seed-inputs/frame_drum.wav"),
    ("drums-dev/circAfrique_v4/Djembe1 Bass.wav", "drums-dev/circAfrique_v4/Djembe1 Slap.wav"),
    ("drums-dev/circAfrique_v4/Djembe1 Tone.wav", "drums-dev/circAfrique_v4/Djembe1 Bass.wav"),
]


BOUND = 1e-5


def load(path):
    """Mono float like drumsynth's libsndfile reader: int16 / 32768, channels averaged."""
    rate, data = scipy.io.wavfile.read(path)
    assert data.dtype == np.int16, f"{path}: expected 16-bit PCM"
    x = data.astype(np.float64) / 32768.0
    if x.ndim == 2:
        x = x.mean(axis=1)
    return rate, x


def drumblender_lsd(x, y):
    """LogSpectralDistance: log(|STFT|^2 + 1e-8), n_fft 8092, hop 64, Hann; per frame the
    root of the mean square difference over frequency, then the mean over frames."""
    def log_power(s):
        spec = torch.stft(torch.tensor(s).view(1, -1), n_fft=8092, hop_length=64,
                          window=torch.hann_window(8092, dtype=torch.float64), return_complex=True)
        return torch.log(torch.square(torch.abs(spec)) + 1e-8)
    per_frame = torch.mean(torch.square(log_power(x) - log_power(y)), dim=-2)
    return float(torch.mean(torch.sqrt(per_frame), dim=-1))


def drumblender_mfcc(x, y, rate):
    """MFCCError: torchaudio's MFCC (40 coefficients, n_fft 2048, hop 128), per
    coefficient the mean over frames of |X - Y|, summed; one sound at a time."""
    mfcc = torchaudio.transforms.MFCC(sample_rate=rate, n_mfcc=40,
                                      melkwargs={"n_fft": 2048, "hop_length": 128}).double()
    mx, my = mfcc(torch.tensor(x).view(1, -1)), mfcc(torch.tensor(y).view(1, -1))
    return float(torch.sum(torch.mean(torch.abs(mx - my), dim=-1)))


def end_level_db(y, rate):
    n = max(1, int(0.005 * rate + 0.5))  # as C++ lround: 220.5 samples at 44.1 kHz are 221
    return max(-120.0, 20 * np.log10(np.sqrt(np.mean(y[-n:] ** 2)) / np.max(np.abs(y))))


def main():
    dump, data = sys.argv[1], Path(sys.argv[2])
    worst = 0.0
    for a, b in PAIRS:
        rate_a, x = load(data / a)
        rate_b, y = load(data / b)
        assert rate_a == rate_b, (a, b)
        x = np.pad(x[: len(y)], (0, max(0, len(y) - len(x))))
        ours = json.loads(subprocess.run([dump, str(data / a), str(data / b)], check=True,
                                         capture_output=True, text=True).stdout)
        theirs = {"lsd": drumblender_lsd(x, y), "mfcc": drumblender_mfcc(x, y, rate_b),
                  "end_level_db": end_level_db(y, rate_b)}
        for key in theirs:
            err = abs(ours[key] - theirs[key]) / max(abs(theirs[key]), 1e-9)
            worst = max(worst, err)
            print(f"{Path(a).name} vs {Path(b).name}: {key} ours {ours[key]:.6g}, reference {theirs[key]:.6g}, "
                  f"rel err {err:.2e} ({err / BOUND:.0%} of {BOUND:g})")
            if err > BOUND:
                print(f"FAIL: {key} differs by {err:.2e}")
                return 1
    print(f"worst relative difference {worst:.2e} (bound {BOUND:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
