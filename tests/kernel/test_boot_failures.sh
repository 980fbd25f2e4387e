#!/usr/bin/env bash
# test_boot_failures.sh MVM SOURCE_DIR BUILD_DIR
#
# How `mvm boot` ends when something is wrong, each with its own status:
#   3  a kernel panic: an injected core assertion (freeing a free frame at
#      operation 3) is reported with the file, line and condition, and the
#      lines of the operations before it are printed;
#   2  bad input, as `mvm replay` reports it (FILE:LINE: message), after
#      the output of the lines before it; a file operation or a swap
#      device, which this kernel does not have yet.
. "$(dirname "$0")/lib.sh"

printf '1 spawn\n1 mmap 0x10000 4K rw- private anon\n1 read 0x10000 8\n1 write 0x10000 8 1\n' \
	> "$tmp/t.trace"
"$mvm" boot --inject-panic 4 "$tmp/t.trace" > "$tmp/out" 2> "$tmp/err"
status=$?
[ $status = 3 ] || say_fail "injected panic: want exit 3, got $status"
grep -q '^mvm: kernel panic: .*src/vm/page.c:[0-9]*: pg->use != VM_PAGE_FREE' "$tmp/err" ||
	say_fail "injected panic: no message with where and why: $(cat "$tmp/err")"
[ "$(cat "$tmp/out")" = "1 read 0x10000 0x8 a8c7f832281a39c5" ] ||
	say_fail "injected panic: the output before it is lost: $(cat "$tmp/out")"

printf '1 spawn\n1 mmap 0x10000 4K rw- private anon\n1 read 0x10000 8\n1 bogus\n' > "$tmp/bad.trace"
(cd "$tmp" && "$mvm" boot bad.trace) > "$tmp/out" 2> "$tmp/err"
status=$?
[ $status = 2 ] || say_fail "bad input: want exit 2, got $status"
grep -q '^bad.trace:4: ' "$tmp/err" || say_fail "bad input: $(cat "$tmp/err")"
[ "$(wc -l < "$tmp/out")" = 1 ] || say_fail "bad input: the output before it is lost"

printf 'file f 4096 1\n' > "$tmp/file.trace"
"$mvm" boot "$tmp/file.trace" > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q 'no files' "$tmp/err" || say_fail "a file operation: $(cat "$tmp/err")"
"$mvm" boot --swap 16M "$tmp/t.trace" > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q 'swap' "$tmp/err" || say_fail "--swap: $(cat "$tmp/err")"
exit $fail
