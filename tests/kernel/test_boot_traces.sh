#!/usr/bin/env bash
# test_boot_traces.sh MVM SOURCE_DIR BUILD_DIR
#
# Every hand-written trace of tests/trace that needs no file and no swap
# (no NAME.args, no file operation) boots under --verify --check-every 1
# and prints exactly its .expected.  Then the hardware tests of this
# folder (hw_*.trace: the real TLB, frame reuse, fork isolation, table
# pages freed) print exactly what `mvm replay` prints, under the model and
# the kernel's checker (which walks the real page tables) after every
# operation; and the two TLB tests must fail when the kernel skips invlpg
# on purpose (--inject-stale-tlb), or they would prove nothing.
. "$(dirname "$0")/lib.sh"
count=0

for trace in "$src"/tests/trace/*.trace; do
	base=${trace%.trace}
	[ -f "$base.args" ] && continue
	grep -qE '^[^#]*\b(file|pread|pwrite)\b' "$trace" && continue
	count=$((count + 1))
	"$mvm" boot --verify --check-every 1 "$trace" > "$tmp/out" 2> "$tmp/err"
	status=$?
	if [ $status != 0 ] || ! cmp -s "$tmp/out" "$base.expected"; then
		say_fail "$(basename "$trace"): exit $status, output:"
		diff "$base.expected" "$tmp/out" | head -10
		head -5 "$tmp/err"
	fi
done

for trace in "$(dirname "$0")"/hw_*.trace; do
	name=$(basename "$trace")
	count=$((count + 1))
	"$mvm" replay --swap 0 "$trace" > "$tmp/want"
	"$mvm" boot --verify --check-every 1 "$trace" > "$tmp/out" 2> "$tmp/err"
	status=$?
	if [ $status != 0 ] || ! cmp -s "$tmp/out" "$tmp/want"; then
		say_fail "$name: exit $status, output differs from mvm replay:"
		diff "$tmp/want" "$tmp/out" | head -10
		head -5 "$tmp/err"
	fi
done

for name in hw_mprotect_tlb hw_munmap_reuse; do
	"$mvm" boot "$(dirname "$0")/$name.trace" > "$tmp/good"
	"$mvm" boot --inject-stale-tlb "$(dirname "$0")/$name.trace" > "$tmp/stale"
	cmp -s "$tmp/good" "$tmp/stale" &&
		say_fail "$name passes with a stale TLB: it does not test the TLB"
done
echo "$count traces booted"
exit $fail
