#!/usr/bin/env bash
# The swap device's host file and its options: --swap-file PATH leaves a
# file of the device's size behind, the default file never shows up in
# $TMPDIR (not even while mvm runs), --swap 0 creates nothing, and bad
# values exit 2 with a message.  Usage: test_swapfile.sh MVM SRC BUILD
set -u
mvm=$1
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/tmpdir"

# 3 MiB of data through 1 MiB of RAM: the data goes through swap.
cat > "$tmp/swap.trace" <<'EOF'
mvm-trace 1
1 spawn
1 mmap 0x100000 3M rw- private anon
1 write 0x100000 3M 5
1 read 0x100000 3M
stat
1 exit
EOF

problem() { echo "FAIL: $*"; fail=1; }

# A named file stays, sized as asked, and holds what was paged out.
TMPDIR=$tmp/tmpdir "$mvm" replay --ram 1M --swap 8M --swap-file "$tmp/swap.img" \
	"$tmp/swap.trace" > "$tmp/named.out" 2> "$tmp/err" || problem "replay --swap-file: $(head -3 "$tmp/err")"
[ -f "$tmp/swap.img" ] || problem "--swap-file did not leave $tmp/swap.img"
size=$(stat -c %s "$tmp/swap.img" 2> /dev/null || echo 0)
[ "$size" = 8388608 ] || problem "--swap-file is $size bytes, want 8388608"
if ! tr -d '\0' < "$tmp/swap.img" | head -c 1 | grep -q .; then
	problem "--swap-file holds no data after paging"
fi
grep -q "^# swap device: 2048 blocks (8.0 MiB) in $tmp/swap.img\$" "$tmp/named.out" ||
	problem "stat does not show the named swap file"
grep -q "^# swap device: reads [1-9][0-9]* (.*), writes [1-9]" "$tmp/named.out" ||
	problem "stat does not show reads and writes of the swap device"

# The default file is unlinked from the start: nothing in $TMPDIR, even
# while mvm runs, or after it is killed.
TMPDIR=$tmp/tmpdir "$mvm" replay --ram 1M "$tmp/swap.trace" > "$tmp/default.out" 2> "$tmp/err" ||
	problem "default replay: $(head -3 "$tmp/err")"
[ -z "$(ls -A "$tmp/tmpdir")" ] || problem "the default swap file was left in \$TMPDIR: $(ls -A "$tmp/tmpdir")"
grep -q '^# swap device: 65536 blocks (256.0 MiB) in an unlinked temporary file$' "$tmp/default.out" ||
	problem "stat does not show the default 256M temporary device"
grep -v '^# swap device' "$tmp/named.out" | grep -v '^# swap' | grep -v '^# time' > "$tmp/a"
grep -v '^# swap device' "$tmp/default.out" | grep -v '^# swap' | grep -v '^# time' > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || problem "the output depends on where swap lives"
mkfifo "$tmp/fifo"
TMPDIR=$tmp/tmpdir "$mvm" replay --ram 1M - < "$tmp/fifo" > /dev/null 2>&1 &
pid=$!
exec 3> "$tmp/fifo"
head -4 "$tmp/swap.trace" >&3
sleep 0.5
[ -z "$(ls -A "$tmp/tmpdir")" ] || problem "a running mvm shows its swap file in \$TMPDIR"
kill -9 "$pid" 2> /dev/null
exec 3>&-
wait "$pid" 2> /dev/null
[ -z "$(ls -A "$tmp/tmpdir")" ] || problem "a killed mvm left its swap file in \$TMPDIR"

# No device, no file.
TMPDIR=$tmp/tmpdir "$mvm" replay --swap 0 --swap-file "$tmp/none.img" --stat "$tmp/swap.trace" \
	> "$tmp/out" 2>&1 || problem "replay --swap 0 failed"
[ ! -e "$tmp/none.img" ] || problem "--swap 0 created a file"
grep -q '^# swap device: none' "$tmp/out" || problem "stat does not say there is no swap device"

# Deterministic: the same run gives the same statistics, timings included.
TMPDIR=$tmp/tmpdir "$mvm" replay --ram 1M "$tmp/swap.trace" > "$tmp/again.out" 2>&1
cmp -s "$tmp/default.out" "$tmp/again.out" || problem "two identical runs differ"

# Bad values.
expect() { # PATTERN ARGS...
	local pattern=$1
	shift
	"$mvm" replay "$@" "$tmp/swap.trace" > "$tmp/out" 2> "$tmp/err"
	local got=$?
	if [ "$got" -ne 2 ] || ! grep -q -- "$pattern" "$tmp/err"; then
		echo "FAIL: mvm replay $* -> exit $got (want 2), stderr lacks \"$pattern\":"
		head -3 "$tmp/err"
		fail=1
	fi
}
expect '\-\-swap: "12X" is not a size' --swap 12X
expect '\-\-swap: "100" is smaller than a page' --swap 100
expect '\-\-swap-seek: "soon" is not a number' --swap-seek soon
expect '\-\-swap-rate: "-1" is not a number' --swap-rate -1
expect '\-\-op-cost: "1.5" is not a number' --op-cost 1.5
expect '\-\-swap-file .*no/such/dir' --swap-file "$tmp/no/such/dir/swap"
expect '\-\-inject: unknown kind "x" (known: swap-read, swap-write, alloc' --inject x@1
expect '\-\-inject: "swap-read@y": expected KIND@N, KIND@N-M or KIND@N+' --inject swap-read@y
expect '\-\-inject: "alloc@0": events count from 1' --inject alloc@1,alloc@0

# Injection reaches the device and is counted.
"$mvm" replay --ram 1M --inject swap-write@1-2,swap-read@1+ "$tmp/swap.trace" > "$tmp/out" 2>&1
grep -q '^# injected failures: swap-read [1-9][0-9]* (of [1-9][0-9]*), swap-write 2 (of [1-9][0-9]*)$' "$tmp/out" ||
	problem "injected failures are not counted: $(grep injected "$tmp/out")"
grep -q '^# swap device: .*errors [1-9]' "$tmp/out" || problem "the device does not count injected errors"

[ $fail = 0 ] && echo "swapfile: all passed"
exit $fail
