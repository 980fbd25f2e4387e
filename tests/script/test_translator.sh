#!/usr/bin/env bash
# An ext2fs translator under heavy I/O on too little RAM must keep its
# dirty pages within --dirty-max and its data_returns in flight within
# --pager-inflight at every step, must send no anonymous page to swap
# while a clean file page is resident, and must complete.
# Usage: test_translator.sh MVM SRC BUILD
#
#   1. `mvm gen translator | mvm replay --stat` at the RAM the trace is
#      meant for, with the default bounds and with small ones (16 pages
#      and 2, 1% and 1): from the final statistics, the core's peak dirty
#      <= the bound, the core's and the pager's peak in flight <= the cap,
#      no anonymous pageout with clean file pages resident, no process
#      killed, exit 0; and the bounds and the rule were put to the test
#      (writers throttled, anonymous pages did go to swap).  The output
#      lines equal those of a run with RAM for everything (transparency).
#   2. Tiny runs under --verify --check-every 1 with the smallest bounds.
#   3. The demo's report and its series (every sample within the bounds).
#   4. Generator options and determinism.
. "$(dirname "$0")/lib.sh"


# The number after PATTERN (a sed regex) in the first line of FILE that
# matches LINE-PATTERN.
field() { # FILE LINE-PATTERN PATTERN
	grep -m1 -- "$2" "$1" | sed -n "s/.*$3 \([0-9][0-9]*\).*/\1/p"
}

# Checks the bounds and the rule from a run's final `stat` in FILE; sets
# the variables the callers look at.
check_stat() { # NAME FILE
	local name=$1 f=$2
	dirty_peak=$(field "$f" '^# file cache: dirty' '(peak')
	dirty_max=$(field "$f" '^# file cache: dirty' 'bound')
	core_peak=$(field "$f" '^# file cache: returns in flight' 'per pager peak')
	cap=$(field "$f" '^# file cache: returns in flight' '(cap')
	pager_peak=$(field "$f" '^# file pager 0:' 'returns in flight [0-9]* (peak')
	throttled=$(field "$f" '^# file cache: returns in flight' 'writers throttled')
	violations=$(field "$f" '^# file cache: returns in flight' 'clean file pages were resident')
	anon_out=$(field "$f" '^# swap: pages out' 'pages out')
	for v in "$dirty_peak" "$dirty_max" "$core_peak" "$cap" "$pager_peak" "$throttled" \
		"$violations" "$anon_out"; do
		[ -n "$v" ] || { say_fail "$name: cannot read the statistics"; return 1; }
	done
	local ok=0
	[ "$dirty_peak" -le "$dirty_max" ] ||
		{ say_fail "$name: peak dirty $dirty_peak > bound $dirty_max"; ok=1; }
	[ "$core_peak" -le "$cap" ] && [ "$pager_peak" -le "$cap" ] ||
		{ say_fail "$name: peak in flight $core_peak (pager $pager_peak) > cap $cap"; ok=1; }
	[ "$violations" = 0 ] ||
		{ say_fail "$name: $violations anon pageouts with clean file pages resident"; ok=1; }
	echo "$name: peak dirty $dirty_peak/$dirty_max, in flight $core_peak/$cap (pager" \
		"$pager_peak), throttled $throttled, anon pageouts $anon_out, with clean file" \
		"pages resident $violations"
	return $ok
}

# Replays TRACE with OPTIONS; checks exit status, kills and the stat.
run() { # NAME TRACE OPTIONS...
	local name=$1 trace=$2
	shift 2
	if ! "$mvm" replay --stat "$@" "$trace" > "$tmp/$name.out" 2> "$tmp/$name.err"; then
		say_fail "$name: mvm replay $* failed: $(grep -v '^#' "$tmp/$name.err" | head -3)"
		return 1
	fi
	if grep -q ' killed ' "$tmp/$name.out"; then
		say_fail "$name: $(grep -m1 ' killed ' "$tmp/$name.out")"
		return 1
	fi
	check_stat "$name" "$tmp/$name.err"
}

same_output() { # NAME-A NAME-B
	grep -v '^#' "$tmp/$1.out" > "$tmp/a"
	grep -v '^#' "$tmp/$2.out" > "$tmp/b"
	[ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b" ||
		say_fail "$1: output lines differ from those of $2: $(diff "$tmp/a" "$tmp/b" | head -3)"
}

# 1. The default workload at its RAM, with default and small bounds.
"$mvm" gen translator > "$tmp/t" || say_fail "gen translator"
ram=$(sed -n 's/^# meant for: mvm replay --ram \([0-9]*K\) .*/\1/p' "$tmp/t")
[ -n "$ram" ] || { say_fail "the trace does not say its RAM"; ram=9M; }
run roomy "$tmp/t" --ram 256M
if run default "$tmp/t" --ram "$ram"; then
	[ "$throttled" -gt 0 ] || say_fail "default: no writer was throttled: the bound was not tested"
	[ "$anon_out" -gt 0 ] ||
		say_fail "default: no anonymous page went to swap: RAM is not short, nothing was tested"
	[ "$core_peak" -ge 1 ] || say_fail "default: no data_return was ever in flight"
fi
same_output default roomy
if run small "$tmp/t" --ram "$ram" --dirty-max 16 --pager-inflight 2; then
	[ "$dirty_max" = 16 ] && [ "$cap" = 2 ] || say_fail "small: bound $dirty_max, cap $cap"
	[ "$dirty_peak" = 16 ] && [ "$throttled" -gt 0 ] ||
		say_fail "small: the bound of 16 was never reached (peak $dirty_peak)"
	[ "$core_peak" = 2 ] || say_fail "small: the cap of 2 was never reached (peak $core_peak)"
fi
same_output small roomy
if run tiny "$tmp/t" --ram "$ram" --dirty-max 1% --pager-inflight 1; then
	[ "$core_peak" = 1 ] || say_fail "tiny: the cap of 1 was never reached"
fi
same_output tiny roomy

# Seeds 5 and 7 once sent anonymous pages to swap while file writebacks
# that completed during the pageout had left clean file pages resident.
for seed in 5 7; do
	"$mvm" gen translator --seed "$seed" > "$tmp/t$seed" || say_fail "gen translator --seed $seed"
	run "seed$seed" "$tmp/t$seed" --ram "$ram"
done

# 2. Tiny runs, every line checked against the model and every invariant
# after every operation.
"$mvm" gen translator --quick --seed 5 > "$tmp/q" || say_fail "gen translator --quick"
run verify "$tmp/q" --ram 384K --dirty-max 4 --pager-inflight 1 --verify --check-every 1
if run verify2 "$tmp/q" --ram 544K --dirty-max 16 --pager-inflight 2 --verify --check-every 1; then
	[ "$anon_out" -gt 0 ] || say_fail "verify2: no anonymous page went to swap"
fi

# 3. The demo's report and series.
"$mvm" demo --only translator --series "$tmp/s.csv" > "$tmp/demo" 2> "$tmp/demo.err" ||
	say_fail "mvm demo --only translator failed: $(tail -3 "$tmp/demo")"
for want in '^# trace: mvm gen translator --files 24 ' \
	'^# machine: RAM 9 MiB, swap' \
	'^# peak dirty: [0-9]* pages, bound [0-9]*: within$' \
	'^# peak data_returns in flight: [0-9]* (the core.s count), [0-9]* (the pager.s), cap [0-9]*: within$' \
	'^# writers throttled at the bound: [1-9][0-9]* times, waiting [0-9.]* s' \
	'^# anonymous pages sent to swap while clean file pages were resident: 0 (the goal is none); to swap in all: [1-9]' \
	'^# simulated time: [0-9.]* s$' \
	'^# checker: [0-9]* checks ran, all passed$' \
	'^# translator passed'; do
	grep -q -- "$want" "$tmp/demo" || say_fail "demo report lacks /$want/"
done
# One file for the whole demo, first column the scenario: drop it to read the figures.
grep -q '^scenario,' "$tmp/s.csv" && cut -d, -f2- "$tmp/s.csv" > "$tmp/s.translator.csv"
series=$tmp/s.translator.csv
if [ -f "$series" ]; then
	head -1 "$series" | grep -q '^ops,dirty,dirty_max,returns_in_flight,inflight_cap,' ||
		say_fail "series header: $(head -1 "$series")"
	awk -F, 'NR > 1 { rows++ } NR > 1 && ($2 > $3 || $4 > $5 || $11 != 0) { bad++ }
		 NR > 1 && $2 > 0 { dirty++ } NR > 1 && $4 > 0 { flight++ }
		 END { exit !(rows >= 100 && !bad && dirty && flight) }' "$series" ||
		say_fail "series: a sample beyond a bound, too few rows, or nothing ever dirty or in flight"
else
	say_fail "no series file $series"
fi
"$mvm" demo --quick --only translator --dirty-max 16 --pager-inflight 2 > "$tmp/quick" 2>&1 ||
	say_fail "demo --quick translator: $(tail -3 "$tmp/quick")"
grep -q '^# peak dirty: [0-9]* pages, bound 16: within$' "$tmp/quick" &&
	grep -q 'cap 2: within$' "$tmp/quick" ||
	say_fail "demo --quick does not take --dirty-max and --pager-inflight"

# 4. The generator.
"$mvm" gen translator --quick > "$tmp/d1"
"$mvm" gen translator --quick > "$tmp/d2"
cmp -s "$tmp/d1" "$tmp/d2" || say_fail "gen translator is not deterministic"
"$mvm" gen translator --quick --seed 2 > "$tmp/d3"
cmp -s "$tmp/d1" "$tmp/d3" && say_fail "gen translator ignores --seed"
"$mvm" gen translator --files 3 --file-size 10000 --anon 64K --requests 100 --client-every 10 \
	--msync-every 25 --check-every 50 > "$tmp/d4"
[ "$(grep -c '^file file' "$tmp/d4")" = 3 ] || say_fail "--files 3"
grep -q '^file file000 0x3000 ' "$tmp/d4" || say_fail "--file-size 10000 is not rounded up to 12K"
grep -q '^1 mmap 0x[0-9a-f]* 0x10000 rw- private anon$' "$tmp/d4" || say_fail "--anon 64K"
[ "$(grep -c '^1 fork ' "$tmp/d4")" = 10 ] || say_fail "--client-every 10 of 100 requests"
[ "$(grep -c '^1 msync ' "$tmp/d4")" = 5 ] || say_fail "--msync-every 25: 4 + the final one"
[ "$(grep -c '^check$' "$tmp/d4")" = 3 ] || say_fail "--check-every 50: 2 + the final one"
run options "$tmp/d4" --ram 256K --verify --check-every 1
expect_usage() { expect_gen_usage translator "$@"; }
expect_usage 'unknown option "--bogus" for translator' --bogus
expect_usage '\-\-files: "0" is not a number from 1 to 4096' --files 0
expect_usage '\-\-file-size: "2G" is not a size from 1 to 1G' --file-size 2G
expect_usage '\-\-anon: "8K" is not a size from 16K to 16G' --anon 8K
expect_usage '\-\-files times --file-size is more than 16G' --files 4096 --file-size 8M
expect_usage 'option --seed needs a value' --seed

[ $fail = 0 ] && echo "translator: all passed"
exit $fail
