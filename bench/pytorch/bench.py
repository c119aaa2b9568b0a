#!/usr/bin/env python3
"""Ours against PyTorch, in one run on one device: sound-iterations per second of
a whole fit iteration (logits -> parameters -> synthesis -> MRSTFT loss ->
gradient of every sound's loss with respect to its logits), for each batch
size, sound length and loss preset; PyTorch eagerly and, on request, under
torch.compile (the source, noise and loss; the resonator, an exact filter in
the frequency domain since the peer was strengthened, is a few complex FFT
operations and stays eager). The peer's loss and gradients are checked
against the C++ by tests/python/compare_pytorch.py. Writes one JSON object per
measurement to --out as it goes, so a run cut short keeps what it measured.

  bench.py --device cuda --out results.jsonl [--drumsynth PATH]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import drum_model as dm  # noqa: E402

RATE = 48000.0


def ours(drumsynth, device, batch, seconds, preset, iterations, threads, kernels="v1"):
    cmd = [drumsynth, "bench", "--device", device, "--batch", str(batch), "--seconds", str(seconds),
           "--loss-preset", preset, "--iterations", str(iterations), "--json"]
    if device == "cuda":
        cmd += ["--kernels", kernels]
    if device == "cpu":
        cmd += ["--threads", str(threads)]
    r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    return r


def pytorch(device, batch, seconds, preset, iterations, compiled):
    n = int(seconds * RATE)
    gen = torch.Generator().manual_seed(1)
    white = torch.stack([torch.from_numpy(dm.white_noise(b, n)) for b in range(batch)]).to(device)
    with torch.no_grad():
        zt = torch.randn(batch, dm.N_PARAMS, generator=gen).to(device)
        targets = dm.synthesize(dm.params_from_logits(zt), n, RATE, white)
    loss_fn = dm.MrstftLoss(preset, targets, RATE)
    sn, loss = dm.source_and_noise, loss_fn
    if compiled:
        sn, loss = torch.compile(dm.source_and_noise), torch.compile(loss_fn)
    z = torch.randn(batch, dm.N_PARAMS, generator=gen).to(device).requires_grad_(True)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    base = torch.cuda.memory_allocated() if device == "cuda" else 0

    def step():
        z.grad = None
        x = dm.synthesize(dm.params_from_logits(z), n, RATE, white, sn)
        loss(x).sum().backward()

    t0 = time.perf_counter()
    step()  # warm-up (and compilation)
    sync()
    warm = time.perf_counter() - t0
    times = []
    for _ in range(iterations):
        t0 = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    mem = (torch.cuda.max_memory_allocated() - base) / batch / 1e6 if device == "cuda" else 0.0
    return {"ms_per_iteration": 1e3 * med, "ms_min": 1e3 * min(times), "ms_max": 1e3 * max(times),
            "iterations": len(times), "sound_iterations_per_s": batch / med,
            "memory_per_sound_mb": mem, "first_call_s": warm}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--out", required=True)
    ap.add_argument("--drumsynth", default="build/drumsynth")
    ap.add_argument("--batches", default=None, help="comma list (default: 1,64,1024 GPU; 1,2 CPU)")
    ap.add_argument("--seconds", default="0.25,1.0")
    ap.add_argument("--presets", default="seed,auraloss")
    ap.add_argument("--iterations", type=int, default=10, help="timed iterations (median, min and max reported)")
    ap.add_argument("--kernels", default="v1",
                    help="comma list of our GPU kernels to time; the first is 'ours' in the ratios, each is ours_<k>")
    ap.add_argument("--compile", default="", help="comma list of batch sizes also run under torch.compile")
    a = ap.parse_args()
    batches = [int(b) for b in (a.batches or ("1,64,1024" if a.device == "cuda" else "1,2")).split(",")]
    compile_batches = {int(b) for b in a.compile.split(",") if b}
    dev_name = torch.cuda.get_device_name(0) if a.device == "cuda" else "cpu"
    with open(a.out, "a") as out:
        for preset in a.presets.split(","):
            for seconds in [float(s) for s in a.seconds.split(",")]:
                for batch in batches:
                    # On the CPU, batch B runs on B threads (ours) / B intra-op threads (PyTorch).
                    threads = batch if a.device == "cpu" else 1
                    if a.device == "cpu":
                        torch.set_num_threads(threads)
                    rec = {"device": dev_name, "batch": batch, "seconds": seconds, "loss_preset": preset,
                           "torch": torch.__version__}
                    kernels = a.kernels.split(",") if a.device == "cuda" else ["v1"]
                    for k in kernels:
                        try:
                            rec["ours_" + k] = ours(a.drumsynth, a.device, batch, seconds, preset,
                                                    max(10, a.iterations), threads, k)
                        except Exception as e:  # noqa: BLE001 - recorded, the run goes on
                            rec["ours_" + k + "_error"] = str(e)[-300:]
                    if "ours_" + kernels[0] in rec:
                        rec["ours"] = rec["ours_" + kernels[0]]
                    modes = [False] + ([True] if batch in compile_batches else [])
                    for compiled in modes:
                        key = "pytorch_compile" if compiled else "pytorch_eager"
                        try:
                            rec[key] = pytorch(a.device, batch, seconds, preset, a.iterations, compiled)
                        except Exception as e:  # noqa: BLE001
                            rec[key + "_error"] = f"{type(e).__name__}: {str(e)[-300:]}"
                        if a.device == "cuda":
                            torch.cuda.empty_cache()
                    for key in ("pytorch_eager", "pytorch_compile"):
                        if key in rec and "ours" in rec:
                            rec["ratio_vs_" + key] = (rec["ours"]["sound_iterations_per_s"] /
                                                      rec[key]["sound_iterations_per_s"])
                    print(json.dumps(rec), flush=True)
                    out.write(json.dumps(rec) + "\n")
                    out.flush()


if __name__ == "__main__":
    main()
