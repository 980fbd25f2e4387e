#!/usr/bin/env bash
# Random traces under the reference model and the consistency checker.
#
# For each seed, `mvm gen random` prints a trace with deep fork trees,
# every operation of the spec (files, their mappings, pread and pwrite
# included), errors, and exits of every process at the end followed by
# `check` (so every frame must be free by then, but for the file cache).
# It is replayed three ways, each with --verify --check-every 1:
#   64M RAM              the reference run;
#   256K RAM with swap   most pages live in swap or go back to their files:
#                        the output lines must be identical to the
#                        reference run (transparency);
#   384K RAM, no swap    memory runs out: the OOM killer runs, and the
#                        model and the checker must still agree.
# Any disagreement, broken invariant, crash or sanitizer report fails the
# test with the seed and a command that reproduces it.
# Usage: test_random.sh MVM SRC BUILD; MVM_RANDOM_SEEDS (default 300).
set -u
mvm=$1
seeds=${MVM_RANDOM_SEEDS:-300}
fail=0
kills=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run() { # NAME ARGS...: replay $tmp/t, output lines without # lines in $tmp/NAME
	local name=$1
	shift
	if ! "$mvm" replay --verify --check-every 1 "$@" "$tmp/t" > "$tmp/raw" 2> "$tmp/err"; then
		echo "FAIL: seed $seed ($name):"
		echo "  mvm gen random --seed $seed | mvm replay --verify --check-every 1 $* -"
		head -12 "$tmp/err"
		return 1
	fi
	grep -v '^#' "$tmp/raw" > "$tmp/$name"
}

for seed in $(seq 1 "$seeds"); do
	"$mvm" gen random --seed "$seed" > "$tmp/t" || { echo "FAIL: gen seed $seed"; exit 1; }
	run big --ram 64M || { fail=1; break; }
	run swapped --ram 256K || { fail=1; break; }
	if ! cmp -s "$tmp/big" "$tmp/swapped"; then
		echo "FAIL: seed $seed: output at 256K with swap differs from 64M:"
		diff "$tmp/big" "$tmp/swapped" | head -10
		fail=1
		break
	fi
	run oom --ram 384K --swap 0 || { fail=1; break; }
	kills=$((kills + $(grep -c ' killed ' "$tmp/oom")))
done
echo "random: $seeds seeds; 256K+swap identical to 64M; $kills OOM kills verified at 384K without swap; $([ $fail = 0 ] && echo all passed || echo FAILED)"
exit $fail
