#!/usr/bin/env bash
# Scale-out of `drumsynth batch` under mpirun (issue 20), on this CPU machine:
#  1. `mpirun -n 2` gives the presets of a single-process run, bit for bit,
#     and one merged summary listing every sound once, as that run's does;
#  2. a job with one rank killed (SIGKILL) mid-run exits non-zero, rank 0
#     naming the sounds nobody reported; rerun with another rank count (1,
#     then 2 for a third run's check), it finishes the set with nothing
#     fitted twice: presets written before the kill are untouched.
#   mpi_batch.sh DRUMSYNTH MAKE_SOUNDS
set -uo pipefail
ds=$1 make_sounds=$2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$make_sounds" "$work/in" 24 || exit 1
args=(--iterations 12 --device cpu --quiet --no-report)

# 1. Two ranks against one process.
"$ds" batch "$work/in" -o "$work/one" "${args[@]}" || fail "single-process run exited with $?"
mpirun -n 2 "$ds" batch "$work/in" -o "$work/two" "${args[@]}" || fail "mpirun -n 2 exited with $?"
n=$(find "$work/in" -type f | wc -l)
[[ $(find "$work/two" -name '*.preset.json' | wc -l) -eq $n ]] || fail "mpirun -n 2 wrote $(find "$work/two" -name '*.preset.json' | wc -l) presets for $n sounds"
for p in $(cd "$work/one" && find . -name '*.preset.json'); do
  cmp -s "$work/one/$p" "$work/two/$p" || fail "$p differs between 1 process and 2 ranks"
done
# The same summary but for the seconds column; one summary, by rank 0.
strip() { cut -d, -f1-5 "$1"; }
diff <(strip "$work/one/summary.csv") <(strip "$work/two/summary.csv") || fail "the merged summary differs"
[[ $(grep -c "in each of 2 ranks" "$work/two/drumsynth-batch.log") -eq 1 ]] || fail "the log has no job start line"
[[ $(grep -c ": ok loss" "$work/two/drumsynth-batch.log") -eq $n ]] || fail "rank 0's log does not list every sound"
echo "mpirun -n 2: $n presets identical to one process's; one merged summary"

# 2. Kill rank 1 once both ranks have written presets, rerun with 1 rank.
mpirun -n 2 "$ds" batch "$work/in" -o "$work/killed" --iterations 120 --device cpu --quiet --no-report >/dev/null 2>&1 &
job=$!
for _ in $(seq 600); do
  [[ $(find "$work/killed" -name '*.preset.json' 2>/dev/null | wc -l) -ge 4 ]] && break
  sleep 0.1
done
victim=""
for pid in $(pgrep -f "drumsynth batch $work/in -o $work/killed"); do
  tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1" && victim=$pid
done
[[ -n $victim ]] || fail "rank 1 not found"
kill -KILL "$victim"
wait "$job"
status=$?
[[ $status -ne 0 ]] || fail "the job with a killed rank exited 0"
# Rank 0, stopped by mpirun's SIGTERM, names the sounds nobody reported.
grep -q "not reported by the rank that had them: " "$work/killed/drumsynth-batch.log" ||
  fail "rank 0 did not name the missing sounds"
before=$(find "$work/killed" -name '*.preset.json' | wc -l)
[[ $before -lt $n ]] || fail "every sound was done before the kill; nothing left to test"
mkdir -p "$work/saved" && (cd "$work/killed" && find . -name '*.preset.json' -exec cp --parents {} "$work/saved" \;)
"$ds" batch "$work/in" -o "$work/killed" --iterations 120 --device cpu --quiet --no-report || fail "the rerun (1 rank) exited with $?"
[[ $(find "$work/killed" -name '*.preset.json' | wc -l) -eq $n ]] || fail "the rerun left sounds without presets"
for p in $(cd "$work/saved" && find . -name '*.preset.json'); do
  cmp -s "$work/saved/$p" "$work/killed/$p" || fail "$p was fitted twice"
done
[[ $(grep -c "$before already done" "$work/killed/drumsynth-batch.log") -eq 1 ]] || fail "the rerun did not skip the $before done"
mpirun -n 2 "$ds" batch "$work/in" -o "$work/killed" "${args[@]}" || fail "a third run (2 ranks) exited with $?"
grep -q "$n already done" "$work/killed/drumsynth-batch.log" || fail "the third run refitted something"
echo "killed rank: job exit $status, $before of $n presets kept, the rest fitted by the rerun, none twice"
