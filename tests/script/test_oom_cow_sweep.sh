#!/bin/sh
# test_oom_cow_sweep.sh MVM_BINARY SOURCE_DIR BUILD_DIR
#
# Issue 19: one `write` through a private file mapping was killed (`1
# killed oom`) with swap nearly empty, because every copy-on-write fault's
# reclaim freed the clean file page it was copying from and called that
# progress.  This sweeps that shape over RAM sizes from 256K to 1M and
# store sizes up to what RAM and swap can hold, and requires Linux's
# output (native-replay, compared with trace-diff) at every point: the
# system may kill only when nothing at all can be reclaimed, and below
# that size there always is something.
#
# "What RAM and swap can hold": every swap slot, plus the frames that are
# not the core's own; CORE_FRAMES is a generous bound on those (page
# array, zero page, the metadata reserve, page tables, pv chunk, slabs:
# about 20 at these sizes).  Steps keep the run to a few seconds.
#
# Skips (exit 0) when native-replay cannot use its address window here
# (status 77, e.g. an AddressSanitizer build).
set -u
MVM=$1 SRC=$2 BUILD=$3
NATIVE=$BUILD/native-replay
DIFF=$BUILD/trace-diff
SWAP_KB=1024
CORE_FRAMES=32
STEP=16
: "$SRC"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/test_oom_cow_sweep.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
failures=0
runs=0

printf '' > "$scratch/empty.trace"
"$NATIVE" "$scratch/empty.trace" > /dev/null 2>&1
case $? in
0) ;;
77) echo "SKIP: native-replay cannot use its address window in this build"; exit 0 ;;
*) echo "FAIL: native-replay fails on an empty trace"; exit 1 ;;
esac

# The trace of issue 19 for a store of $1 pages, into $scratch/N.trace.
make_trace() { # PAGES
	kb=$(($1 * 4))
	printf 'file c0 %dK 1\n1 spawn\n1 mmap 0x100000000000 %dK rw- private file c0 0\n1 write 0x100000000000 %dK 5\n1 read 0x100000000000 %dK\n' \
		$kb $kb $kb $kb > "$scratch/$1.trace"
}

# Linux's output for a store of $1 pages, computed once.
native_out() { # PAGES
	[ -f "$scratch/$1.native" ] && return 0
	make_trace "$1"
	"$NATIVE" "$scratch/$1.trace" > "$scratch/$1.native" 2> "$scratch/err" || {
		echo "FAIL: native-replay on $1 pages: $(head -c 300 "$scratch/err")"
		return 1
	}
}

# mvm with RAM_KB must print what Linux prints for a store of PAGES.
check_point() { # RAM_KB PAGES
	runs=$((runs + 1))
	native_out "$2" || { failures=$((failures + 1)); return; }
	if ! "$MVM" replay --ram "$1K" --swap "${SWAP_KB}K" "$scratch/$2.trace" \
		> "$scratch/mvm.out" 2> "$scratch/err"; then
		failures=$((failures + 1))
		echo "FAIL ram ${1}K, $2 pages: mvm replay failed: $(head -c 300 "$scratch/err")"
	elif ! "$DIFF" "$scratch/$2.native" "$scratch/mvm.out" > "$scratch/diff" 2>&1; then
		failures=$((failures + 1))
		[ $failures -le 10 ] && echo "FAIL ram ${1}K, $2 pages: differs from Linux:
$(sed 's/^/    /' "$scratch/diff")"
	fi
}

for ram in 256 320 384 448 512 640 768 1024; do
	cap=$((SWAP_KB / 4 + ram / 4 - CORE_FRAMES))
	pages=8
	while [ $pages -lt $cap ]; do
		check_point $ram $pages
		pages=$((pages + STEP))
	done
	check_point $ram $cap
done

if [ $failures -ne 0 ]; then
	echo "$failures of $runs points differ from Linux"
	exit 1
fi
echo "ok: $runs points agree with Linux"
