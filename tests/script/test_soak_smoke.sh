#!/usr/bin/env bash
# A short soak (scripts/soak, MVM_SOAK_SECONDS, default 120): random
# traces with and without files at several RAM sizes, the scenario
# generators and random --inject schedules, all under the checker and
# (where it can follow) the model.  Passes if no run failed and the soak
# really did what its summary says: it ran operations, created processes,
# paged out, injected faults and checked invariants.
# Usage: test_soak_smoke.sh MVM SRC BUILD
set -u
mvm=$1
src=$2
build=$3
seconds=${MVM_SOAK_SECONDS:-120}
out=$("$src/scripts/soak" --mvm "$mvm" --keep "$build/soak-failures" "$seconds" 2>&1)
status=$?
echo "$out"
line=$(grep '^soak: ' <<< "$out" | tail -1)
field() { sed -n "s/.* $1 \([0-9]*\).*/\1/p" <<< "$line"; }
fail=0
[ "$status" = 0 ] || { echo "FAIL: scripts/soak exited $status (kept in $build/soak-failures)"; fail=1; }
[ "$(field failures)" = 0 ] || { echo "FAIL: failures in the summary"; fail=1; }
for f in operations processes pageouts "injected faults" "invariant checks"; do
	[ "$(field "$f")" -gt 0 ] 2> /dev/null || { echo "FAIL: the soak did nothing of: $f"; fail=1; }
done
runs=$(sed -n 's/^soak: \([0-9]*\) runs.*/\1/p' <<< "$line")
[ "${runs:-0}" -ge 8 ] || { echo "FAIL: only '${runs:-0}' runs in ${seconds}s"; fail=1; }
exit $fail
