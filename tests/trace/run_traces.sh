#!/usr/bin/env bash
# Hand-written trace tests.
#
#   NAME.trace     a trace
#   NAME.expected  its exact standard output (map lines included: mvm's
#                  entry counts are part of what is tested)
#   NAME.stderr    if present: the exact standard error, and exit status 2
#                  (bad input); otherwise the exit status must be 0
#   NAME.args      if present: extra options for mvm replay
#
# Every trace runs with --verify and --check-every 1, so the reference
# model and the consistency checker watch every step as well.
# Usage: run_traces.sh MVM DIR   (DIR holds the traces, and bad/ under it)
set -u
mvm=$1
dir=$2
fail=0
count=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run_one() {
	local trace=$1 base=${1%.trace} name args status
	name=${trace#"$dir"/}
	args=()
	[ -f "$base.args" ] && read -r -a args < "$base.args"
	(cd "$(dirname "$trace")" && "$mvm" replay --verify --check-every 1 "${args[@]}" \
		"$(basename "$trace")") > "$tmp/out" 2> "$tmp/err"
	status=$?
	count=$((count + 1))
	if ! cmp -s "$tmp/out" "$base.expected"; then
		echo "FAIL $name: standard output differs from $(basename "$base").expected:"
		diff "$base.expected" "$tmp/out" | head -20
		fail=1
	fi
	if [ -f "$base.stderr" ]; then
		if [ "$status" -ne 2 ] || ! cmp -s "$tmp/err" "$base.stderr"; then
			echo "FAIL $name: expected exit 2 and stderr $(cat "$base.stderr"); got exit $status:"
			head -5 "$tmp/err"
			fail=1
		fi
	elif [ "$status" -ne 0 ]; then
		echo "FAIL $name: exit $status"
		head -20 "$tmp/err"
		fail=1
	fi
}

for trace in "$dir"/*.trace "$dir"/bad/*.trace; do
	[ -e "$trace" ] && run_one "$trace"
done
echo "$count traces, $([ $fail = 0 ] && echo all passed || echo FAILURES)"
exit $fail
