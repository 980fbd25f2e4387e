#!/usr/bin/env bash
# The swap leak of the 1993-95 reports must not happen: a paged-out
# server forking thousands of children ends with exactly its own pages on
# swap.  Usage: test_fork_server.sh MVM SRC BUILD
#
#   1. 5,000 forks, heap 64M, RAM 16M (a quarter): from the trace's `stat`
#      (only the server is left), swap in use equals the slots live anons
#      own, which are the server's; most of the heap really is on swap
#      (vmdump); every `check` passed (the checker compares the
#      allocator's count with the slots live anons own at each one); the
#      read hashes equal those of a run with RAM for everything.
#   2. The demo's own report of the same run: leaked slots 0, the end
#      state's equality, the checks, and a series file (CSV and JSON)
#      where swap in use equals the owned slots at every sample.
#   3. 20,000 forks with sparse checks: the same equality, and the time.
#   4. Small runs under --verify --check-every 1; options and determinism.
. "$(dirname "$0")/lib.sh"


stat_procs() { grep -m1 '^# stat:' "$1" | sed -n 's/.*processes \([0-9]*\).*/\1/p'; }
# Pages of the server's heap that vmdump shows on swap only.
not_resident() {
	grep '^#     anons .* not resident' "$1" | sed 's/.*(\([0-9]*\))$/\1/' |
		awk '{ n += $1 } END { print n + 0 }'
}

# Runs `gen fork-server ARGS` at RAM $ram and checks the end state.
# Sets $out to the output file.
leak_run() { # NAME RAM GEN-ARGS...
	local name=$1 ram=$2
	shift 2
	out=$tmp/$name.out
	"$mvm" gen fork-server "$@" > "$tmp/$name.trace" || { say_fail "gen fork-server $*"; return 1; }
	local start=$SECONDS
	if ! "$mvm" replay --ram "$ram" "$tmp/$name.trace" > "$out" 2> "$tmp/$name.err"; then
		say_fail "$name: mvm gen fork-server $* | mvm replay --ram $ram - failed:"
		head -5 "$tmp/$name.err"
		return 1
	fi
	elapsed=$((SECONDS - start))
	local inuse owned procs checks
	inuse=$(swap_field "$out" "in use")
	owned=$(swap_field "$out" "owned by live anons")
	procs=$(stat_procs "$out")
	checks=$(grep -c '^check$' "$tmp/$name.trace")
	if [ -z "$inuse" ] || [ "$inuse" != "$owned" ] || [ "$procs" != 1 ]; then
		say_fail "$name: at the end, swap in use '$inuse', owned by the server '$owned' (processes '$procs')"
		return 1
	fi
	echo "$name: $checks checks passed; swap in use $inuse = the server's slots $owned" \
		"($(not_resident "$out") pages on swap only); ${elapsed}s"
}

# 1. 5,000 forks at RAM = heap / 4.
if leak_run forks5k 16M --heap 64M --forks 5000 --check-every 100; then
	[ "$(grep -c '^check$' "$tmp/forks5k.trace")" -ge 50 ] || say_fail "forks5k: too few checks"
	[ "$(grep -c '^1 fork ' "$tmp/forks5k.trace")" = 5000 ] || say_fail "forks5k: not 5000 forks"
	# Most of the 16384-page heap must really be on swap, or nothing was tested.
	swapped=$(not_resident "$out")
	[ "$swapped" -ge 8192 ] || say_fail "forks5k: only $swapped heap pages on swap"
	# Swapping is transparent: the hashes equal those of a run that never swaps.
	"$mvm" replay --ram 128M "$tmp/forks5k.trace" > "$tmp/roomy.out" 2> "$tmp/roomy.err" ||
		say_fail "forks5k at 128M: $(head -3 "$tmp/roomy.err")"
	[ "$(swap_field "$tmp/roomy.out" "in use")" = 0 ] || say_fail "forks5k at 128M swapped"
	grep -v '^#' "$out" > "$tmp/a"
	grep -v '^#' "$tmp/roomy.out" > "$tmp/b"
	[ -s "$tmp/a" ] && cmp -s "$tmp/a" "$tmp/b" ||
		say_fail "forks5k: output lines differ between RAM 16M and 128M"
fi

# 2. The demo's report of the same scenario.
"$mvm" demo --only fork-server --series "$tmp/s.csv" > "$tmp/demo" 2> "$tmp/demo.err" ||
	say_fail "mvm demo --only fork-server failed: $(head -3 "$tmp/demo.err" "$tmp/demo")"
for want in '^# trace: mvm gen fork-server --heap 64M --forks 5000 ' \
	'^# machine: RAM 16 MiB, swap' \
	'^# leaked slots: 0; after the server exited: 0 slots in use$' \
	'^# checker: 51 checks ran, all passed$' \
	'^# fork-server passed'; do
	grep -q -- "$want" "$tmp/demo" || say_fail "demo report lacks /$want/"
done
end=$(grep '^# end state' "$tmp/demo")
inuse=$(sed -n 's/.*swap in use \([0-9]*\) slots.*/\1/p' <<< "$end")
owned=$(sed -n "s/.*the server's anons own \([0-9]*\).*/\1/p" <<< "$end")
[ -n "$inuse" ] && [ "$inuse" = "$owned" ] && [ "$inuse" -ge 8192 ] ||
	say_fail "demo end state: '$end'"
# One file for the whole demo, first column the scenario: drop it to read the figures.
grep -q '^scenario,' "$tmp/s.csv" && cut -d, -f2- "$tmp/s.csv" > "$tmp/s.fork-server.csv"
series=$tmp/s.fork-server.csv
if [ -f "$series" ]; then
	head -1 "$series" | grep -q '^ops,swap_inuse,swap_owned_live,server_swap,procs,' ||
		say_fail "series header: $(head -1 "$series")"
	awk -F, 'NR > 1 && $2 != $3 { bad++ } NR > 1 { rows++ } END { exit !(rows >= 100 && !bad) }' \
		"$series" || say_fail "series: swap in use differs from owned slots, or too few rows"
	awk -F, 'NR > 1 && $2 > 8192 { big++ } END { exit !big }' "$series" ||
		say_fail "series: swap never in use"
else
	say_fail "no series file $series"
fi
"$mvm" demo --quick --only fork-server --series "$tmp/q.json" > "$tmp/quick" 2>&1 ||
	say_fail "demo --quick fork-server: $(tail -3 "$tmp/quick")"
grep -q '^"fork-server": \[$' "$tmp/q.json" &&
	grep -q '^{"ops": [0-9]*, "swap_inuse": [0-9]*, "swap_owned_live": ' "$tmp/q.json" ||
	say_fail "JSON series: $(head -3 "$tmp/q.json")"

# 3. 20,000 forks, checks every 1,000: must finish well within CI time.
if leak_run forks20k 16M --heap 64M --forks 20000 --check-every 1000; then
	[ "$elapsed" -le 300 ] || say_fail "20,000 forks took ${elapsed}s (budget 300s)"
fi

# 4. Small runs, every line checked against the reference model.
"$mvm" gen fork-server --heap 2M --forks 300 --check-every 10 --seed 7 |
	"$mvm" replay --ram 512K --verify --check-every 1 - > /dev/null 2> "$tmp/v.err" ||
	say_fail "verify run: $(head -5 "$tmp/v.err")"
"$mvm" gen fork-server --forks 50 --seed 3 > "$tmp/d1"
"$mvm" gen fork-server --forks 50 --seed 3 > "$tmp/d2"
cmp -s "$tmp/d1" "$tmp/d2" || say_fail "gen fork-server is not deterministic"
"$mvm" gen fork-server --forks 50 --seed 4 > "$tmp/d3"
cmp -s "$tmp/d1" "$tmp/d3" && say_fail "gen fork-server ignores --seed"
[ "$(grep -c '^1 fork ' "$tmp/d1")" = 50 ] || say_fail "--forks 50 did not give 50 forks"
[ "$(grep -c '^3 write ' "$tmp/d1")" = 4 ] || say_fail "a child does not write --child-pages 4 pages"
"$mvm" gen fork-server --forks 10 --child-pages 2 --server-pages 3 --check-every 5 > "$tmp/d4"
[ "$(grep -c '^5 write ' "$tmp/d4")" = 2 ] || say_fail "--child-pages 2"
[ "$(grep -c '^1 \(write\|touch\) 0x[0-9a-f]* 4096' "$tmp/d4")" = 30 ] || say_fail "--server-pages 3"
[ "$(grep -c '^check$' "$tmp/d4")" = 3 ] || say_fail "--check-every 5 with 10 forks: 2 + final"
expect_usage() { expect_gen_usage fork-server "$@"; }
expect_usage 'unknown option "--bogus" for fork-server' --bogus
expect_usage '\-\-forks: "many" is not a number' --forks many
expect_usage '\-\-heap: "0" is not a size' --heap 0
expect_usage '\-\-heap: "1T" is not a size' --heap 1T
expect_usage 'option --seed needs a value' --seed

[ $fail = 0 ] && echo "fork-server: all passed"
exit $fail
