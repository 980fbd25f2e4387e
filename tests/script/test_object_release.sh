#!/usr/bin/env bash
# Releasing a shared anonymous object's pages is one sweep over its
# mapping list (object.c), in constant stack and near-linear time, however
# many mappings cut it up (issue 19).  Usage: test_object_release.sh MVM SRC BUILD
#
# The trace: map N pages shared, write the first 64, fork, the child unmaps
# every odd page (N/2 munmaps, N/2 mappings of the object), then the parent
# unmaps the whole range, which must free exactly the odd pages.  The old
# release recursed once per mapping and rescanned the list at each level:
# N = 32,768 overflowed a 256 KiB stack, and N = 360,000 the default 8 MiB
# one after about a minute.
#
#   1. N = 32,768 and N = 360,000 under a 256 KiB stack: exit 0, every
#      check passes (no page left that nobody maps), the child's even pages
#      keep their data, 32 of the 64 written pages stay resident; the
#      larger run within a time budget far below the old quadratic time.
#   2. N = 256 under --verify --check-every 1: every line as the model says.
. "$(dirname "$0")/lib.sh"

base=0x10000000

# The trace for N pages (generated: 360,000 pages is 180,000 lines).
gen_trace() { # N
	awk -v n="$1" -v base=$((base)) 'BEGIN {
		print "mvm-trace 1"
		print "1 spawn"
		printf "1 mmap 0x%x %d rw- shared anon\n", base, n * 4096
		printf "1 write 0x%x %d 7\n", base, 64 * 4096
		print "1 fork 2"
		for (p = 1; p < n; p += 2) {
			printf "2 munmap 0x%x 4096\n", base + p * 4096
			if (p == n / 2 + 1)
				print "check"
		}
		for (p = 0; p < 64; p += 2)
			printf "2 read 0x%x 4096\n", base + p * 4096
		printf "1 munmap 0x%x %d\n", base, n * 4096
		for (p = 0; p < 64; p += 2)
			printf "2 read 0x%x 4096\n", base + p * 4096
		print "stat"
		print "check"
	}'
}

# Frames holding anonymous data, from the trace's `stat`.
anon_pages() { grep -m1 '^# frames:' "$1" | sed -n 's/.*anon data \([0-9]*\),.*/\1/p'; }

# Runs the trace for N pages under a 256 KiB stack (a failed `check`
# exits 1); sets $elapsed.
small_stack_run() { # N
	local n=$1 out=$tmp/$1.out start rc=0
	gen_trace "$n" > "$tmp/$n.trace"
	start=$(date +%s.%N)
	(ulimit -s 256 && exec "$mvm" replay "$tmp/$n.trace") > "$out" 2> "$tmp/$n.err" || rc=$?
	if [ $rc != 0 ]; then
		say_fail "N=$n under a 256 KiB stack: exit $rc (139: stack overflow): $(head -3 "$tmp/$n.err")"
		return 1
	fi
	elapsed=$(echo "$(date +%s.%N) - $start" | bc)
	# The child's 32 reads before the parent's munmap equal the 32 after.
	grep '^2 read ' "$out" > "$tmp/reads"
	[ "$(wc -l < "$tmp/reads")" = 64 ] &&
		cmp -s <(head -32 "$tmp/reads") <(tail -32 "$tmp/reads") ||
		say_fail "N=$n: the child's pages changed when the parent unmapped"
	[ "$(anon_pages "$out")" = 32 ] ||
		say_fail "N=$n: $(anon_pages "$out") anon pages held, want the child's 32"
	echo "N=$n: released under a 256 KiB stack in ${elapsed}s"
}

# 1. The sizes that crashed.
small_stack_run 32768
if small_stack_run 360000; then
	# Before: 58 s and a crash with 8 MiB of stack; now about a second.
	[ "$(echo "$elapsed < 30" | bc)" = 1 ] ||
		say_fail "N=360000 took ${elapsed}s (budget 30s): quadratic again?"
fi

# 2. A small one against the reference model, checked after every operation.
gen_trace 256 > "$tmp/v.trace"
"$mvm" replay --verify --check-every 1 "$tmp/v.trace" > /dev/null 2> "$tmp/v.err" ||
	say_fail "N=256 under --verify --check-every 1: $(head -3 "$tmp/v.err")"

[ $fail = 0 ] && echo "object-release: all passed"
exit $fail
