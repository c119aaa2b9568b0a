#!/usr/bin/env python3
"""The PyTorch peer's time per fit iteration of one 1.0 s, 48 kHz sound on the
CPU, per loss preset and thread count (torch.set_num_threads), for the ratio
in bench/results/cpu.md. One JSON line per measurement on stdout:
  {"loss_preset": "seed", "threads": 1, "ms_per_iteration": 371.2, "torch": "1.13.0a0"}
The peer is bench/pytorch/drum_model.py: our model and loss in PyTorch, eager,
autograd for the gradient (the original's code is not in this repository; the
peer does the same work per iteration: synthesis, an auraloss-style MRSTFT
loss, the backward pass).

  /usr/bin/python3 bench/pytorch/cpu_iteration.py [--iterations 7]
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iterations", type=int, default=7)
    ap.add_argument("--presets", default="seed,auraloss")
    ap.add_argument("--threads", default="1,2")
    a = ap.parse_args()
    for preset in a.presets.split(","):
        for threads in [int(t) for t in a.threads.split(",")]:
            torch.set_num_threads(threads)
            r = bench.pytorch("cpu", 1, 1.0, preset, a.iterations, False)
            print(json.dumps({"loss_preset": preset, "threads": threads,
                              "ms_per_iteration": r["ms_per_iteration"], "torch": torch.__version__}),
                  flush=True)


if __name__ == "__main__":
    main()
