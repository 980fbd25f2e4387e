#!/usr/bin/env bash
# Bad options and operands: each says what is wrong and exits 2 without
# running anything; good ones work.  Usage: test_cli.sh MVM SRC BUILD
set -u
mvm=$1
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf 'mvm-trace 1\n1 spawn\n1 exit\n' > "$tmp/ok.trace"

expect() { # STATUS PATTERN -- ARGS...
	local want=$1 pattern=$2
	shift 3
	"$mvm" "$@" > "$tmp/out" 2> "$tmp/err"
	local got=$?
	if [ "$got" -ne "$want" ] ||
		{ [ -n "$pattern" ] && ! grep -q -- "$pattern" "$tmp/err" "$tmp/out"; }; then
		echo "FAIL: mvm $* -> exit $got (want $want), output lacks \"$pattern\":"
		head -3 "$tmp/err"
		fail=1
	fi
}

expect 2 'usage: mvm' -- 
expect 2 'unknown command "frobnicate"' -- frobnicate
expect 0 'usage: mvm' -- help
expect 2 '\-\-ram: "12X" is not a size' -- replay --ram 12X "$tmp/ok.trace"
expect 2 'mvm replay: --ram: "4096" is not a size from 256K to 16G' -- replay --ram 4096 "$tmp/ok.trace"
expect 2 'mvm replay: option --ram needs a value' -- replay --ram
expect 2 '\-\-check-every: "often" is not a number' -- replay --check-every often "$tmp/ok.trace"
expect 2 'unknown option "--frob"' -- replay --frob "$tmp/ok.trace"
expect 2 'expected one TRACE' -- replay
expect 2 'expected one TRACE' -- replay a b
expect 2 'cannot open\|No such file' -- replay "$tmp/missing.trace"
expect 0 '' -- replay --ram 1M --verify --check-every 1 "$tmp/ok.trace"
expect 0 '' -- replay --ram=2M "$tmp/ok.trace"
expect 2 'expected a KIND' -- gen
expect 2 'unknown KIND "nonsense"' -- gen nonsense
expect 2 '\-\-seed: "x" is not a number' -- gen random --seed x
expect 2 'mvm gen: unknown option "--bogus" for random' -- gen random --bogus
expect 0 'mvm-trace 1' -- gen random --seed 3 --ops 20
expect 2 'unexpected argument "extra"' -- demo extra
# stdin works
"$mvm" replay - < "$tmp/ok.trace" > /dev/null 2>&1 || { echo "FAIL: replay from stdin"; fail=1; }
# gen is deterministic
"$mvm" gen random --seed 9 > "$tmp/a" && "$mvm" gen random --seed 9 > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || { echo "FAIL: gen random is not deterministic"; fail=1; }

# Every numeric option is range-checked, with the range in the message
# and the subcommand first (exit 2, nothing run).
for cmd in replay demo; do
	operand=; [ $cmd = replay ] && operand=$tmp/ok.trace
	for opt_bad in --op-cost=18446744073709551615 --op-cost=1000000001 --swap-seek=1000000001 \
		--swap-rate=1000001 --pager-latency=1000000001 --pager-rate=1000001 \
		--pager-inflight=65537 --pager-inflight=0 --check-every=1000000001 \
		--sample-every=0 --ram=17G --swap=65G; do
		opt=${opt_bad%%=*}
		expect 2 "^mvm $cmd: $opt: \".*\" is not a [a-z]* from [0-9KMG]* to [0-9KMG]*\$" -- \
			$cmd "$opt_bad" $operand
	done
	expect 2 "^mvm $cmd: --dirty-max: \"5000000\" is more than 4194304 pages" -- \
		$cmd --dirty-max 5000000 $operand
	expect 2 "^mvm $cmd: unknown option \"--frob\"" -- $cmd --frob $operand
done
expect 0 '' -- replay --op-cost 1000000000 --swap-rate 0 --pager-inflight 65536 "$tmp/ok.trace"
# Every message names the subcommand, boot and file errors too.
expect 2 '^mvm replay: .*missing.trace' -- replay "$tmp/missing.trace"
expect 2 '^mvm replay: --swap-file' -- replay --swap-file "$tmp/no/such/dir/swap" "$tmp/ok.trace"
expect 1 '^mvm demo: --swap-file' -- demo --only basic --swap-file "$tmp/no/such/dir/swap"
expect 2 '^mvm gen: expected a KIND' -- gen
# demo --only: an unknown name is refused, naming the valid ones.
expect 2 '^mvm demo: --only: no scenario named "nosuch" (scenarios: basic, fork-server, vm-test, parallel-build, fragmentation, translator)$' -- demo --only basic,nosuch
expect 2 'no scenario named ""' -- demo --only basic,

# Generators: --help for every kind; every option is in the help and in
# the header; the header's command regenerates the same bytes; ranges.
declare -A sample_args=(
	[random]="--seed 5 --ops 40 --procs 3 --span 32 --no-files"
	[fork-server]="--heap 64K --forks 3 --child-pages 2 --seed 7"
	[vm-test]="--procs 2 --rounds 3 --heap 64K --seed 2"
	[parallel-build]="--quick --units 2 --checks --seed 4"
	[fragmentation]="--rounds 30 --no-forks --no-checks --maps-every 7 --seed 3"
	[translator]="--quick --requests 20 --files 2 --anon 64K --seed 9"
)
for kind in random fork-server vm-test parallel-build fragmentation translator; do
	expect 0 "usage: mvm gen $kind" -- gen $kind --help
	"$mvm" gen $kind -h > "$tmp/help" 2>&1 || { echo "FAIL: gen $kind -h"; fail=1; }
	# shellcheck disable=SC2086
	"$mvm" gen $kind ${sample_args[$kind]} > "$tmp/gen1" || { echo "FAIL: gen $kind ${sample_args[$kind]}"; fail=1; }
	header=$(sed -n '2s/^# //p' "$tmp/gen1")
	case $header in "gen $kind "*) ;; *) echo "FAIL: gen $kind header: $header"; fail=1 ;; esac
	for opt in $(grep -o -- '--[a-z-]*' <<< "$header"); do
		grep -q -- "^  $opt" "$tmp/help" || { echo "FAIL: gen $kind --help lacks $opt"; fail=1; }
	done
	for opt in $(grep -o -- '^  --[a-z-]* [NS]' "$tmp/help" | awk '{print $1}'); do
		grep -q -- " $opt " <<< "$header " || { echo "FAIL: gen $kind header lacks $opt: $header"; fail=1; }
	done
	# shellcheck disable=SC2086
	"$mvm" $header > "$tmp/gen2" && cmp -s "$tmp/gen1" "$tmp/gen2" ||
		{ echo "FAIL: mvm $header does not regenerate the trace of gen $kind ${sample_args[$kind]}"; fail=1; }
	# shellcheck disable=SC2086
	"$mvm" gen $kind > "$tmp/gen1" && "$mvm" $(sed -n '2s/^# //p' "$tmp/gen1") > "$tmp/gen2" &&
		cmp -s "$tmp/gen1" "$tmp/gen2" || { echo "FAIL: gen $kind defaults: header does not regenerate"; fail=1; }
done
expect 2 '^mvm gen: --forks: "100000001" is not a number from 0 to 100000000$' -- gen fork-server --forks 100000001
expect 2 '^mvm gen: --heap: "16385M" is not a size from 4K to 16G$' -- gen fork-server --heap 16385M
expect 2 '^mvm gen: --jobs: "0" is not a number from 1 to 64$' -- gen parallel-build --jobs 0
expect 2 '^mvm gen: --span: "8" is not a number from 16 to 1048576$' -- gen random --span 8
expect 2 '^mvm gen: --anon: "8K" is not a size from 16K to 16G$' -- gen translator --anon 8K
expect 2 '^mvm gen: --files times --file-size is more than 16G$' -- gen translator --files 4096 --file-size 1G
expect 2 '^mvm gen: option --ops needs a value$' -- gen random --ops
expect 2 '^mvm gen: --no-files takes no value$' -- gen random --no-files=1

# replay --series: the standard figures, a row every N operations and one
# at the end; the last row's ops is the trace's operation count.
"$mvm" gen random --seed 4 --ops 150 > "$tmp/r.trace"
nops=$(grep -cv '^#\|^mvm-trace\|^$' "$tmp/r.trace")
for every in 1 7 1000; do
	expect 0 '' -- replay --series "$tmp/r.csv" --sample-every $every "$tmp/r.trace"
	want_rows=$(( (nops + every - 1) / every ))
	head -1 "$tmp/r.csv" | grep -q '^ops,time_us,procs,free_frames,anon_frames,file_frames,table_frames,pv_frames,kmem_frames,swap_inuse,dirty_file_pages,map_entries,faults,oom_kills$' ||
		{ echo "FAIL: replay --series header: $(head -1 "$tmp/r.csv")"; fail=1; }
	rows=$(($(wc -l < "$tmp/r.csv") - 1))
	last=$(tail -1 "$tmp/r.csv" | cut -d, -f1)
	[ "$rows" = "$want_rows" ] && [ "$last" = "$nops" ] ||
		{ echo "FAIL: replay --series --sample-every $every: $rows rows ending at ops $last, want $want_rows ending at $nops"; fail=1; }
	awk -F, -v e=$every -v n=$nops 'NR > 1 && $1 % e != 0 && $1 != n { bad++ } NR > 1 && $4 == 0 && $1 < n { bad++ }
		END { exit bad }' "$tmp/r.csv" || { echo "FAIL: replay --series rows off the sampling grid, or no free frames"; fail=1; }
done
"$mvm" replay --series "$tmp/r.json" --sample-every 50 "$tmp/r.trace" > /dev/null &&
	[ "$(head -1 "$tmp/r.json")" = "[" ] && grep -q "^{\"ops\": $nops, \"time_us\": " "$tmp/r.json" ||
	{ echo "FAIL: replay --series FILE.json"; fail=1; }
expect 2 '^mvm replay: --sample-every: only with --series FILE or --html FILE$' -- replay --sample-every 5 "$tmp/r.trace"
expect 1 '^mvm replay: --series: cannot write .*no/such' -- replay --series "$tmp/no/such/s.csv" "$tmp/r.trace"

# demo --series FILE writes FILE itself, every scenario that ran in it,
# basic included; and basic says what its segv lines are before them.
expect 0 '' -- demo --quick --only basic,vm-test --series "$tmp/d.csv"
[ -f "$tmp/d.csv" ] && head -1 "$tmp/d.csv" | grep -q '^scenario,ops,' &&
	grep -q '^basic,[0-9]' "$tmp/d.csv" && grep -q '^vm-test,[0-9]' "$tmp/d.csv" &&
	[ "$(cut -d, -f1 "$tmp/d.csv" | sort -u | tr '\n' ' ')" = "basic scenario vm-test " ] ||
	{ echo "FAIL: demo --series FILE: $(head -2 "$tmp/d.csv" 2>&1)"; fail=1; }
ls "$tmp"/d.*.csv > /dev/null 2>&1 && { echo "FAIL: demo --series still writes FILE.<scenario>.csv"; fail=1; }
expect 0 '' -- demo --quick --only basic --series "$tmp/d.json"
grep -q '^"basic": \[$' "$tmp/d.json" && [ "$(head -1 "$tmp/d.json")" = "{" ] ||
	{ echo "FAIL: demo --series FILE.json: $(head -3 "$tmp/d.json")"; fail=1; }
"$mvm" demo --quick --only basic > "$tmp/basic.out" 2>&1
first_segv=$(grep -n '^[0-9]* segv ' "$tmp/basic.out" | head -1 | cut -d: -f1)
explained=$(grep -n '^# .*segv.*EXPECTED.*dontfork' "$tmp/basic.out" | head -1 | cut -d: -f1)
[ -n "$first_segv" ] && [ -n "$explained" ] && [ "$explained" -lt "$first_segv" ] ||
	{ echo "FAIL: demo basic does not explain its segv lines before them"; fail=1; }

[ $fail = 0 ] && echo "cli: all passed"
exit $fail
