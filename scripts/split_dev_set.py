#!/usr/bin/env python3
"""Splits the development set once into a tuning part and a held-back part
(issue 15): bench/dev-split.csv, one row per sound: part, category, file
(relative to ../shared/data). Written once, before any result on the held-back
part was looked at, and committed; the quality benchmark reads it. Within each
category the sounds are ordered by a hash of their path and alternate between
the parts, so both parts hold every category. The four seed inputs are the
demo's, looked at often: they stay in the tuning part.

Usage: scripts/split_dev_set.py [SHARED_DATA]  (rewrites bench/dev-split.csv)
"""
import hashlib
import sys
from pathlib import Path

AUDIO = {".wav", ".flac", ".aif", ".aiff", ".ogg"}
# First match wins: the name's words, lower-cased.
CATEGORIES = [
    ("kick", ["kick", "bass drum", "bd"]),
    ("snare", ["snare", "sabmute", "rim"]),
    ("tom", ["tom", "conga", "bongo", "djembe", "drum_", "timpan", "frame_drum", "cajonthumps"]),
    ("hat", ["hat", "hh"]),
    ("cymbal", ["crash", "ride", "cymbal", "splash", "china"]),
    ("clap", ["clap", "snap"]),
]


def category(path):
    name = path.name.lower()
    for cat, words in CATEGORIES:
        if any(w in name for w in words):
            return cat
    return "percussion"


def main():
    data = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / ".." / "shared" / "data")
    rows = []
    by_cat = {}
    for f in sorted((data / "drums-dev").rglob("*")):
        if f.suffix.lower() in AUDIO:
            rel = f.relative_to(data).as_posix()
            by_cat.setdefault(category(f), []).append(rel)
    for cat, files in sorted(by_cat.items()):
        files.sort(key=lambda r: hashlib.sha256(r.encode()).hexdigest())
        for i, rel in enumerate(files):
            rows.append(("held-back" if i % 2 else "tuning", cat, rel))
    for f in sorted((data / "seed-inputs").glob("*")):
        if f.suffix.lower() in AUDIO:
            rows.append(("tuning", category(f), f.relative_to(data).as_posix()))
    out = Path(__file__).resolve().parents[1] / "bench" / "dev-split.csv"
    with open(out, "w") as o:
        o.write("part,category,file\n")
        for r in sorted(rows, key=lambda r: r[2]):
            o.write(",".join(r) + "\n")
    counts = {}
    for part, cat, _ in rows:
        counts[(part, cat)] = counts.get((part, cat), 0) + 1
    for (part, cat), n in sorted(counts.items()):
        print(f"{part:10s} {cat:11s} {n}")


if __name__ == "__main__":
    main()
