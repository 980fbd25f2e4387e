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
expect 2 '\-\-ram 4096 is too small' -- replay --ram 4096 "$tmp/ok.trace"
expect 2 'option --ram needs a value' -- replay --ram
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
expect 2 'unknown option "--bogus" for random' -- gen random --bogus
expect 0 'mvm-trace 1' -- gen random --seed 3 --ops 20
expect 2 'unexpected argument "extra"' -- demo extra
# stdin works
"$mvm" replay - < "$tmp/ok.trace" > /dev/null 2>&1 || { echo "FAIL: replay from stdin"; fail=1; }
# gen is deterministic
"$mvm" gen random --seed 9 > "$tmp/a" && "$mvm" gen random --seed 9 > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || { echo "FAIL: gen random is not deterministic"; fail=1; }
[ $fail = 0 ] && echo "cli: all passed"
exit $fail
