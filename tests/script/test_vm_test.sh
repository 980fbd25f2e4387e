#!/usr/bin/env bash
# Many processes forking and swapping at once leak no swap.
# Usage: test_vm_test.sh MVM SRC BUILD
#
#   1. The default vm-test (8 processes x 8M heap, RAM 16M, a quarter of
#      the heaps), for three seeds: at the trace's `stat`, with every
#      process still alive, swap in use equals the slots live anons own
#      and children are among them; every `check` passed (each compares
#      the allocator's count with the slots live anons own); the final
#      check, with everyone gone, passed; the read hashes equal those of
#      a run with RAM for everything and no swap.
#   2. The demo's report: leaked slots 0, the series equality at every
#      sample, the checks.
#   3. Small runs under --verify --check-every 1; options and determinism.
. "$(dirname "$0")/lib.sh"

stat_procs() { grep -m1 '^# stat:' "$1" | sed -n 's/.*processes \([0-9]*\).*/\1/p'; }

# 1. The default workload, three seeds.
for seed in 1 2 3; do
	"$mvm" gen vm-test --seed "$seed" > "$tmp/t" || { say_fail "gen vm-test --seed $seed"; continue; }
	start=$SECONDS
	if ! "$mvm" replay --ram 16M "$tmp/t" > "$tmp/out" 2> "$tmp/err"; then
		say_fail "mvm gen vm-test --seed $seed | mvm replay --ram 16M -: $(head -5 "$tmp/err")"
		continue
	fi
	elapsed=$((SECONDS - start))
	inuse=$(swap_field "$tmp/out" "in use")
	owned=$(swap_field "$tmp/out" "owned by live anons")
	procs=$(stat_procs "$tmp/out")
	checks=$(grep -c '^check$' "$tmp/t")
	pageouts=$(grep -c ' madvise .* pageout$' "$tmp/t")
	if [ -z "$inuse" ] || [ "$inuse" != "$owned" ]; then
		say_fail "seed $seed: swap in use '$inuse', owned by live anons '$owned'"
	fi
	# Most of the 64M of heaps is on swap, and children are alive too.
	[ "${inuse:-0}" -ge 8192 ] || say_fail "seed $seed: only '$inuse' slots in use at the end"
	[ "${procs:-0}" -gt 8 ] || say_fail "seed $seed: no children alive at the stat ($procs)"
	[ "$checks" -ge 30 ] && [ "$pageouts" -ge 100 ] ||
		say_fail "seed $seed: $checks checks, $pageouts pageout requests"
	echo "seed $seed: $checks checks passed; $procs processes, swap in use $inuse = owned $owned;" \
		"${elapsed}s"
	if [ "$seed" = 1 ]; then
		# (madvise pageout swaps even with RAM to spare: the reference has no swap.)
		"$mvm" replay --ram 256M --swap 0 "$tmp/t" > "$tmp/roomy" 2> "$tmp/err" ||
			say_fail "seed 1 at 256M without swap: $(head -3 "$tmp/err")"
		grep -v '^#' "$tmp/out" > "$tmp/a"
		grep -v '^#' "$tmp/roomy" > "$tmp/b"
		[ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b" ||
			say_fail "seed 1: output lines differ between RAM 16M and 256M without swap"
	fi
done

# 2. The demo's report.
"$mvm" demo --only vm-test --series "$tmp/s.csv" > "$tmp/demo" 2> "$tmp/demo.err" ||
	say_fail "mvm demo --only vm-test failed: $(head -3 "$tmp/demo.err" "$tmp/demo")"
for want in '^# trace: mvm gen vm-test --procs 8 --rounds 300 --heap 8M ' \
	'^# machine: RAM 16 MiB, swap' \
	'^# leaked slots: 0; after every process exited: 0 slots in use$' \
	'^# swap in use against slots live anons own: equal at ' \
	'^# checker: [0-9]* checks ran, all passed$' \
	'^# vm-test passed'; do
	grep -q -- "$want" "$tmp/demo" || say_fail "demo report lacks /$want/"
done
# One file for the whole demo, first column the scenario: drop it to read the figures.
grep -q '^scenario,' "$tmp/s.csv" && cut -d, -f2- "$tmp/s.csv" > "$tmp/s.vm-test.csv"
series=$tmp/s.vm-test.csv
if [ -f "$series" ]; then
	awk -F, 'NR > 1 && $2 != $3 { bad++ } NR > 1 { rows++ } END { exit !(rows >= 100 && !bad) }' \
		"$series" || say_fail "series: swap in use differs from owned slots, or too few rows"
	awk -F, 'NR > 1 && $4 > 8 { n++ } END { exit !n }' "$series" ||
		say_fail "series: never more processes than the spawned ones"
else
	say_fail "no series file $series"
fi
"$mvm" demo --quick --only vm-test > "$tmp/quick" 2>&1 ||
	say_fail "demo --quick vm-test: $(tail -3 "$tmp/quick")"

# 3. Small runs, every line checked against the reference model.
for seed in 1 2; do
	"$mvm" gen vm-test --procs 4 --rounds 60 --heap 1M --check-every 5 --seed "$seed" |
		"$mvm" replay --ram 1M --verify --check-every 1 - > /dev/null 2> "$tmp/v.err" ||
		say_fail "verify run, seed $seed: $(head -5 "$tmp/v.err")"
done
"$mvm" gen vm-test --seed 3 > "$tmp/d1"
"$mvm" gen vm-test --seed 3 > "$tmp/d2"
cmp -s "$tmp/d1" "$tmp/d2" || say_fail "gen vm-test is not deterministic"
"$mvm" gen vm-test --procs 3 --rounds 20 --heap 1M --check-every 4 > "$tmp/d3"
[ "$(grep -c ' spawn$' "$tmp/d3")" = 3 ] || say_fail "--procs 3"
[ "$(grep -c '^check$' "$tmp/d3")" = 6 ] || say_fail "--check-every 4 with 20 rounds: 5 + final"
[ "$(grep -c ' mmap 0x100000000000 0x100000 ' "$tmp/d3")" = 3 ] || say_fail "--heap 1M"
spawned_exits=$(grep -c '^[123] exit$' "$tmp/d3")
[ "$spawned_exits" = 3 ] || say_fail "every spawned process exits once ($spawned_exits)"
expect_usage() { expect_gen_usage vm-test "$@"; }
expect_usage 'unknown option "--forks" for vm-test' --forks 3
expect_usage '\-\-procs: "0" is not a number from 1' --procs 0
expect_usage '\-\-rounds: "x" is not a number' --rounds x
expect_usage '\-\-heap: "big" is not a size' --heap big

[ $fail = 0 ] && echo "vm-test: all passed"
exit $fail
