#!/bin/sh
# test_bench_smoke.sh MVM_BINARY SOURCE_DIR BUILD_DIR
#
# Runs the benchmarks at tiny sizes (MVM_BENCH_QUICK=1) so that one that
# breaks -- crashes, trips the consistency checker, or stops printing its
# figures -- fails the suite.  Nothing is timed: a figure's value is never
# judged, only that each benchmark exits 0 and prints at least one
# well-formed figure line:
#   figure: VALUE UNIT | host peer: VALUE UNIT | ratio X | target Y
# (`host peer: none | ratio -` where there is no host peer).
#
# The benchmarks built on bench/bench_common.h honour quick mode and
# print figure lines; those are run.  Others (standalone micro-benchmarks
# with their own output) are listed as skipped.  The three foundation
# benchmarks must be among those run.
set -u
SRC=$2 BUILD=$3
: "$1"

figure_re='^figure: [0-9][0-9.]* [^|]+ [|] host peer: (none|[0-9][0-9.]* [^|]+) [|] ratio ([0-9][0-9.]*|-) [|] target [^|]+$'
scratch=$(mktemp -d "${TMPDIR:-/tmp}/test_bench_smoke.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
runner=
command -v timeout > /dev/null && runner="timeout 120"
fails=0
ran=" "

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

for src in "$SRC"/bench/bench_*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	if ! grep -q 'bench_common\.h\|MVM_BENCH_QUICK' "$src"; then
		echo "skip: $name (no quick mode)"
		continue
	fi
	if [ ! -x "$BUILD/$name" ]; then
		fail "$name: $BUILD/$name was not built"
		continue
	fi
	MVM_BENCH_QUICK=1 $runner "$BUILD/$name" > "$scratch/out" 2> "$scratch/err"
	status=$?
	ran="$ran$name "
	if [ $status -ne 0 ]; then
		fail "$name: exit status $status"
		sed 's/^/    /' "$scratch/err"
		continue
	fi
	if ! grep -q '^figure: ' "$scratch/out"; then
		fail "$name: printed no figure line"
		continue
	fi
	grep '^figure: ' "$scratch/out" | grep -Ev "$figure_re" > "$scratch/bad"
	if [ -s "$scratch/bad" ]; then
		fail "$name: malformed figure line: $(head -1 "$scratch/bad")"
		continue
	fi
	echo "ok: $name ($(grep -c '^figure: ' "$scratch/out") figures)"
done

for required in bench_fault bench_fork bench_replay; do
	case $ran in
	*" $required "*) ;;
	*) fail "$required did not run" ;;
	esac
done

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
