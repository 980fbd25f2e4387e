#!/bin/sh
# test_differential.sh MVM_BINARY SOURCE_DIR BUILD_DIR
#
# Linux as the oracle: for seeds 1..N (N = $MVM_DIFF_SEEDS, default 300),
# generate a random trace with `mvm gen random --seed S` (plus --no-files
# when MVM_DIFF_NOFILES=1), replay it with `mvm replay --ram 64M`, with
# `mvm replay --ram 1M` and with native-replay on the host kernel, and
# compare each mvm output with the native one using trace-diff (events
# exactly and in order, maps by content).
#
# With 64M nothing may differ.  With 1M, mvm may legitimately end a
# process for lack of memory (`P killed oom`), which the host never does,
# so that comparison stops at mvm's first `killed` line.
#
# On a divergence the test fails naming the seed and the first differing
# line, and keeps the trace and both outputs in BUILD_DIR/differential/.
# Skips (exit 0) when native-replay cannot use its address window here
# (status 77, e.g. an AddressSanitizer build).
set -u
MVM=$1 SRC=$2 BUILD=$3
NATIVE=$BUILD/native-replay
DIFF=$BUILD/trace-diff
SEEDS=${MVM_DIFF_SEEDS:-300}
GENFLAGS=
[ "${MVM_DIFF_NOFILES:-0}" = 1 ] && GENFLAGS=--no-files
: "$SRC"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/test_differential.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
keep=$BUILD/differential
failures=0

printf '' > "$scratch/empty.trace"
"$NATIVE" "$scratch/empty.trace" > /dev/null 2>&1
case $? in
0) ;;
77) echo "SKIP: native-replay cannot use its address window in this build"; exit 0 ;;
*) echo "FAIL: native-replay fails on an empty trace"; exit 1 ;;
esac

# Records a failing seed: message, and the files to reproduce it.
diverged() {
	seed=$1
	shift
	failures=$((failures + 1))
	mkdir -p "$keep"
	cp "$scratch/t.trace" "$keep/seed-$seed.trace" 2>/dev/null
	cp "$scratch/native.out" "$keep/seed-$seed.native" 2>/dev/null
	[ -f "$scratch/mvm.out" ] && cp "$scratch/mvm.out" "$keep/seed-$seed.mvm"
	if [ $failures -le 10 ]; then
		echo "FAIL seed $seed: $*"
	fi
}

seed=1
while [ $seed -le "$SEEDS" ]; do
	rm -f "$scratch/mvm.out" "$scratch/native.out"
	# shellcheck disable=SC2086
	if ! "$MVM" gen random --seed $seed $GENFLAGS > "$scratch/t.trace" 2> "$scratch/err"; then
		diverged $seed "mvm gen random failed: $(head -c 300 "$scratch/err")"
		seed=$((seed + 1))
		continue
	fi
	if ! "$NATIVE" "$scratch/t.trace" > "$scratch/native.out" 2> "$scratch/err"; then
		diverged $seed "native-replay failed: $(head -c 300 "$scratch/err")"
		seed=$((seed + 1))
		continue
	fi
	for ram in 64M 1M; do
		if ! "$MVM" replay --ram $ram "$scratch/t.trace" > "$scratch/mvm.out" 2> "$scratch/err"; then
			diverged $seed "mvm replay --ram $ram failed: $(head -c 300 "$scratch/err")"
			break
		fi
		mode=
		[ $ram = 1M ] && mode=--until-killed
		# shellcheck disable=SC2086
		if ! "$DIFF" $mode "$scratch/native.out" "$scratch/mvm.out" > "$scratch/diff" 2>&1; then
			diverged $seed "mvm replay --ram $ram differs from Linux" \
				"(A = native, B = mvm):
$(sed 's/^/    /' "$scratch/diff")"
			break
		fi
	done
	seed=$((seed + 1))
done

if [ $failures -ne 0 ]; then
	echo "$failures of $SEEDS seeds diverged; traces and outputs are in $keep"
	exit 1
fi
echo "ok: $SEEDS seeds agree with Linux${GENFLAGS:+ ($GENFLAGS)}"
