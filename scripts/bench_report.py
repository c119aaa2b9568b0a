#!/usr/bin/env python3
"""Turns bench/pytorch/bench.py's JSON lines into bench/results/<device>-<date>.json,
a markdown table beside it, and two plots: throughput against batch size, and
time per iteration against sound length (ours and PyTorch on each).

  bench_report.py RESULTS.jsonl [...] --name NAME [--outdir bench/results] [--note TEXT]
"""
import argparse
import json
import os


def fmt(v, digits=1):
    return "-" if v is None else f"{v:,.{digits}f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inputs", nargs="+")
    ap.add_argument("--name", required=True, help="e.g. nvidia-h100-2026-11-28")
    ap.add_argument("--outdir", default="bench/results")
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    recs = [json.loads(line) for path in a.inputs for line in open(path) if line.strip()]
    os.makedirs(a.outdir, exist_ok=True)
    base = os.path.join(a.outdir, a.name)
    json.dump({"note": a.note, "results": recs}, open(base + ".json", "w"), indent=1)

    rows = ["| batch | seconds | loss | ours (sound-it/s) | ours ms/it | PyTorch eager | PyTorch compile | "
            "ours / eager | ours / compile | GPU MB per sound (ours / eager / compile) |",
            "|---:|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in sorted(recs, key=lambda r: (r["loss_preset"], -r["seconds"], r["batch"])):
        o, e, c = r.get("ours", {}), r.get("pytorch_eager", {}), r.get("pytorch_compile", {})
        mem = " / ".join(fmt(x.get("memory_per_sound_mb")) if x else "-" for x in (o, e, c))
        rows.append(f"| {r['batch']} | {r['seconds']} | {r['loss_preset']} | {fmt(o.get('sound_iterations_per_s'))} "
                    f"| {fmt(o.get('ms_per_iteration'), 2)} | {fmt(e.get('sound_iterations_per_s'))} "
                    f"| {fmt(c.get('sound_iterations_per_s'))} | {fmt(r.get('ratio_vs_pytorch_eager'))} "
                    f"| {fmt(r.get('ratio_vs_pytorch_compile'))} | {mem} |")
    device = recs[0]["device"] if recs else "?"
    torch_v = recs[0].get("torch", "?") if recs else "?"
    md = [f"# {a.name}: ours against PyTorch", "",
          f"Device: {device}; PyTorch {torch_v}. Sound-iterations per second of a whole fit iteration "
          "(logits -> parameters -> synthesis -> loss -> gradient), median of the timed iterations after a "
          "warm-up, 48 kHz sounds. Made by `bench/pytorch/bench.py` and `scripts/bench_report.py`.", ""]
    if a.note:
        md += [a.note, ""]
    lengths = {r["seconds"] for r in recs}
    md += rows + ["", f"![throughput]({a.name}-throughput.png)", ""]
    md += [f"![time per iteration]({a.name}-length.png)" if len(lengths) > 1 else
           "(No plot of time against sound length: this run measured one length.)", ""]
    open(base + ".md", "w").write("\n".join(md))

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    for kind in ("throughput", "length") if len(lengths) > 1 else ("throughput",):
        fig, ax = plt.subplots(figsize=(6, 4))
        for preset, style in (("seed", "-"), ("auraloss", "--")):
            for key, label, marker in (("ours", "ours", "o"), ("pytorch_eager", "PyTorch eager", "s"),
                                       ("pytorch_compile", "PyTorch compile", "^")):
                if kind == "throughput":
                    sel = sorted((r["batch"], r[key]["sound_iterations_per_s"]) for r in recs
                                 if r["loss_preset"] == preset and r["seconds"] == 1.0 and key in r)
                else:
                    b0 = min(r["batch"] for r in recs)
                    sel = sorted((r["seconds"], r[key]["ms_per_iteration"]) for r in recs
                                 if r["loss_preset"] == preset and r["batch"] == b0 and key in r)
                if sel:
                    ax.plot(*zip(*sel), style, marker=marker, label=f"{label} ({preset})")
        if kind == "throughput":
            ax.set(xscale="log", yscale="log", xlabel="batch size (sounds fitted at once)",
                   ylabel="sound-iterations per second", title=f"1.0 s sounds, {device}")
        else:
            ax.set(yscale="log", xlabel="sound length (s)", ylabel="ms per iteration",
                   title=f"batch {min(r['batch'] for r in recs)}, {device}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(f"{base}-{kind}.png", dpi=110)
    print(f"wrote {base}.json, {base}.md and the plots")


if __name__ == "__main__":
    main()
