#!/usr/bin/env python3
"""Target and render side by side as log-magnitude spectrograms (PNG), so a fit
can be judged by eye. Usage: spectrogram.py TARGET RENDER OUT.png
Needs python3-scipy and python3-matplotlib (Debian). Reads WAV files (the
renders are WAV; other target formats are skipped with a message)."""
import sys

import numpy as np
import scipy.io.wavfile
import scipy.signal
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def load(path):
    rate, x = scipy.io.wavfile.read(path)
    if x.dtype.kind == "i":
        x = x / float(np.iinfo(x.dtype).max + 1)
    elif x.dtype.kind == "u":
        x = (x - 128.0) / 128.0
    if x.ndim == 2:
        x = x.mean(axis=1)
    return rate, x.astype(np.float64)


def main():
    target, render, out = sys.argv[1:4]
    if not target.lower().endswith(".wav"):
        print(f"{target}: not a WAV file, no spectrogram")
        return
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for ax, path, title in zip(axes, (target, render), ("target", "render")):
        rate, x = load(path)
        f, t, s = scipy.signal.spectrogram(x, rate, nperseg=1024, noverlap=768)
        ax.pcolormesh(t, f, 10 * np.log10(s + 1e-12), shading="auto", vmin=-120, vmax=-20, cmap="magma")
        ax.set_yscale("symlog", linthresh=200)
        ax.set_ylim(20, rate / 2)
        ax.set_title(f"{title}: {path.split('/')[-1]}")
        ax.set_xlabel("s")
    axes[0].set_ylabel("Hz")
    fig.tight_layout()
    fig.savefig(out, dpi=80)


if __name__ == "__main__":
    main()
