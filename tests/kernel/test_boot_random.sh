#!/usr/bin/env bash
# test_boot_random.sh MVM SOURCE_DIR BUILD_DIR
#
# The differential triangle: for seeds 1..N (N = $MVM_KERNEL_SEEDS,
# default 50), a random anonymous-memory trace (fork trees, mprotect,
# munmap, madvise, segv; `mvm gen random --no-files --ops 150`) runs on
# the kernel under qemu with the model and the checker (--verify
# --check-every 10), in the simulator (`mvm replay --swap 0`: the kernel
# has no swap device yet, so `madvise pageout` keeps pages resident), and
# on Linux
# (native-replay).  The kernel's output must equal the simulator's byte
# for byte (but `stat`, free-form) and Linux's as trace-diff compares
# (events exactly, maps by content).  Failing seeds are kept in
# BUILD_DIR/kernel-random/.
. "$(dirname "$0")/lib.sh"
seeds=${MVM_KERNEL_SEEDS:-50}
keep=$build/kernel-random
native_ok=1

printf '' > "$tmp/empty.trace"
"$build/native-replay" "$tmp/empty.trace" > /dev/null 2>&1 || native_ok=0
[ $native_ok = 0 ] && echo "note: native-replay cannot run here; comparing with mvm replay only"

diverged() { # SEED MESSAGE
	mkdir -p "$keep"
	cp "$tmp/t.trace" "$keep/seed-$1.trace"
	cp "$tmp/boot.out" "$keep/seed-$1.boot" 2>/dev/null
	say_fail "seed $1: $2"
}

for seed in $(seq 1 "$seeds"); do
	"$mvm" gen random --no-files --ops 150 --seed "$seed" > "$tmp/t.trace"
	if ! "$mvm" boot --verify --check-every 10 "$tmp/t.trace" > "$tmp/boot.out" 2> "$tmp/err"; then
		diverged "$seed" "mvm boot failed: $(head -c 400 "$tmp/err")"
		continue
	fi
	"$mvm" replay --swap 0 "$tmp/t.trace" > "$tmp/replay.out"
	if ! cmp -s <(without_stat "$tmp/replay.out") <(without_stat "$tmp/boot.out"); then
		diverged "$seed" "mvm boot differs from mvm replay:
$(diff <(without_stat "$tmp/replay.out") <(without_stat "$tmp/boot.out") | head -10)"
		continue
	fi
	[ $native_ok = 1 ] || continue
	"$build/native-replay" "$tmp/t.trace" > "$tmp/native.out" 2> "$tmp/err"
	if ! "$build/trace-diff" "$tmp/native.out" "$tmp/boot.out" > "$tmp/diff" 2>&1; then
		diverged "$seed" "mvm boot differs from Linux:
$(head -10 "$tmp/diff")"
	fi
done
[ $fail = 0 ] && echo "$seeds seeds: the kernel, the simulator and Linux agree"
exit $fail
