#!/usr/bin/env bash
# Durability: the host files hold exactly what the trace wrote.
#
# With --files DIR the trace's files are real files in DIR, so their
# bytes can be compared with an image computed independently of mvm (a
# small C program below, with its own splitmix64, builds each expected
# file from the operations that wrote it).  Checked:
#   - while mvm runs (the trace is fed through a FIFO; a `file` line,
#     which the host writes at once, marks how far mvm has got): stores
#     and pwrites stay in the page cache until msync, and are on the host
#     once msync returns; after the last mapping goes away; and when the
#     replay ends (pwrites that no mapping ever saw);
#   - the tail of the last page, written through a shared mapping, never
#     reaches the file;
#   - a `file` rewrite while data_returns of the old contents are still
#     in flight: the stale returns are dropped, never written over the
#     new contents;
#   - in 256K of RAM, where dirty pages are written back to make room;
#   - with --inject file-write@1 and @1-3 (the core retries; output lines
#     still agree with the reference model) the bytes end up right;
#   - with --inject file-read@1, pread says EIO and nothing is lost;
#   - the default files leave nothing in $TMPDIR, even while mvm runs or
#     after it is killed; bad file options exit 2.
# Usage: test_file_durability.sh MVM SRC BUILD
set -u
mvm=$1
fail=0
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2> /dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap '' PIPE # a replay that died must fail the test, not kill it

problem() { echo "FAIL: $*"; fail=1; }

# ---- the expected bytes, computed without mvm ----
cat > "$tmp/image.c" <<'EOF'
/* image OUT OP...: builds a file image.  OPs, applied in order:
 *   f:SIZE:SEED           `file`: SIZE bytes of the pattern of SEED
 *   p:OFF:LEN:SEED        `pwrite`: the pattern at file offsets; grows
 *   s:OFF:LEN:SEED:ADDR   a store through a shared mapping: the bytes of
 *                         the pattern at ADDR.. land at OFF..; clipped to
 *                         the file's size (the tail is not part of it) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static unsigned char byte_at(uint64_t seed, uint64_t a)
{
	return (unsigned char)(mix(seed ^ (a & ~7ull)) >> (8 * (a & 7)));
}

static unsigned char *img;
static uint64_t size;

static void grow(uint64_t to)
{
	img = realloc(img, to ? to : 1);
	if (!img)
		exit(3);
	if (to > size)
		memset(img + size, 0, to - size);
	size = to;
}

int main(int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		uint64_t v[5] = {0};
		char kind = argv[i][0], *p = argv[i] + 1;
		for (int k = 0; *p == ':' && k < 5; k++)
			v[k] = strtoull(p + 1, &p, 0);
		if (kind == 'f') {
			size = 0;
			grow(v[0]);
			for (uint64_t a = 0; a < v[0]; a++)
				img[a] = byte_at(v[1], a);
		} else if (kind == 'p') {
			if (v[0] + v[1] > size)
				grow(v[0] + v[1]);
			for (uint64_t a = 0; a < v[1]; a++)
				img[v[0] + a] = byte_at(v[2], v[0] + a);
		} else if (kind == 's') {
			for (uint64_t a = 0; a < v[1] && v[0] + a < size; a++)
				img[v[0] + a] = byte_at(v[2], v[3] + a);
		} else {
			return 2;
		}
	}
	FILE *f = fopen(argv[1], "wb");
	if (!f || fwrite(img, 1, size, f) != size || fclose(f))
		return 3;
	return 0;
}
EOF
cc=${CC:-cc}
command -v "$cc" > /dev/null || cc=gcc
if ! "$cc" -O2 -o "$tmp/image" "$tmp/image.c" 2> "$tmp/err"; then
	echo "FAIL: cannot build the image helper with $cc: $(head -3 "$tmp/err")"
	exit 1
fi

# same WHAT FILE OP...: FILE must hold exactly the image of OPs.
same() {
	local what=$1 file=$2
	shift 2
	"$tmp/image" "$tmp/want" "$@" || { problem "$what: the image helper failed"; return; }
	if [ ! -f "$file" ]; then
		problem "$what: $file does not exist"
	elif ! cmp -s "$tmp/want" "$file"; then
		problem "$what: $(basename "$file") is $(stat -c %s "$file") bytes, want $(stat -c %s "$tmp/want");" \
			"first difference: $(cmp "$tmp/want" "$file" 2>&1 | head -1)"
	fi
}

# ---- a replay fed line by line ----
# start ARGS...: runs mvm replay ARGS - on a FIFO; feed sends lines.
start() {
	rm -f "$tmp/fifo"
	mkfifo "$tmp/fifo"
	"$mvm" replay "$@" - < "$tmp/fifo" > "$tmp/live.out" 2> "$tmp/live.err" &
	pid=$!
	exec 3> "$tmp/fifo"
	marks=0
}
feed() { printf '%s\n' "$@" >&3; }
# reached DIR: feeds a `file` line and waits until the host has written
# it: every line before it has run by then.
reached() {
	local dir=$1 i
	marks=$((marks + 1))
	feed "file mark$marks 1 $marks"
	for i in $(seq 1 200); do
		[ -s "$dir/mark$marks" ] && return 0
		kill -0 "$pid" 2> /dev/null || break
		sleep 0.05
	done
	problem "mvm did not get to mark $marks: $(head -3 "$tmp/live.err")"
	return 1
}
finish() {
	exec 3>&-
	wait "$pid"
	local status=$?
	pid=
	[ "$status" = 0 ] || problem "the live replay exited $status: $(head -3 "$tmp/live.err")"
}

A=0x100000000000
B=0x100800000000
dir=$tmp/files

# 1. msync, the last munmap, and the end of the replay, seen while mvm runs.
start --verify --check-every 1 --files "$dir"
feed "mvm-trace 1" "file d 0x5800 1" "1 spawn" \
	"1 mmap $A 0x6000 rw- shared file d 0x0" \
	"1 write 0x100000000ff0 0x2020 2" \
	"1 write 0x100000005000 0x1000 3" \
	"1 pwrite d 0x2000 0x10 4"
if reached "$dir"; then
	# A write-back cache: nothing has reached the host before msync.
	same "before msync" "$dir/d" f:0x5800:1
fi
feed "1 msync $A 0x6000"
after_msync="f:0x5800:1 s:0xff0:0x2020:2:0x100000000ff0 s:0x5000:0x1000:3:0x100000005000 p:0x2000:0x10:4"
if reached "$dir"; then
	# shellcheck disable=SC2086
	same "after msync" "$dir/d" $after_msync
fi
feed "2 spawn" "2 mmap $B 0x6000 rw- shared file d 0x0" \
	"2 write 0x100800003000 0x100 5" "2 exit" \
	"1 write 0x100000004000 0x10 6" "1 pwrite d 0x10 0x10 7" \
	"1 munmap $A 0x6000"
after_unmap="$after_msync s:0x3000:0x100:5:0x100800003000 s:0x4000:0x10:6:0x100000004000 p:0x10:0x10:7"
if reached "$dir"; then
	# shellcheck disable=SC2086
	same "after the last mapping went away" "$dir/d" $after_unmap
fi
feed "1 pwrite d 0x5000 0x20 8" "file g 0x100 9" "1 pwrite g 0x3000 0x10 10" \
	"1 pread d 0x0 0x6000" "1 exit"
finish
# shellcheck disable=SC2086
same "after the replay (pwrite only)" "$dir/d" $after_unmap p:0x5000:0x20:8
same "after the replay (a hole)" "$dir/g" f:0x100:9 p:0x3000:0x10:10
same "a mark file" "$dir/mark1" f:1:1

# 2. Rewritten while data_returns of the old contents are in flight (a
# slow pager, a small dirty bound): they must not land on the new bytes.
cat > "$tmp/rewrite.trace" <<EOF
mvm-trace 1
file r 0x10000 1
1 spawn
1 mmap $A 0x10000 rw- shared file r 0x0
1 write $A 0x10000 2
file r 0x10000 3
1 pread r 0x0 0x10000
1 munmap $A 0x10000
1 exit
stat
EOF
rm -rf "$dir"
"$mvm" replay --verify --check-every 1 --files "$dir" --dirty-max 4 --pager-latency 10000000 \
	"$tmp/rewrite.trace" > "$tmp/out" 2> "$tmp/err" || problem "rewrite: $(head -3 "$tmp/err")"
same "rewritten with returns in flight" "$dir/r" f:0x10000:3
grep -q '^# file pager 0: .*dropped [1-9]' "$tmp/out" ||
	problem "rewrite: no data_return was in flight at the rewrite (the test proves nothing): $(grep '# file pager' "$tmp/out")"

# 3. Tiny RAM: write-back to make room, reading back, private copies.
cat > "$tmp/small.trace" <<EOF
mvm-trace 1
file big 1M 1
1 spawn
1 mmap $A 1M rw- shared file big 0x0
1 mmap $B 1M rw- private file big 0x0
1 write 0x100000001000 0xfe000 2
1 write $B 512K 3
1 read $A 1M
1 pwrite big 0xff000 0x2000 4
1 fork 2
2 write 0x100000080000 0x100 5
2 exit
1 read $B 1M
1 exit
EOF
small_img="f:0x100000:1 s:0x1000:0xfe000:2:0x100000001000 p:0xff000:0x2000:4 s:0x80000:0x100:5:0x100000080000"
for args in "--ram 256K" "--ram 256K --inject file-write@1" "--ram 256K --inject file-write@1-3" \
	"--ram 256K --dirty-max 1 --pager-inflight 1" "--ram 64M --inject file-write@2-4"; do
	rm -rf "$dir"
	# shellcheck disable=SC2086
	if ! "$mvm" replay --verify --check-every 1 --files "$dir" $args --stat "$tmp/small.trace" \
		> "$tmp/out" 2> "$tmp/err"; then
		problem "small ($args): $(grep -v '^#' "$tmp/err" | head -5)"
		continue
	fi
	# shellcheck disable=SC2086
	same "small ($args)" "$dir/big" $small_img
	case $args in
	*file-write@1-3*) want=3 ;;
	*file-write@2-4*) want=3 ;;
	*file-write@1*) want=1 ;;
	*) want=0 ;;
	esac
	grep -q "^# file pager 0: .*errors $want," "$tmp/err" ||
		problem "small ($args): the pager should count $want errors: $(grep '# file pager' "$tmp/err")"
	if grep -q 'pager-inflight 1' <<< "$args"; then
		grep -q '^# file pager 0: .*(peak 1)' "$tmp/err" ||
			problem "small ($args): more than 1 data_return in flight: $(grep '# file pager' "$tmp/err")"
	fi
done

# 4. msync under write errors: it returns once the bytes are there.
start --verify --files "$dir" --inject file-write@1-3
feed "mvm-trace 1" "file e 0x3000 1" "1 spawn" "1 mmap $A 0x3000 rw- shared file e 0x0" \
	"1 write $A 0x3000 2" "1 msync $A 0x3000"
reached "$dir" && same "msync with write errors" "$dir/e" f:0x3000:1 s:0:0x3000:2:$A
feed "1 exit"
finish

# 5. Read errors: pread says EIO (Linux's errno), a fault on a mapping
# gets sigbus (as on Linux), nothing is lost, and the next access works.
cat > "$tmp/readerr.trace" <<EOF
mvm-trace 1
file x 0x2000 1
file y 0x2000 1
1 spawn
1 pread x 0x0 0x2000
1 pread x 0x0 0x2000
1 mmap $A 0x2000 rw- shared file y 0x0
1 read 0x100000001000 0x1000
1 read 0x100000001000 0x1000
1 write $A 0x10 2
1 exit
EOF
rm -rf "$dir"
"$mvm" replay --files "$dir" --inject file-read@1,file-read@3 "$tmp/readerr.trace" > "$tmp/out" 2> "$tmp/err" ||
	problem "read errors: exit status $?: $(head -3 "$tmp/err")"
"$mvm" replay "$tmp/readerr.trace" > "$tmp/good" 2> /dev/null
{
	echo "1 pread error EIO"
	sed -n 2p "$tmp/good"
	echo "1 sigbus 0x100000001000"
	sed -n 4p "$tmp/good"
} > "$tmp/want.out"
cmp -s "$tmp/want.out" "$tmp/out" ||
	problem "read errors: want $(tr '\n' '|' < "$tmp/want.out"); got $(tr '\n' '|' < "$tmp/out")"
same "read errors" "$dir/x" f:0x2000:1
same "read errors" "$dir/y" f:0x2000:1 s:0:0x10:2:$A

# 6. Default files: no name in $TMPDIR, ever.
mkdir "$tmp/tmpdir"
TMPDIR=$tmp/tmpdir "$mvm" replay "$tmp/small.trace" > /dev/null 2> "$tmp/err" ||
	problem "default files: $(head -3 "$tmp/err")"
[ -z "$(ls -A "$tmp/tmpdir")" ] || problem "default files left $(ls -A "$tmp/tmpdir") in \$TMPDIR"
TMPDIR=$tmp/tmpdir start
feed "mvm-trace 1" "file q 0x4000 1" "1 spawn" "1 pwrite q 0x0 0x1000 2"
sleep 0.5
[ -z "$(ls -A "$tmp/tmpdir")" ] || problem "a running mvm shows its files in \$TMPDIR: $(ls -A "$tmp/tmpdir")"
kill -9 "$pid" 2> /dev/null
exec 3>&-
wait "$pid" 2> /dev/null
pid=
[ -z "$(ls -A "$tmp/tmpdir")" ] || problem "a killed mvm left files in \$TMPDIR: $(ls -A "$tmp/tmpdir")"

# 7. Bad file options exit 2 before anything runs.
expect() { # PATTERN ARGS...
	local pattern=$1
	shift
	"$mvm" replay "$@" "$tmp/readerr.trace" > /dev/null 2> "$tmp/err"
	local got=$?
	if [ "$got" -ne 2 ] || ! grep -q -- "$pattern" "$tmp/err"; then
		problem "mvm replay $* -> exit $got (want 2), stderr lacks \"$pattern\": $(head -2 "$tmp/err")"
	fi
}
expect '\-\-files .*no/such' --files "$tmp/no/such"
expect '\-\-dirty-max: "x" is not' --dirty-max x
expect '\-\-dirty-max: at least 1' --dirty-max 0
expect '\-\-dirty-max: 101% is more than all of RAM' --dirty-max 101%
expect '\-\-pager-inflight: "0" is not a number from 1' --pager-inflight 0
expect '\-\-pager-latency: "soon" is not a number' --pager-latency soon
expect '\-\-pager-rate: "-1" is not a number' --pager-rate -1
expect '\-\-inject: "file-read@0": events count from 1' --inject file-read@0

[ $fail = 0 ] && echo "file durability: all passed"
exit $fail
