#!/usr/bin/env bash
# record.sh MVM - records the workloads kept in this directory again.
#
# Each trace's first line says how it was recorded; this is the recipe
# with its inputs.  Run from a build of mvm with the recorder (scripts/
# build); the traces depend on the host's programs and libraries, so a
# new recording differs from the committed one, and that is fine: the
# tests check that whatever is committed replays and agrees with Linux.
set -euo pipefail
mvm=$(realpath "$1")
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# pipeline: a shell that forks four processes, three of them exec'ing.
"$mvm" record -o "$work/pipeline.trace" -- \
	env LC_ALL=C sh -c 'ls /usr/lib | sort | uniq -c | sort -n > /dev/null'

# sort: 400 lines of pseudo-random keys (the same every time).
awk 'BEGIN { x = 1; for (i = 0; i < 400; i++) { x = (x * 1103515245 + 12345) % 2147483648;
	printf "%010d line %d\n", x, i } }' > "$work/sort-input.txt"
(cd "$work" && "$mvm" record -o sort.trace -- env LC_ALL=C sort -o sorted.txt sort-input.txt)

for t in pipeline sort; do
	gzip -9 -n -c "$work/$t.trace" > "$t.trace.gz"
done
ls -l ./*.trace.gz
