#!/usr/bin/env bash
# Scaling of `drumsynth batch` from 1 to 2 MPI ranks on this machine (issue 20):
# the same total work (N generated sounds, ITERATIONS iterations, CPU) fitted
# by 1 rank with 1 worker, by 2 ranks with 1 worker each, and, for
# comparison, by 1 rank with 2 workers. Efficiency = T(1 rank) / (2 T(2 ranks)).
#   bench/mpi_scaling.sh DRUMSYNTH MAKE_SOUNDS [N ITERATIONS]  (markdown on stdout)
set -euo pipefail
ds=$1 make_sounds=$2 n=${3:-24} iterations=${4:-100}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$make_sounds" "$work/in" "$n"
args=(--iterations "$iterations" --device cpu --quiet --no-report)
timed() {
  local start=$(date +%s.%N)
  "$@" >/dev/null
  echo "$(date +%s.%N) - $start" | bc
}
t1=$(timed "$ds" batch "$work/in" -o "$work/r1" --jobs 1 "${args[@]}")
t2=$(timed mpirun -n 2 "$ds" batch "$work/in" -o "$work/r2" --jobs 2 "${args[@]}")  # 1 worker per rank
tt=$(timed "$ds" batch "$work/in" -o "$work/t2" --jobs 2 "${args[@]}")
for p in $(cd "$work/r1" && find . -name '*.preset.json'); do
  cmp -s "$work/r1/$p" "$work/r2/$p" || { echo "presets differ: $p" >&2; exit 1; }
done
echo "| run | wall s | speed-up | efficiency |"
echo "|---|---:|---:|---:|"
echo "| 1 rank, 1 worker | $(printf %.1f "$t1") | 1.00 | 1.00 |"
echo "| 2 ranks (mpirun -n 2), 1 worker each | $(printf %.1f "$t2") | $(echo "$t1 / $t2" | bc -l | xargs printf %.2f) | $(echo "$t1 / (2 * $t2)" | bc -l | xargs printf %.2f) |"
echo "| 1 rank, 2 workers (threads) | $(printf %.1f "$tt") | $(echo "$t1 / $tt" | bc -l | xargs printf %.2f) | $(echo "$t1 / (2 * $tt)" | bc -l | xargs printf %.2f) |"
