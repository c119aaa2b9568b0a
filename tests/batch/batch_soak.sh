#!/usr/bin/env bash
# Kill/resume soak of `drumsynth batch` (issue 16): N sounds of mixed formats,
# the batch killed with SIGKILL at random moments KILLS times and interrupted
# with SIGINT INTS times, resumed each time, then run to the end. Then: every
# sound has exactly one preset, every preset reads and renders, no temporary
# file remains, the summary lists every sound once, and the log tells the
# story (a start line per run, each interruption).
#   batch_soak.sh DRUMSYNTH MAKE_SOUNDS [N KILLS INTS]
set -uo pipefail
ds=$1 make_sounds=$2 n=${3:-200} kills=${4:-20} ints=${5:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
in=$work/in out=$work/out
"$make_sounds" "$in" "$n" || exit 1
RANDOM=11  # the interruptions' moments, the same every run
# From random logits: the soak is about interruptions, and the analysis' glide
# search (about 0.25 s a sound, several times that under the sanitizers) made
# it the slowest test of CI.
args=(batch "$in" -o "$out" --iterations 3 --init random --jobs 2 --device cpu --quiet)
total=$((kills + ints)) n_int=0 n_kill=0
for ((k = 0; k < total; ++k)); do
  "$ds" "${args[@]}" >/dev/null 2>&1 &  # the command itself, so the signal reaches it
  pid=$!
  sleep "0.$((RANDOM % 9 + 1))"
  if ((n_int < ints && (k % 5 == 4 || total - k <= ints - n_int))); then
    sig=INT n_int=$((n_int + 1))
  else
    sig=KILL n_kill=$((n_kill + 1))
  fi
  kill -s "$sig" "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  echo "run $((k + 1)): $sig after $(find "$out" -name '*.preset.json' 2>/dev/null | wc -l) presets"
done
"$ds" "${args[@]}" || { echo "FAIL: the final run exited with $?"; exit 1; }
fail() { echo "FAIL: $*"; exit 1; }
sounds=$(find "$in" -type f | wc -l)
presets=$(find "$out" -name '*.preset.json' | wc -l)
[[ $sounds -eq $n && $presets -eq $n ]] || fail "$sounds sounds, $presets presets"
for f in $(find "$in" -type f); do
  rel=${f#$in/}
  count=$(find "$out/$(dirname "$rel")" -maxdepth 1 -name "$(basename "${rel%.*}").preset.json" | wc -l)
  [[ $count -eq 1 ]] || fail "$rel has $count presets"
done
temporaries=$(find "$out" -name '*.tmp-*' | wc -l)
[[ $temporaries -eq 0 ]] || fail "$temporaries temporary files remain"
bad=0
for p in $(find "$out" -name '*.preset.json'); do
  "$ds" render "$p" -o "$work/render.wav" --quiet 2>/dev/null || { echo "does not render: $p"; bad=$((bad + 1)); }
done
[[ $bad -eq 0 ]] || fail "$bad presets do not render"
rows=$(($(wc -l <"$out/summary.csv") - 1))
unique=$(tail -n +2 "$out/summary.csv" | cut -d, -f1 | sort -u | wc -l)
[[ $rows -eq $n && $unique -eq $n ]] || fail "summary: $rows rows, $unique distinct sounds"
log=$out/drumsynth-batch.log
starts=$(grep -c "batch .* -> " "$log")
interrupted=$(grep -c "interrupted:" "$log")
echo "log: $starts runs started, $interrupted interruptions recorded, $(grep -c ': ok loss' "$log") sounds fitted," \
  "$(grep -c 'half-written' "$log") runs cleaned up after a killed one"
[[ $interrupted -ge 1 ]] || fail "the log records no interruption"
echo "soak passed: $n_kill SIGKILLs and $n_int SIGINTs survived; $n sounds, one preset each, all render"
