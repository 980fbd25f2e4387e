#!/usr/bin/env bash
# Device faults: every error the simulator can inject (src/sim/inject.c:
# swap-read, swap-write, file-read, file-write) and a swap device that
# fills up, each hitting one process (the victim) while others (the
# bystanders) hold data in RAM, in swap, in a region shared with a forked
# child, in a copy-on-write region, and in a shared file mapping.
#
# Each case runs its trace twice, without and with the fault, both under
# --check-every 1 (and --verify where the model can follow: it is told of
# kills, but cannot know that a device failed a read, so file-read cases
# and a msync that reports EIO run without it).  Then:
#   - the injection really fired (`--stat`: "injected failures: KIND N");
#   - the victim shows the failure as the spec and Linux would: `P killed
#     io` for a lost swap page, `sigbus` and `pread error EIO` for a file
#     page that cannot be read, `msync error EIO` for one that cannot be
#     written, `killed oom` when memory and swap are both full; or nothing
#     at all where the system recovers by itself (a failed swap or file
#     write is retried elsewhere or later, and no byte is lost);
#   - every line of every bystander is what it was without the fault: the
#     bystanders read back all their memory and files at the end, so no
#     other process's data changed.
#
# Usage: test_device_faults.sh MVM SRC BUILD
set -u
mvm=$1
fail=0
cases=0
limit=60
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The bystanders, before the victim runs: 2 has private memory (half of
# it paged out to swap), a shared region with its child 3, and a shared
# mapping of file b it wrote to; 3 wrote into both the copy-on-write and
# the shared region.
cat > "$tmp/head" <<'EOF'
mvm-trace 1
file b 64K 2
2 spawn
2 mmap 0x100000000000 256K rw- private anon
2 write 0x100000000000 256K 20
2 mmap 0x100000100000 64K rw- shared anon
2 write 0x100000100000 64K 21
2 mmap 0x200000000000 64K rw- shared file b 0x0
2 write 0x200000000000 32K 22
2 fork 3
3 write 0x100000000000 4K 23
3 write 0x100000108000 4K 24
2 madvise 0x100000000000 128K pageout
EOF
# After the victim: the bystanders read back everything they hold.
cat > "$tmp/tail" <<'EOF'
2 read 0x100000000000 256K
2 read 0x100000100000 64K
2 read 0x200000000000 64K
3 read 0x100000000000 256K
3 read 0x100000100000 64K
2 pread b 0 64K
check
2 exit
3 exit
check
EOF

say_fail() { echo "FAIL: $name: $*"; fail=1; }

# Events of KIND that TRACE makes with OPTS: the largest N for which
# KIND@N fires (see test_alloc_sweep.sh), for a spec that must skip the
# bystanders' own events.
events() { # KIND TRACE OPTS...
	local kind=$1 trace=$2 lo=0 hi=1 mid
	shift 2
	fires() {
		local n=$1
		shift
		"$mvm" replay "$@" --stat --inject "$kind@$n" "$trace" 2>&1 > /dev/null |
			grep -q "^# injected failures:.* $kind [0-9]"
	}
	while fires "$hi" "$@"; do lo=$hi; hi=$((hi * 2)); done
	while [ $((hi - lo)) -gt 1 ]; do
		mid=$(((lo + hi) / 2))
		if fires "$mid" "$@"; then lo=$mid; else hi=$mid; fi
	done
	echo "$lo"
}

# One case.  VICTIM is the victim's part of the trace (on stdin); OPTS
# the machine; SPEC the injection (`none`: the fault is the machine's);
# VERIFY yes or no; EXPECT an extended
# regex every one of whose `;`-separated parts must match a line of the
# injected output ("" when the fault must change no line at all).
# BYSTANDERS: a regex of the pids that must be untouched.
fault_case() { # NAME SPEC VERIFY EXPECT BYSTANDERS OPTS...
	name=$1
	local spec=$2 verify=$3 expect=$4 by=$5 trace="$tmp/$1.trace" part status
	local -a check=(--check-every 1) inject=(--inject "$spec")
	shift 5
	[ "$verify" = yes ] && check+=(--verify)
	[ "$spec" = none ] && inject=()
	cases=$((cases + 1))
	{ cat "$tmp/head"; cat; cat "$tmp/tail"; } > "$trace"
	if ! "$mvm" replay "$@" "${check[@]}" "$trace" > "$tmp/ref" 2> "$tmp/err"; then
		say_fail "the run without the fault failed: $(head -5 "$tmp/err")"
		return
	fi
	timeout "$limit" "$mvm" replay "$@" "${check[@]}" --stat "${inject[@]}" "$trace" > "$tmp/out" 2> "$tmp/err"
	status=$?
	local repro="mvm replay $* ${check[*]} ${inject[*]} $trace (the case's trace)"
	if [ "$status" != 0 ]; then
		say_fail "exit $status ($([ "$status" = 124 ] && echo hung || echo failed)): $repro"
		grep -v '^#' "$tmp/err" | head -8
		return
	fi
	[ "$spec" = none ] || grep -q "^# injected failures:.* ${spec%%@*} [1-9]" "$tmp/err" ||
		say_fail "--inject $spec never fired"
	grep -v '^#' "$tmp/ref" > "$tmp/ref.lines"
	grep -v '^#' "$tmp/out" > "$tmp/out.lines"
	if [ -z "$expect" ]; then
		cmp -s "$tmp/ref.lines" "$tmp/out.lines" ||
			say_fail "the fault changed output lines: $(diff "$tmp/ref.lines" "$tmp/out.lines" | head -6)"
	else
		IFS=';' read -r -a parts <<< "$expect"
		for part in "${parts[@]}"; do
			grep -Eq "^$part\$" "$tmp/out.lines" ||
				say_fail "no line /^$part\$/ in the output with the fault: $(head -5 "$tmp/out.lines")"
		done
	fi
	grep -E "^($by) " "$tmp/ref.lines" > "$tmp/ref.by"
	grep -E "^($by) " "$tmp/out.lines" > "$tmp/out.by"
	[ -s "$tmp/ref.by" ] || say_fail "the bystanders printed nothing"
	cmp -s "$tmp/ref.by" "$tmp/out.by" ||
		say_fail "a bystander's output changed: $(diff "$tmp/ref.by" "$tmp/out.by" | head -6)"
	echo "ok: $name ($spec)"
}

# 1. A swap read fails: only the process that needed the page dies.
fault_case swap-read swap-read@1 yes '1 killed io' '2|3' --ram 2M <<'EOF'
1 spawn
1 mmap 0x300000000000 256K rw- private anon
1 write 0x300000000000 256K 10
1 madvise 0x300000000000 256K pageout
1 read 0x300000000000 256K
1 read 0x300000000000 4K
EOF

# 2. The same for a child whose copy-on-write pages are in swap: the
#    child dies, the parent that shares the amap (and its pages in swap,
#    read around with the failed one) keeps every byte.
fault_case swap-read-cow swap-read@1 yes '5 killed io;4 read 0x300000000000 0x40000 [0-9a-f]{16}' \
	'2|3|4' --ram 2M <<'EOF'
4 spawn
4 mmap 0x300000000000 256K rw- private anon
4 write 0x300000000000 256K 40
4 madvise 0x300000000000 256K pageout
4 fork 5
5 read 0x300000000000 256K
4 read 0x300000000000 256K
4 exit
EOF

# 3. Swap writes fail, once and for ever: slots are retired, pages stay
#    in RAM; nobody notices.
victim_swap='1 spawn
1 mmap 0x300000000000 512K rw- private anon
1 write 0x300000000000 512K 10
1 madvise 0x300000000000 512K pageout
1 read 0x300000000000 512K
1 fork 6
6 write 0x300000000000 4K 60
6 madvise 0x300000000000 512K pageout
6 read 0x300000000000 512K
1 read 0x300000000000 512K
6 exit
1 exit'
fault_case swap-write swap-write@1 yes '' '2|3' --ram 2M <<< "$victim_swap"
fault_case swap-write-all swap-write@1+ yes '' '2|3' --ram 2M <<< "$victim_swap"

# 4. The swap device fills up (it is small, and later every write to it
#    fails and retires its slots): the process with the largest footprint
#    is killed, and the bystanders' pages in swap are all there.
victim_hog='1 spawn
1 mmap 0x300000000000 4M rw- private anon
1 write 0x300000000000 4M 10
1 read 0x300000000000 4M'
fault_case swap-full none yes '1 killed oom' '2|3' --ram 1M --swap 1M <<< "$victim_hog"
fault_case swap-full-retired swap-write@1+ yes '1 killed oom' '2|3' --ram 1M --swap 1M <<< "$victim_hog"

# 5. File reads fail (the victim's three data_requests, after the
#    bystanders' own): SIGBUS through a mapping, EIO through pread, as on
#    Linux; nothing is cached from a failed read, so the victim's later
#    accesses read the file.  The model cannot know: no --verify.
n=$(events file-read "$tmp/head" --ram 2M)
fault_case file-read "file-read@$((n + 1))-$((n + 3))" no \
	'1 sigbus 0x300000000000;1 sigbus 0x300000010000;1 pread error EIO;1 read 0x300000000000 0x10000 [0-9a-f]{16}' \
	'2|3' --ram 2M <<'EOF'
file a 64K 1
1 spawn
1 mmap 0x300000000000 64K r-- shared file a 0x0
1 mmap 0x300000010000 64K rw- private file a 0x0
1 read 0x300000000000 64K
1 read 0x300000010000 64K
1 pread a 0 64K
1 write 0x300000010000 4K 11
1 read 0x300000000000 64K
1 pread a 0 64K
EOF

# 6. File writes fail.  A few: the core writes the pages again, no line
#    changes.  For ever: msync says EIO; the pages stay dirty in the
#    cache, so every reader still sees the data.
victim_file='file a 128K 1
1 spawn
1 mmap 0x300000000000 128K rw- shared file a 0x0
1 write 0x300000000000 128K 12
1 msync 0x300000000000 128K
1 pwrite a 0 8K 13
1 madvise 0x300000000000 128K pageout
1 read 0x300000000000 128K
1 pread a 0 128K'
fault_case file-write file-write@1-3 yes '' '2|3' --ram 2M <<< "$victim_file"
expect_file_all='1 msync error EIO;1 read 0x300000000000 0x20000 [0-9a-f]{16};1 pread a 0x0 0x20000 [0-9a-f]{16}'
fault_case file-write-all file-write@1+ no "$expect_file_all" '2|3' --ram 8M <<< "$victim_file"

# Two bugs these cases found (both fixed in vm/file.c):
# every file write failing while the victim writes past the dirty bound
# (12% of 2M: 61 pages) made the writer wait for ever in the throttle;
fault_case file-write-throttle file-write@1+ no '1 read 0x300000000000 0x80000 [0-9a-f]{16}' \
	'2|3' --ram 2M <<'EOF'
file a 512K 1
1 spawn
1 mmap 0x300000000000 512K rw- shared file a 0x0
1 write 0x300000000000 512K 14
1 read 0x300000000000 512K
EOF
# and at 2M the background writeback sent the victim's 32 dirty pages
# (and failed) just before msync, which then said nothing: it must say
# EIO, as it does at 8M.
fault_case msync-lost-error file-write@1+ no "$expect_file_all" '2|3' --ram 2M <<< "$victim_file"

echo "device faults: $cases cases; $([ "$fail" = 0 ] && echo all passed || echo FAILURES)"
exit $fail
