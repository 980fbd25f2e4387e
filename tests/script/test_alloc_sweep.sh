#!/usr/bin/env bash
# Allocation-failure sweep: DESIGN.md invariant 6 at every allocation.
#
# For each workload below (hand-written traces, random traces with and
# without files at roomy and tiny RAM, the scenario generators at small
# sizes), the uninjected run gives the reference output.  Then, for every
# allocation the workload makes (or a deterministic sample of them),
# `--inject KIND@N` fails the Nth allocation attempt, and the run must
# recover as invariant 6 says:
#
#   - it runs under --verify and --check-every 1 and exits 0: the model
#     agrees with every line and every invariant holds after every step;
#   - its output (`#` lines aside) is the reference output (the output of
#     a run with --swap 0, if the failure cost the swap device at boot,
#     which the machine announces), or the first
#     line where it departs is the system saying it refused: `P killed
#     oom` or `P OP error ENOMEM`  (after a kill the rest may differ, as
#     the killed process's operations are skipped; --verify holds it);
#   - or it stops with exit 2 and the host's message that memory ran out
#     where no process can be killed (an injected failure at boot, or a
#     `file` line before any process exists), with the reference output
#     up to there;
#   - never a crash, a sanitizer report, a check or model failure, or a
#     hang (each run is under `timeout`).
#
# Counting.  Event N of a kind is the same allocation on every run (the
# simulator is deterministic), and a run with KIND@N reports the failure
# in `--stat` ("injected failures: KIND 1 (of T)") exactly when the
# uninjected run makes at least N attempts of that kind.  So the number of
# attempts of each kind is found by searching on that report, with no
# extra interface (see count_attempts).
#
# Which N.  With MVM_SWEEP_FULL=1 every N of `alloc` (each allocation of
# every site, in order), plus N+ (everything from N on fails) at a sample.
# By default (CI) a deterministic sample: for `alloc` and for each per-site
# kind (alloc-page, alloc-kmem, alloc-ptp, alloc-pv, alloc-boot) the first
# attempts, the last, and evenly spread ones, up to a number of samples
# per kind and workload, so every site kind reached is covered; plus
# alloc@N+ (a shortage that never ends) and alloc@N-M (a burst).
#
# Usage: test_alloc_sweep.sh MVM SRC BUILD
#   MVM_SWEEP_FULL=1        every allocation (minutes)
#   MVM_SWEEP_SAMPLES=K     samples per kind and generated workload (default 12)
#   MVM_SWEEP_TRACE_SAMPLES=K  the same for each tests/trace trace (default 6)
set -u
mvm=$1
src=$2
full=${MVM_SWEEP_FULL:-0}
samples=${MVM_SWEEP_SAMPLES:-12}
trace_samples=${MVM_SWEEP_TRACE_SAMPLES:-6}
limit=${MVM_SWEEP_TIMEOUT:-60}
fail=0
runs=0
same=0
refused=0
stopped=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
kinds=(alloc alloc-page alloc-kmem alloc-ptp alloc-pv alloc-boot)

# Workloads: NAME|SOURCE|REPLAY OPTIONS|SAMPLES|KINDS.  SOURCE is `gen
# ...` (an mvm gen command line) or a trace under SRC.  Every hand-written
# trace of tests/trace joins with its .args (so the set grows with the
# features), swept by `alloc` alone (every site, in order) with fewer
# samples; the generated workloads by every kind.
workloads=(
	"random1-64M|gen random --seed 1 --ops 150|--ram 64M|$samples|all"
	"random2-256K|gen random --seed 2 --ops 150|--ram 256K --swap 1M|$samples|all"
	"random3-nofiles-384K|gen random --seed 3 --ops 150 --no-files|--ram 384K --swap 0|$samples|all"
	"random4-files-256K|gen random --seed 4 --ops 150|--ram 256K --swap 512K|$samples|all"
	"fork-server|gen fork-server --heap 256K --forks 6 --child-pages 4 --server-pages 4|--ram 512K|$samples|all"
	"vm-test|gen vm-test --procs 3 --rounds 8 --heap 256K|--ram 512K --swap 2M|$samples|all"
	"fragmentation|gen fragmentation --rounds 3|--ram 1M|$samples|all"
	"parallel-build|gen parallel-build --quick --units 2 --bursts 3|--ram 1M|$samples|all"
	"translator|gen translator --quick --requests 40|--ram 544K|$samples|all"
)
for t in "$src"/tests/trace/*.trace; do
	base=${t%.trace}
	args=
	[ -f "$base.args" ] && args=$(cat "$base.args")
	workloads+=("$(basename "$base")|${t#"$src"/}|$args|$trace_samples|alloc")
done

# Runs the workload's trace ($tmp/t) with OPTS plus ARGS, from the
# trace's directory (an .args file may name files there); status in $rc,
# output in $tmp/out, stderr in $tmp/err.
run() {
	(cd "$dir" && timeout "$limit" "$mvm" replay "${opts[@]}" "$@" "$tmp/t") > "$tmp/out" 2> "$tmp/err"
	rc=$?
}

# Attempts of KIND the uninjected run makes.  KIND@N fires exactly when
# the uninjected run makes at least N attempts (a run departs from the
# reference only at N), so an exponential search finds the power of two
# below the count; the run at that power reports the attempts it made
# ("of T"), which is the count unless its failure changed what followed.
# That is enough to spread samples; the full sweep bisects to the exact
# count.
fires() { # KIND N: sets of (the attempts that run made)
	run --stat --inject "$1@$2"
	of=$(sed -n "s/^# injected failures:.* $1 1 (of \([0-9]*\)).*/\1/p" "$tmp/err")
	[ -n "$of" ] && return 0
	of=$2
	[ "$rc" = 2 ] && host_out_of_memory
}
count_attempts() { # KIND
	local lo=0 hi=1 mid seen=0
	while fires "$1" "$hi"; do
		lo=$hi
		seen=$of
		hi=$((hi * 2))
	done
	if [ "$full" != 1 ]; then
		echo $((seen > lo ? seen : lo))
		return
	fi
	while [ $((hi - lo)) -gt 1 ]; do
		mid=$(((lo + hi) / 2))
		if fires "$1" "$mid"; then lo=$mid; else hi=$mid; fi
	done
	echo "$lo"
}

# The values of N to try among 1..COUNT: every one (full), or SAMPLES of
# them: the first (boot and the first operations, where failures find no
# process to kill; the first three when SAMPLES allows), the last, and
# evenly spread ones.
pick() { # COUNT SAMPLES
	local count=$1 samples=$2 head=1 i
	if [ "$full" = 1 ] || [ "$count" -le "$samples" ]; then
		seq 1 "$count"
		return
	fi
	[ "$samples" -ge 8 ] && head=3
	{
		seq 1 "$head"
		echo "$count"
		for ((i = 1; i <= samples - head - 1; i++)); do
			echo $((head + i * (count - head) / (samples - head)))
		done
	} | sort -n | uniq
}

say_fail() { # WHY
	echo "FAIL: $name --inject $spec: $1"
	echo "  reproduce: $repro"
	sed 's/^/    /' "$tmp/err" | grep -v '^    #' | head -12
	fail=1
}

# The first line where $tmp/got departs from $tmp/ref (empty if equal; one
# past the end of got if got stops short).
first_departure() {
	awk 'FILENAME == ARGV[1] { ref[FNR] = $0; nref = FNR; next }
	     !done && (FNR > nref || ref[FNR] != $0) { print FNR; done = 1 }
	     { ngot = FNR }
	     END { if (!done && ngot < nref) print ngot + 1 }' "$ref" "$tmp/got"
}

# Whether the output departs from the reference only where the system
# says it refused: the first line that differs is `P killed oom` or `P OP
# error ENOMEM`.  With SHORT_OK the output may also stop early (the run
# stopped for want of memory).  Sets $how.
departs_cleanly() { # SHORT_OK
	local line
	grep -v '^#' "$tmp/out" > "$tmp/got"
	line=$(first_departure)
	how=same
	[ -n "$line" ] || return 0
	how=refused
	if [ "$line" -gt "$(wc -l < "$tmp/got")" ]; then
		[ "$1" = 1 ] && return 0
		say_fail "the output stops short of the reference at line $line with no refusal"
		return 1
	fi
	if sed -n "${line}p" "$tmp/got" | grep -Eq '^[0-9]+ (killed oom|[a-z]+ error ENOMEM)$'; then
		return 0
	fi
	say_fail "line $line departs from the reference without a refusal:
    want: $(sed -n "${line}p" "$ref")
    got:  $(sed -n "${line}p" "$tmp/got")"
	return 1
}

# A stop for want of memory where nobody could be killed (exit 2 and the
# host's message): an injected failure at boot, or a `file` line when no
# process is left to kill.
host_out_of_memory() {
	grep -Eq '^mvm: (an injected allocation failure stopped boot|line [0-9]+: the host cannot replay this: no memory)' "$tmp/err"
}

# A failure at boot may cost the swap allocator: the machine announces
# that it runs without swap, and must then do what it does with --swap 0.
# That reference is made once per workload, when first needed.
pick_reference() {
	ref=$tmp/ref
	grep -q '^mvm: swap: no memory for the slot allocator; running without swap' "$tmp/err" ||
		return
	ref=$tmp/ref-noswap
	[ -f "$ref" ] && return
	cp "$tmp/out" "$tmp/out.keep"
	cp "$tmp/err" "$tmp/err.keep"
	run --verify --check-every 1 --swap 0
	grep -v '^#' "$tmp/out" > "$ref"
	[ "$rc" = 0 ] || say_fail "the reference run with --swap 0 failed (exit $rc)"
	mv "$tmp/out.keep" "$tmp/out"
	mv "$tmp/err.keep" "$tmp/err"
}

sweep_one() { # SPEC
	spec=$1
	repro="$gen_repro mvm replay ${opts[*]} --verify --check-every 1 --inject $spec $trace_arg"
	run --verify --check-every 1 --inject "$spec"
	runs=$((runs + 1))
	pick_reference
	case $rc in
	0) if departs_cleanly 0; then
		if [ "$how" = same ]; then same=$((same + 1)); else refused=$((refused + 1)); fi
	fi ;;
	2) if host_out_of_memory; then
		departs_cleanly 1 && stopped=$((stopped + 1))
	else
		say_fail "exit 2"
	fi ;;
	124) say_fail "hung (no exit within ${limit}s)" ;;
	1) say_fail "a check or the model failed" ;;
	*) say_fail "crashed (exit $rc)" ;;
	esac
}

for w in "${workloads[@]}"; do
	IFS='|' read -r name source optline nsamples wkinds <<< "$w"
	read -r -a opts <<< "$optline"
	dir=$tmp
	if [ "${source%% *}" = gen ]; then
		read -r -a gen <<< "$source"
		"$mvm" "${gen[@]}" > "$tmp/t" || { echo "FAIL: $name: mvm $source"; fail=1; continue; }
		gen_repro="mvm $source |"
		trace_arg=-
	else
		cp "$src/$source" "$tmp/t"
		dir=$(dirname "$src/$source")
		gen_repro="(cd $(dirname "$source") &&"
		trace_arg="$(basename "$source"))"
	fi
	spec=none
	repro="$gen_repro mvm replay ${opts[*]} --verify --check-every 1 $trace_arg"
	run --verify --check-every 1
	if [ "$rc" != 0 ]; then
		say_fail "the uninjected run failed (exit $rc)"
		continue
	fi
	grep -v '^#' "$tmp/out" > "$tmp/ref"
	rm -f "$tmp/ref-noswap"
	summary=
	for kind in "${kinds[@]}"; do
		[ "$wkinds" = all ] || [ "$kind" = alloc ] || continue
		count=$(count_attempts "$kind")
		summary+=" $kind $count"
		[ "$kind" = alloc ] || [ "$full" != 1 ] || continue # alloc@N covers every site
		[ "$count" -gt 0 ] || continue
		for n in $(pick "$count" "$nsamples"); do
			sweep_one "$kind@$n"
		done
		# Persistent shortage from the middle on, and a burst of failures.
		if [ "$kind" = alloc ]; then
			sweep_one "alloc@$(((count + 1) / 2))+"
			sweep_one "alloc@1+"
			sweep_one "alloc@$(((count + 3) / 4))-$(((count + 3) / 4 + 20))"
		fi
	done
	echo "$name:$summary"
	[ "$fail" = 0 ] || [ "${MVM_SWEEP_KEEP_GOING:-0}" = 1 ] || break
done
echo "alloc sweep: $runs injected runs ($same identical output, $refused refused with" \
	"killed/ENOMEM, $stopped stopped with no process to kill);" \
	"$([ "$fail" = 0 ] && echo all recovered || echo FAILURES)"
exit $fail
