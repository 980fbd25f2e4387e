#!/usr/bin/env bash
# test_recorded.sh MVM SOURCE_DIR BUILD_DIR
#
# The workloads recorded from real programs (tests/record/*.trace.gz, see
# record.sh there) replay under the reference model and the checker
# after every operation, with no output at all (a recorded program never
# faulted, so a segv or sigbus line means the recording lost a mapping),
# and Linux (native-replay) executes them with the same output.
. "$(dirname "$0")/lib.sh"
src=$2 build=$3
n=0

for gz in "$src"/tests/record/*.trace.gz; do
	name=$(basename "$gz" .trace.gz)
	n=$((n + 1))
	gzip -dc "$gz" > "$tmp/$name.trace" || { say_fail "$name: cannot decompress"; continue; }
	head -1 "$tmp/$name.trace" | grep -q '^# recorded by: mvm record' ||
		say_fail "$name: the first line does not say how it was recorded"
	if ! "$mvm" replay --verify --check-every 1 "$tmp/$name.trace" > "$tmp/$name.mvm" 2> "$tmp/err"; then
		say_fail "$name: mvm replay --verify --check-every 1 failed: $(head -3 "$tmp/err")"
		continue
	fi
	[ -s "$tmp/$name.mvm" ] && say_fail "$name: the replay prints: $(head -3 "$tmp/$name.mvm")"
	"$build/native-replay" "$tmp/$name.trace" > "$tmp/$name.native" 2> "$tmp/err"
	case $? in
	0) "$build/trace-diff" "$tmp/$name.native" "$tmp/$name.mvm" > "$tmp/diff" ||
		say_fail "$name: Linux and mvm disagree: $(head -5 "$tmp/diff")" ;;
	77) echo "$name: native-replay cannot use its window in this build: Linux not compared" ;;
	*) say_fail "$name: native-replay fails: $(head -3 "$tmp/err")" ;;
	esac
	rm -f "$tmp/$name.trace"
done
[ $n -ge 2 ] || say_fail "expected the recorded workloads in tests/record, found $n"
[ $fail = 0 ] && echo "recorded: $n real-program traces replay under the checker and agree with Linux"
exit $fail
