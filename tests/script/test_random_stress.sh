#!/usr/bin/env bash
# Randomized stress: generated traces under memory pressure.
#
# test_random.sh replays the generator's default traces at two RAM sizes.
# This one pushes harder where the core is most fragile: memory shortage.
# Each seed is replayed under --verify --check-every 1 in four setups:
#
#   default traces    at 64M   (no shortage: the baseline must hold)
#   default traces    at 512K  (reclaim runs, some OOM kills)
#   long, wide traces at 1M    (12 processes, 2000 operations, a 16 MiB
#                               window, fork trees 10 deep)
#   long, wide traces at 384K  (OOM kills in most traces)
#
# so the checker runs after every operation while the OOM killer cuts
# processes down in the middle of writes, forks and map changes.  Any
# nonzero exit (model disagreement, broken invariant, panic, sanitizer
# report) fails the test, printing the seed and the command that
# reproduces it; every failing seed is listed, not just the first.  At the
# end it reports, per setup, how many traces saw an OOM kill and how many
# kills there were, so a change that stops exercising the killer shows.
#
# Usage: test_random_stress.sh MVM SOURCE_DIR BUILD_DIR
# Seeds: MVM_STRESS_SEEDS (default 100).
set -u
mvm=$1
seeds=${MVM_STRESS_SEEDS:-100}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

wide="--ops 2000 --procs 12 --span 4096 --depth 10"
setups=("64M|" "512K|" "1M|$wide" "384K|$wide")
failures=0

for setup in "${setups[@]}"; do
	ram=${setup%%|*}
	gen_args=${setup#*|}
	traces_killed=0
	kills=0
	for seed in $(seq 1 "$seeds"); do
		# shellcheck disable=SC2086  # gen_args is a list of options
		if ! "$mvm" gen random --seed "$seed" --no-files $gen_args > "$tmp/t"; then
			echo "FAIL: mvm gen random --seed $seed --no-files $gen_args"
			failures=$((failures + 1))
			continue
		fi
		if ! "$mvm" replay --ram "$ram" --verify --check-every 1 "$tmp/t" \
			> "$tmp/out" 2> "$tmp/err"; then
			echo "FAIL: seed $seed, ram $ram, exit status nonzero; reproduce with:"
			echo "  mvm gen random --seed $seed --no-files $gen_args |" \
				"mvm replay --ram $ram --verify --check-every 1 -"
			head -12 "$tmp/err" | sed 's/^/    /'
			failures=$((failures + 1))
			continue
		fi
		n=$(grep -c ' killed oom$' "$tmp/out")
		kills=$((kills + n))
		[ "$n" -gt 0 ] && traces_killed=$((traces_killed + 1))
	done
	echo "stress: ram $ram${gen_args:+ ($gen_args)}: $seeds traces," \
		"$traces_killed with OOM kills, $kills kills in all"
done

if [ "$failures" -ne 0 ]; then
	echo "stress: $failures failing runs"
	exit 1
fi
echo "stress: all passed"
