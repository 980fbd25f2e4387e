#!/usr/bin/env bash
# test_record_live.sh MVM SOURCE_DIR BUILD_DIR
#
# `mvm record` on a live program whose recording is known in advance
# (tests/record/probe.c, compiled here): its mapping, the one ranged
# write touch of its four pages, the fork, the child's read and unmap and
# exit, then the parent's mprotect, read and unmap, in that order; with
# --no-relocate at the program's own address, and by default at an
# address in native-replay's window with the same offset in its GiB.
# The recordings replay under the model and the checker with no segv,
# and Linux (native-replay) agrees.  Bad options exit 2.
. "$(dirname "$0")/lib.sh"
src=$2 build=$3

cc -O1 -o "$tmp/probe" "$src/tests/record/probe.c" || { echo "FAIL: cannot compile the probe"; exit 1; }

# Line number of the first line of FILE equal to TEXT, after line AFTER.
line_of() { # FILE AFTER TEXT
	awk -v after="$2" -v text="$3" 'NR > after && $0 == text { print NR; exit }' "$1"
}

# The probe's operations must appear in FILE, in order, at address BASE.
expect_probe() { # FILE BASE
	local f=$1 base=$2 at=0 n
	local a0 a2 a3
	a0=$(printf '0x%x' "$base")
	a2=$(printf '0x%x' $((base + 0x2000)))
	a3=$(printf '0x%x' $((base + 0x3000)))
	for want in "1 mmap $a0 0x4000 rw- private anon" "1 touch $a0 0x4000 w" "1 fork 2" \
		"2 touch $a2 0x1000 r" "2 munmap $a3 0x1000" "2 exit" \
		"1 mprotect $a0 0x1000 r--" "1 touch $a0 0x1000 r" "1 munmap $a0 0x4000" "1 exit"; do
		n=$(line_of "$f" "$at" "$want")
		if [ -z "$n" ]; then
			say_fail "$(basename "$f"): no \"$want\" after line $at"
			return
		fi
		at=$n
	done
}

# Replays FILE under the model and the checker: exit 0 and no output.
expect_replays() { # FILE
	"$mvm" replay --verify --check-every 1 "$1" > "$tmp/replay.out" 2> "$tmp/replay.err" ||
		say_fail "$(basename "$1") does not replay: $(head -3 "$tmp/replay.err")"
	[ -s "$tmp/replay.out" ] && say_fail "$(basename "$1") replays with output: $(head -3 "$tmp/replay.out")"
}

"$mvm" record --no-relocate -o "$tmp/real.trace" -- "$tmp/probe" > "$tmp/real.addr" 2> "$tmp/real.err" ||
	say_fail "mvm record --no-relocate failed: $(cat "$tmp/real.err")"
grep -q '^mvm record: 2 processes (1 spawned, 1 forked)' "$tmp/real.err" ||
	say_fail "the report does not count the probe's two processes: $(head -1 "$tmp/real.err")"
grep -q '^# recorded by: mvm record --no-relocate -- ' "$tmp/real.trace" ||
	say_fail "the trace does not say how it was recorded"
real=$(cat "$tmp/real.addr")
expect_probe "$tmp/real.trace" "$real"
expect_replays "$tmp/real.trace"

"$mvm" record -o "$tmp/moved.trace" -- "$tmp/probe" > "$tmp/moved.addr" 2> "$tmp/moved.err" ||
	say_fail "mvm record failed: $(cat "$tmp/moved.err")"
real=$(cat "$tmp/moved.addr")
moved=$(awk '$1 == 1 && $2 == "mmap" && $4 == "0x4000" && $6 == "private" && $7 == "anon" { a = $3 }
	END { print a }' "$tmp/moved.trace")
if [ -z "$moved" ]; then
	say_fail "the relocated trace has no mapping of the probe's four pages"
else
	[ $((moved & 0x3fffffff)) = $((real & 0x3fffffff)) ] ||
		say_fail "relocation moved $real to $moved: not the same place in its GiB"
	[ $((moved >= 0x100000000000 && moved < 0x200000000000)) = 1 ] ||
		say_fail "relocation moved $real to $moved, outside native-replay's window"
	expect_probe "$tmp/moved.trace" "$moved"
fi
expect_replays "$tmp/moved.trace"
cp "$tmp/replay.out" "$tmp/mvm.out"
"$build/native-replay" "$tmp/moved.trace" > "$tmp/native.out" 2> "$tmp/native.err"
case $? in
0) "$build/trace-diff" "$tmp/native.out" "$tmp/mvm.out" > "$tmp/diff" ||
	say_fail "Linux and mvm disagree on the probe's recording: $(head -5 "$tmp/diff")" ;;
77) echo "native-replay cannot use its window in this build: Linux not compared" ;;
*) say_fail "native-replay fails on the probe's recording: $(head -3 "$tmp/native.err")" ;;
esac

# Bad options: a clear message and exit 2.
expect_usage() { # PATTERN ARGS...
	local pattern=$1
	shift
	"$mvm" record "$@" > /dev/null 2> "$tmp/err"
	[ $? = 2 ] && grep -q -- "$pattern" "$tmp/err" ||
		say_fail "record $*: want exit 2 and /$pattern/, got: $(head -1 "$tmp/err")"
}
expect_usage 'expected a program' 
expect_usage 'expected a program' --no-relocate --
expect_usage 'unknown option "--bogus"' --bogus -- true
expect_usage 'needs a value' -o

[ $fail = 0 ] && echo "record: the probe's recording is exact, replays, and Linux agrees"
exit $fail
