#!/bin/sh
# test_native_replay.sh MVM_BINARY SOURCE_DIR BUILD_DIR
#
# Runs the hand-written traces of tests/native through native-replay (the
# Linux oracle) and checks its output against the expected output written
# from the spec (NAME.expected, compared with trace-diff: events exactly,
# maps by content).  A trace with NAME.stderr must fail with status 2 and
# exactly that message, after printing the output of the lines before it.
# Every run must leave no temporary files and no processes behind, also
# when the driver is killed by a signal.
#
# Skips (exit 0) when native-replay reports that this build cannot use the
# native window (status 77, e.g. an AddressSanitizer build).
set -u
MVM=$1 SRC=$2 BUILD=$3
NATIVE=$BUILD/native-replay
DIFF=$BUILD/trace-diff
DIR=$SRC/tests/native
: "$MVM"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/test_native_replay.XXXXXX") || exit 1
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/tmp"
fails=0

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# Whether any process still runs native-replay on trace $1.
leftover() {
	ps -eo args= | grep -F -- "native-replay $1" | grep -v grep >/dev/null
}

printf '' > "$scratch/empty.trace"
TMPDIR=$scratch/tmp "$NATIVE" "$scratch/empty.trace" > /dev/null 2>&1
case $? in
0) ;;
77) echo "SKIP: native-replay cannot use its address window in this build"; exit 0 ;;
*) echo "FAIL: native-replay fails on an empty trace"; exit 1 ;;
esac

cd "$DIR" || exit 1
count=0
for trace in *.trace; do
	name=${trace%.trace}
	count=$((count + 1))
	TMPDIR=$scratch/tmp "$NATIVE" "$trace" > "$scratch/out" 2> "$scratch/err"
	status=$?
	if [ -f "$name.stderr" ]; then
		[ "$status" -eq 2 ] || fail "$name: exit status $status, expected 2"
		cmp -s "$name.stderr" "$scratch/err" ||
			fail "$name: stderr is '$(cat "$scratch/err")', expected '$(cat "$name.stderr")'"
	else
		[ "$status" -eq 0 ] || fail "$name: exit status $status: $(cat "$scratch/err")"
		[ -s "$scratch/err" ] && fail "$name: unexpected stderr: $(cat "$scratch/err")"
	fi
	if ! "$DIFF" "$name.expected" "$scratch/out" > "$scratch/diff" 2>&1; then
		fail "$name: output differs from $name.expected"
		sed 's/^/    /' "$scratch/diff"
	fi
	[ -z "$(ls -A "$scratch/tmp")" ] && : || fail "$name: temporary files left: $(ls -A "$scratch/tmp")"
	leftover "$trace" && fail "$name: host processes left behind"
done

# Standard input, and the error prefix <stdin>.
TMPDIR=$scratch/tmp "$NATIVE" - < outside.trace > "$scratch/out" 2> "$scratch/err"
[ $? -eq 2 ] || fail "stdin: wrong exit status"
grep -qx '<stdin>:4: address range outside the native window' "$scratch/err" ||
	fail "stdin: message is '$(cat "$scratch/err")'"

# A signal in the middle of a replay: files removed, workers gone.
fifo=$scratch/fifo.trace
mkfifo "$fifo"
(
	printf 'file f 0x1000 1\n1 spawn\n1 fork 2\n2 mmap 0x100000000000 0x1000 r-- shared file f 0x0\n'
	sleep 30
) > "$fifo" &
writer=$!
TMPDIR=$scratch/tmp "$NATIVE" "$fifo" > /dev/null 2>&1 &
driver=$!
i=0
while [ $i -lt 100 ] && [ "$(ps -eo args= | grep -cF -- "native-replay $fifo")" -lt 3 ]; do
	sleep 0.05
	i=$((i + 1))
done
[ $i -lt 100 ] || fail "signal: the workers did not start"
[ -n "$(ls -A "$scratch/tmp")" ] || fail "signal: no temporary directory while running"
kill -TERM $driver
wait $driver
kill $writer 2>/dev/null
wait $writer 2>/dev/null
i=0
while [ $i -lt 100 ] && leftover "$fifo"; do
	sleep 0.05
	i=$((i + 1))
done
leftover "$fifo" && fail "signal: workers left behind"
[ -z "$(ls -A "$scratch/tmp")" ] || fail "signal: temporary files left: $(ls -A "$scratch/tmp")"

if [ $fails -ne 0 ]; then
	echo "$fails failure(s) in $count traces"
	exit 1
fi
echo "ok: $count traces"
