#!/usr/bin/env bash
# A parallel build on a machine whose RAM is smaller than the table pages
# a never-freeing pmap would hold must complete: no panic, no process
# killed, the reference model agreeing.  Usage: test_parallel_build.sh MVM SRC BUILD
#
#   1. The build (mvm gen parallel-build, default sizes) on the demo's
#      machine (5M, no swap, 50 us per operation) under --verify: exit 0,
#      no `killed` line, no table page or pv chunk left at the end, and
#      the same output lines as with RAM for everything.  At -v the page
#      daemon says why it collected (idle or emergency) and what it freed.
#   2. The demo's report of it: the never-freed figure exceeds RAM, the
#      table pages held stayed well below it, and the series file has the
#      figures of every operation.
#   3. Injection: table-page and pv-chunk allocations failed on purpose in
#      the quick build change no output line; Linux (native-replay, where
#      it runs) prints the same lines.
#   4. The generator: deterministic, its options, bad options.
. "$(dirname "$0")/lib.sh"


# The number after WORDS in the first line of FILE matching PATTERN.
field() { # FILE PATTERN WORDS
	grep -m1 -- "$2" "$1" | sed -n "s/.*$3 \([0-9][0-9]*\).*/\1/p"
}

machine=(--ram 5M --swap 0 --op-cost 50000)

# 1. The build on the demo's machine.
"$mvm" gen parallel-build > "$tmp/build.trace" || say_fail "gen parallel-build"
if "$mvm" replay "${machine[@]}" --verify --check-every 16 --stat -v "$tmp/build.trace" \
	> "$tmp/build.out" 2> "$tmp/build.err"; then
	grep -q 'killed' "$tmp/build.out" && say_fail "build: a process was killed"
	[ "$(field "$tmp/build.err" '^# stat:' 'oom kills')" = 0 ] || say_fail "build: oom kills"
	[ "$(field "$tmp/build.err" '^# frames:' 'page tables')" = 0 ] ||
		say_fail "build: table pages left after every process exited"
	[ "$(field "$tmp/build.err" '^# frames:' 'pv chunks')" = 0 ] ||
		say_fail "build: pv chunks left after every process exited"
	grep -q '^mvm: pagedaemon: collected pmap [0-9]*, idle for [0-9]* ms: [1-9][0-9]* frames freed$' \
		"$tmp/build.err" || say_fail "build: no idle collection logged at -v"
	grep -q '^mvm: pagedaemon: emergency reclaim of the least recently used pmaps: [1-9][0-9]* frames freed$' \
		"$tmp/build.err" || say_fail "build: no emergency reclaim logged at -v"
	grep -q '^mvm: pmap [0-9]*: collected [0-9]* mappings, [0-9]* frames freed$' \
		"$tmp/build.err" || say_fail "build: the pmap logged no collection"
	reads=$(grep -c ' read ' "$tmp/build.out")
	[ "$reads" -ge 200 ] || say_fail "build: only $reads reads were checked"
	"$mvm" replay --ram 64M --swap 0 "$tmp/build.trace" > "$tmp/roomy.out" 2> "$tmp/roomy.err" ||
		say_fail "build at 64M: $(head -3 "$tmp/roomy.err")"
	cmp -s "$tmp/build.out" "$tmp/roomy.out" ||
		say_fail "build: output lines differ between RAM 5M and 64M"
	echo "build: $(grep -c . "$tmp/build.trace") lines, $reads reads agreed with the model;" \
		"$(grep -m1 '^# pmap:' "$tmp/build.err" | sed 's/^# //')"
else
	say_fail "build: mvm replay ${machine[*]} --verify failed: $(head -5 "$tmp/build.err")"
fi

# 2. The demo's report.
if "$mvm" demo --only parallel-build --series "$tmp/s.csv" > "$tmp/demo" 2> "$tmp/demo.err"; then
	for want in '^# trace: mvm gen parallel-build --seed 1 --jobs 4 --units 16 ' \
		'^# machine: RAM 5 MiB, swap none' \
		'^# table pages: at most [0-9]* held at once .* 0 left at the end$' \
		'^# never freed: .*: more than the machine has)$' \
		'^# checker: [0-9]* checks ran, all passed$' \
		'^# parallel-build passed'; do
		grep -q -- "$want" "$tmp/demo" || say_fail "demo report lacks /$want/"
	done
	frames=$(grep -m1 '^# table pages over time' "$tmp/demo" | sed -n 's/.*all of RAM (\([0-9]*\) frames).*/\1/p')
	never=$(field "$tmp/demo" '^# never freed:' 'would have held')
	held=$(field "$tmp/demo" '^# table pages:' 'at most')
	if [ -n "$frames" ] && [ -n "$never" ] && [ -n "$held" ]; then
		[ "$never" -gt "$frames" ] || say_fail "demo: never-freed $never fits in $frames frames"
		[ $((held * 2)) -lt "$frames" ] || say_fail "demo: $held table pages held of $frames frames"
		echo "demo: table pages held at most $held; never freed would be $never; RAM $frames frames"
	else
		say_fail "demo figures not found: frames '$frames' never '$never' held '$held'"
	fi
	# One file for the whole demo, first column the scenario: drop it to read the figures.
	grep -q '^scenario,' "$tmp/s.csv" && cut -d, -f2- "$tmp/s.csv" > "$tmp/s.parallel-build.csv"
	series=$tmp/s.parallel-build.csv
	if [ -f "$series" ]; then
		head -1 "$series" | grep -q '^ops,table_pages,never_freed,user_pages,pv_pages,' ||
			say_fail "series header: $(head -1 "$series")"
		# A row per operation; table pages never above the never-freed figure.
		awk -F, 'NR > 1 { rows++; if ($2 > $3 + 0 && $8 > 0) bad++ } END { exit !(rows > 10000 && !bad) }' \
			"$series" || say_fail "series: too few rows, or more tables held than allocated"
	else
		say_fail "no series file $series"
	fi
else
	say_fail "mvm demo --only parallel-build failed: $(tail -5 "$tmp/demo")"
fi

# 3. Injected failures in the quick build: the output does not change.
"$mvm" gen parallel-build --quick > "$tmp/quick.trace"
quick=(--ram 3M --swap 0 --op-cost 50000 --verify --check-every 1)
"$mvm" replay "${quick[@]}" "$tmp/quick.trace" > "$tmp/quick.out" 2> "$tmp/quick.err" ||
	say_fail "quick build: $(head -3 "$tmp/quick.err")"
# (Not the first few: with nothing yet to reclaim, a failure rightly kills.)
for spec in alloc-ptp@40 alloc-ptp@400 alloc-ptp@1500 alloc-pv@2 alloc-pv@10 alloc-pv@20 \
	alloc-ptp@700,alloc-pv@15; do
	if "$mvm" replay "${quick[@]}" --stat --inject "$spec" "$tmp/quick.trace" \
		> "$tmp/inj.out" 2> "$tmp/inj.err"; then
		grep -q '^# injected failures: alloc-p' "$tmp/inj.err" ||
			say_fail "--inject $spec: nothing was injected"
		cmp -s "$tmp/quick.out" <(grep -v '^#' "$tmp/inj.out") ||
			say_fail "--inject $spec: output lines differ"
	else
		say_fail "--inject $spec: $(head -3 "$tmp/inj.err")"
	fi
done

# Linux, where the host can run the trace (tools/native-replay), agrees.
build=$3
if [ -x "$build/native-replay" ] && [ -x "$build/trace-diff" ]; then
	if "$build/native-replay" "$tmp/quick.trace" > "$tmp/native.out" 2> "$tmp/native.err"; then
		"$build/trace-diff" "$tmp/quick.out" "$tmp/native.out" > "$tmp/diff" ||
			say_fail "quick build: Linux disagrees: $(head -5 "$tmp/diff")"
	else
		echo "native-replay could not run here: $(head -1 "$tmp/native.err")"
	fi
fi

# 4. The generator.
"$mvm" gen parallel-build --quick --seed 5 > "$tmp/g1"
"$mvm" gen parallel-build --quick --seed 5 > "$tmp/g2"
cmp -s "$tmp/g1" "$tmp/g2" || say_fail "gen parallel-build is not deterministic"
"$mvm" gen parallel-build --quick --seed 6 > "$tmp/g3"
cmp -s "$tmp/g1" "$tmp/g3" && say_fail "gen parallel-build ignores --seed"
"$mvm" gen parallel-build --jobs 2 --units 5 --bursts 2 --burst-pages 3 --libs 1 > "$tmp/g4"
[ "$(grep -c '^1 fork ' "$tmp/g4")" = 5 ] || say_fail "--units 5: not 5 drivers forked"
[ "$(grep -c ' exec$' "$tmp/g4")" = 15 ] || say_fail "--units 5: not 15 execs (cc, cc1, as)"
objects=$(grep -c '^3 write 0x[0-9a-f]* 512 ' "$tmp/g4")
[ "$objects" -ge 3 ] && [ $((objects % 3)) = 0 ] || say_fail "--burst-pages 3: $objects objects"
[ "$(tail -1 "$tmp/g4")" = check ] || say_fail "the trace does not end with a check"
"$mvm" replay --ram 64M --verify --check-every 1 "$tmp/g4" > /dev/null 2> "$tmp/g4.err" ||
	say_fail "small build: $(head -3 "$tmp/g4.err")"
expect_usage() { expect_gen_usage parallel-build "$@"; }
expect_usage 'unknown option "--bogus" for parallel-build' --bogus
expect_usage '\-\-jobs: "0" is not a number from 1 to 64' --jobs 0
expect_usage '\-\-burst-pages: "65" is not a number from 1 to 64' --burst-pages 65
expect_usage '\-\-libs: "x" is not a number' --libs x
expect_usage 'option --seed needs a value' --seed

[ $fail = 0 ] && echo "parallel-build: all passed"
exit $fail
