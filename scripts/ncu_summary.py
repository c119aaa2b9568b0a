#!/usr/bin/env python3
"""Top kernels of an `ncu --csv --page raw` report (scripts/gpu-check's metrics):
share of GPU time, calls, mean time, DRAM and SM throughput as a share of the
device's peak (ncu's own figures), achieved bandwidth and FP32 rate.

Usage: ncu_summary.py REPORT.csv [--top N] [--fp32-peak-tflops 67]
The FP32 peak is the H100 SXM's 67 TFLOP/s unless given (H200: the same)."""
import argparse
import csv
import io
import sys
from collections import defaultdict

# ncu's unit row (seen on the H100: "ns", "byte", "%", "inst"), to seconds,
# bytes and counts.
SCALE = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0,
         "nsecond": 1e-9, "usecond": 1e-6, "msecond": 1e-3, "second": 1.0,
         "byte": 1.0, "Kbyte": 1e3, "Mbyte": 1e6, "Gbyte": 1e9, "%": 1.0, "": 1.0,
         "inst": 1.0, "Kinst": 1e3, "Minst": 1e6, "Ginst": 1e9}


def read_rows(path):
    text = open(path, errors="replace").read()
    start = text.find('"ID"')
    if start < 0:
        sys.exit(f"{path}: no ncu CSV table found")
    rows = list(csv.reader(io.StringIO(text[start:])))
    header, units, data = rows[0], rows[1], rows[2:]
    out = []
    for r in data:
        if len(r) != len(header):
            continue
        rec = {}
        for h, u, v in zip(header, units, r):
            try:
                rec[h] = float(v.replace(",", "")) * SCALE.get(u, 1.0)
            except ValueError:
                rec[h] = v
        out.append(rec)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--top", type=int, default=5)
    ap.add_argument("--fp32-peak-tflops", type=float, default=67.0)
    a = ap.parse_args()
    rows = read_rows(a.report)
    agg = defaultdict(lambda: defaultdict(float))
    for r in rows:
        name = str(r.get("Kernel Name", "?")).split("(")[0]
        k = agg[name]
        t = r.get("gpu__time_duration.sum", 0.0)
        k["calls"] += 1
        k["time"] += t
        k["dram_pct_t"] += r.get("dram__throughput.avg.pct_of_peak_sustained_elapsed", 0.0) * t
        k["sm_pct_t"] += r.get("sm__throughput.avg.pct_of_peak_sustained_elapsed", 0.0) * t
        k["bytes"] += r.get("dram__bytes.sum", 0.0)
        k["flop"] += (2 * r.get("smsp__sass_thread_inst_executed_op_ffma_pred_on.sum", 0.0)
                      + r.get("smsp__sass_thread_inst_executed_op_fadd_pred_on.sum", 0.0)
                      + r.get("smsp__sass_thread_inst_executed_op_fmul_pred_on.sum", 0.0))
    total = sum(k["time"] for k in agg.values()) or 1.0
    print(f"{len(rows)} kernel launches profiled, {total * 1e3:.3f} ms of GPU time in all\n")
    print("| kernel | share of time | calls | mean µs | DRAM % of peak | SM % of peak | GB/s | GFLOP/s (FP32) | % of FP32 peak |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, k in sorted(agg.items(), key=lambda kv: -kv[1]["time"])[: a.top]:
        t = k["time"] or 1e-30
        gflops = k["flop"] / t / 1e9
        print(f"| {name} | {100 * k['time'] / total:.1f}% | {int(k['calls'])} | {1e6 * t / k['calls']:.1f} "
              f"| {k['dram_pct_t'] / t:.1f} | {k['sm_pct_t'] / t:.1f} | {k['bytes'] / t / 1e9:.0f} "
              f"| {gflops:.0f} | {100 * gflops / (a.fp32_peak_tflops * 1e3):.1f} |")


if __name__ == "__main__":
    main()
