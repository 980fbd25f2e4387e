#!/bin/sh
# test_fragmentation.sh MVM_BINARY SOURCE_DIR BUILD_DIR
#
# The fragmentation workload and its report:
#   - `mvm gen fragmentation` is deterministic (same seed, same bytes;
#     another seed, another trace) and refuses bad options with status 2;
#   - its trace replays under --verify --check-every 1 (the reference
#     model agrees, and the checker, which holds every map to invariant 5,
#     passes after every operation);
#   - Linux agrees on what every `maps` shows (native-replay and
#     trace-diff, when this build can use the native window);
#   - `mvm demo --only fragmentation --quick` passes, says the minimum was
#     reached at every sampled point with nothing above it, and its
#     --series file shows, row by row, entries == minimum <= clip-only,
#     with the clip-only map ending several times larger.
set -u
MVM=$1 BUILD=$3
: "$2"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/test_fragmentation.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
fails=0

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# Determinism and options.
"$MVM" gen fragmentation --seed 7 --rounds 300 > "$scratch/a.trace" || fail "gen exit status"
"$MVM" gen fragmentation --seed 7 --rounds 300 > "$scratch/b.trace"
"$MVM" gen fragmentation --seed 8 --rounds 300 > "$scratch/c.trace"
cmp -s "$scratch/a.trace" "$scratch/b.trace" || fail "the same seed gave two traces"
cmp -s "$scratch/a.trace" "$scratch/c.trace" && fail "two seeds gave the same trace"
head -1 "$scratch/a.trace" | grep -qx 'mvm-trace 1' || fail "no header line"
"$MVM" gen fragmentation --bogus > /dev/null 2> "$scratch/err"
[ $? -eq 2 ] && grep -q 'unknown option "--bogus" for fragmentation' "$scratch/err" ||
	fail "a bad option: $(cat "$scratch/err")"
"$MVM" gen fragmentation --rounds many > /dev/null 2> "$scratch/err"
[ $? -eq 2 ] && grep -q '\-\-rounds: "many" is not a number' "$scratch/err" ||
	fail "a bad number: $(cat "$scratch/err")"

# The workload under the model and the checker.
"$MVM" gen fragmentation --seed 3 --rounds 2000 > "$scratch/f.trace"
for kind in spawn fork exec exit mmap munmap mprotect madvise write read maps check; do
	grep -q "^[0-9]* $kind\|^$kind" "$scratch/f.trace" || fail "the trace has no $kind"
done
for advice in dontneed dontfork dofork; do
	grep -q " madvise .* $advice\$" "$scratch/f.trace" || fail "the trace has no madvise $advice"
done
"$MVM" replay --verify --check-every 1 "$scratch/f.trace" > "$scratch/f.out" 2> "$scratch/f.err" ||
	fail "replay: $(head -3 "$scratch/f.err")"
grep -q '^1 map ' "$scratch/f.out" || fail "replay printed no map lines"
grep -q ' segv \| error \| killed ' "$scratch/f.out" && fail "the workload should never fail an operation"

# Linux agrees on the contents of every map.
if [ -x "$BUILD/native-replay" ] && [ -x "$BUILD/trace-diff" ]; then
	mkdir "$scratch/tmp"
	TMPDIR=$scratch/tmp "$BUILD/native-replay" "$scratch/f.trace" > "$scratch/f.native" 2> "$scratch/n.err"
	case $? in
	0) "$BUILD/trace-diff" "$scratch/f.out" "$scratch/f.native" > "$scratch/diff" 2>&1 ||
		fail "mvm and Linux differ: $(head -5 "$scratch/diff")" ;;
	77) echo "skip: native-replay cannot use its window in this build" ;;
	*) fail "native-replay: $(head -3 "$scratch/n.err")" ;;
	esac
fi

# The demo's report and series.
"$MVM" demo --only fragmentation --quick --series "$scratch/s.csv" > "$scratch/demo.out" 2>&1 ||
	fail "the demo failed: $(grep -i 'fail\|bug' "$scratch/demo.out" | head -3)"
grep -q '^# fragmentation passed' "$scratch/demo.out" || fail "the demo did not pass"
line=$(grep '^# minimum reached at ' "$scratch/demo.out")
reached=$(echo "$line" | sed -n 's/^# minimum reached at \([0-9]*\) of \([0-9]*\) .*/\1 \2/p')
set -- $reached
[ $# -eq 2 ] && [ "$1" = "$2" ] && [ "$2" -gt 100 ] || fail "minimum not reached everywhere: $line"
grep -q 'sharing forbade a join: 0; for no known reason: 0' "$scratch/demo.out" ||
	fail "points above the minimum: $(grep 'above the minimum' "$scratch/demo.out")"
# One file for the whole demo, first column the scenario: drop it to read the figures.
grep -q '^scenario,' "$scratch/s.csv" && cut -d, -f2- "$scratch/s.csv" > "$scratch/s.fragmentation.csv"
csv=$scratch/s.fragmentation.csv
[ -s "$csv" ] || fail "no series file $csv"
head -1 "$csv" | grep -q '^ops,entries,minimum,clip_only,' || fail "series columns: $(head -1 "$csv")"
awk -F, 'NR > 1 && ($2 != $3 || $4 < $3 || $5 != $6) { bad++ }
	 NR > 1 { rows++; e = $2; c = $4 }
	 END { exit !(rows > 100 && bad == 0 && c > 2 * e) }' "$csv" ||
	fail "series rows break entries == minimum <= clip-only, or the clip-only map did not grow"

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "ok: fragmentation workload, replay, Linux and the demo's report"
