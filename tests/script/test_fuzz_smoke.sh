#!/usr/bin/env bash
# The fuzz targets (tests/fuzz), two ways.
#
#   1. Always: each target, built with this build's compiler and
#      libraries and a plain main (tests/fuzz/fuzz_standalone.c), runs
#      over its seed corpus and every saved finding in tests/fuzz/crashes/
#      (regressions: each must now pass).  The replay target runs with
#      MVM_FUZZ_STRICT=1, so no seed is silently dropped by its bounds.
#   2. With clang's libFuzzer runtime: scripts/fuzz builds both targets
#      with -fsanitize=fuzzer,address,undefined and fuzzes each for a short
#      time (MVM_FUZZ_SMOKE_SECONDS, default 40); any finding fails the
#      test and is saved under BUILD/fuzz-crashes.  Without the runtime
#      this part is skipped, loudly (CI installs it: MVM_DEPS_FULL=1
#      scripts/deps).  It runs once per CI: in the plain build's pass, not
#      again in the sanitizer build's (set MVM_FUZZ_SMOKE_ALWAYS=1 to force).
# Usage: test_fuzz_smoke.sh MVM SRC BUILD
set -u
src=$2
build=$3
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
cc=$(cache CMAKE_C_COMPILER)
flags=(-std=c11 -D_GNU_SOURCE -O1 -g -I"$src/include" -I"$src/src")
sanitized=$(cache MVM_SANITIZE)
[ "$sanitized" = ON ] && flags+=("-fsanitize=address,undefined" -fno-sanitize-recover=all)
# The simulator's port is compiled in, as mvm_link_sim does (CMakeLists.txt).
libs=("$src/src/sim/port_sim.c" "$src/src/sim/dev.c" "$build/libmvm_model.a" "$build/libmvm_sim.a"
      "$build/libmvm_trace.a" "$build/libmvm_core.a" -lm)

# 1. Corpora and saved findings, without libFuzzer.
for target in parse replay; do
	if ! "${cc:-cc}" "${flags[@]}" "$src/tests/fuzz/fuzz_$target.c" "$src/tests/fuzz/fuzz_standalone.c" \
		"${libs[@]}" -o "$tmp/fuzz_$target" 2> "$tmp/cc.err"; then
		echo "FAIL: building fuzz_$target without libFuzzer:"
		head -20 "$tmp/cc.err"
		fail=1
		continue
	fi
	inputs=("$src/tests/fuzz/corpus_$target")
	for f in "$src/tests/fuzz/crashes/$target"-*; do
		[ -f "$f" ] && inputs+=("$f")
	done
	if MVM_FUZZ_STRICT=1 "$tmp/fuzz_$target" "${inputs[@]}" > "$tmp/out" 2> "$tmp/err"; then
		echo "fuzz_$target: $(cat "$tmp/out") (corpus and saved findings, no libFuzzer)"
	else
		echo "FAIL: fuzz_$target over its corpus and saved findings:"
		tail -20 "$tmp/err"
		fail=1
	fi
done

# 2. Fuzzing for a short while.
if [ "$sanitized" = ON ] && [ "${MVM_FUZZ_SMOKE_ALWAYS:-0}" != 1 ]; then
	echo "libFuzzer: not run again in a sanitizer build (the plain build's pass runs it)"
elif ! command -v clang > /dev/null ||
	[ -z "$(ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a 2> /dev/null)" ]; then
	echo "SKIP: clang's libFuzzer runtime is not installed here, so the fuzzers DID NOT RUN"
	echo "SKIP: (MVM_DEPS_FULL=1 scripts/deps installs it; CI does)"
else
	seconds=${MVM_FUZZ_SMOKE_SECONDS:-40}
	for target in parse replay; do
		if MVM_FUZZ_NO_DEPS=1 MVM_FUZZ_BUILD="$build/fuzz" MVM_FUZZ_CRASHES="$build/fuzz-crashes" \
			"$src/scripts/fuzz" "$target" "$seconds" > "$tmp/fuzz.out" 2>&1; then
			grep "^fuzz $target: [0-9?]* executions" "$tmp/fuzz.out"
		else
			echo "FAIL: scripts/fuzz $target $seconds:"
			tail -25 "$tmp/fuzz.out"
			fail=1
		fi
	done
fi
exit $fail
