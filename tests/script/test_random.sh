#!/usr/bin/env bash
# Random traces under the reference model and the consistency checker.
#
# For each seed, `mvm gen random` prints a trace with deep fork trees,
# every anonymous-memory operation, errors, and exits of every process at
# the end followed by `check` (so every frame must be free by then).  It
# is replayed with --verify --check-every 1 at a large RAM and at a RAM
# so small that reclaim and the OOM killer run; any disagreement with the
# model, broken invariant, crash or sanitizer report fails the test with
# the seed and the command to reproduce it.
# Usage: test_random.sh MVM SRC BUILD; MVM_RANDOM_SEEDS (default 300).
set -u
mvm=$1
seeds=${MVM_RANDOM_SEEDS:-300}
fail=0
kills=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for seed in $(seq 1 "$seeds"); do
	"$mvm" gen random --seed "$seed" --no-files > "$tmp/t" || { echo "FAIL: gen seed $seed"; exit 1; }
	for ram in 64M 384K; do
		if ! "$mvm" replay --ram "$ram" --verify --check-every 1 "$tmp/t" > "$tmp/out" 2> "$tmp/err"; then
			echo "FAIL: seed $seed, ram $ram:"
			echo "  mvm gen random --seed $seed --no-files | mvm replay --ram $ram --verify --check-every 1 -"
			head -12 "$tmp/err"
			fail=1
			break 2
		fi
		kills=$((kills + $(grep -c ' killed ' "$tmp/out")))
	done
done
echo "random: $seeds seeds at 64M and 384K, $kills OOM kills verified, $([ $fail = 0 ] && echo all passed || echo FAILED)"
exit $fail
