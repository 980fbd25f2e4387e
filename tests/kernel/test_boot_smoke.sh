#!/usr/bin/env bash
# test_boot_smoke.sh MVM SOURCE_DIR BUILD_DIR
#
# The kernel boots under qemu (PVH entry, long mode, its memory map, the
# core on the pool), runs a process in ring 3, and shuts down with status
# 0; an empty trace boots and ends too.  Prints the time to the first
# output line.
. "$(dirname "$0")/lib.sh"

printf '' > "$tmp/empty.trace"
"$mvm" boot "$tmp/empty.trace" > "$tmp/out" 2> "$tmp/err" ||
	say_fail "an empty trace: exit $?: $(head -3 "$tmp/err")"
[ -s "$tmp/out" ] && say_fail "an empty trace printed: $(head -3 "$tmp/out")"

printf '1 spawn\n1 mmap 0x10000 4K rw- private anon\n1 write 0x10000 8 1\n1 read 0x10000 8\n1 exit\n' \
	> "$tmp/one.trace"
start=$(date +%s%N)
"$mvm" boot "$tmp/one.trace" > "$tmp/out" 2> "$tmp/err" ||
	say_fail "a one-process trace: exit $?: $(head -3 "$tmp/err")"
end=$(date +%s%N)
"$mvm" replay "$tmp/one.trace" | cmp -s - "$tmp/out" ||
	say_fail "a one-process trace: boot printed $(cat "$tmp/out")"
echo "boot to the first trace line and shutdown: $(((end - start) / 1000000)) ms"
exit $fail
