#!/usr/bin/env bash
# scripts/stack-check: the core has no recursion (but the listed tree
# walks) and fits its stack budget; and the check itself catches what it
# is for.  Usage: test_stack_check.sh MVM SRC BUILD
#
#   1. The core passes and the report names the worst chain.
#   2. Small made-up cores in a copy of the tree must each fail: mutual
#      recursion, recursion only through a function pointer, a frame
#      over the budget, a call to a function outside the core; and a
#      deep chain passes under a larger --budget.
. "$(dirname "$0")/lib.sh"
src=$2

if ! command -v gcc > /dev/null || ! command -v python3 > /dev/null; then
	echo "stack-check needs gcc and python3"
	exit 1
fi

# 1. The core.
if ! "$src/scripts/stack-check" > "$tmp/core" 2>&1; then
	say_fail "scripts/stack-check fails on the core:"
	cat "$tmp/core"
fi
grep -q '^stack-check: worst chain [0-9]* bytes, from ' "$tmp/core" ||
	say_fail "no worst chain in the report: $(head -3 "$tmp/core")"
grep '^stack-check: worst chain' "$tmp/core"

# 2. Made-up cores: a tree with the scripts and one source folder.
mkdir -p "$tmp/t/scripts" "$tmp/t/include" "$tmp/t/src/x"
cp "$src/scripts/stack-check" "$src/scripts/stack_graph.py" "$tmp/t/scripts/"

# Runs the check over FILE.c alone; it must exit WANT and print PATTERN.
# (The graph is the optimised code's: GCC turns self tail calls into
# loops and inlines, so the made-up recursions are kept from both.)
expect() { # NAME WANT PATTERN [OPTIONS] < C SOURCE
	local name=$1 want=$2 pattern=$3 rc=0
	shift 3
	rm -f "$tmp/t/src/x/"*.c
	cat > "$tmp/t/src/x/$name.c"
	"$tmp/t/scripts/stack-check" "$@" src/x > "$tmp/$name.out" 2>&1 || rc=$?
	[ $rc = "$want" ] && grep -q -- "$pattern" "$tmp/$name.out" ||
		say_fail "$name: want exit $want and /$pattern/, got $rc: $(cat "$tmp/$name.out")"
}

expect mutual 1 'recursion among 2 function(s)' <<'EOF'
__attribute__((noinline)) int odd(unsigned n);
__attribute__((noinline)) int even(unsigned n) { return n == 0 ? 1 : 2 * odd(n - 1); }
__attribute__((noinline)) int odd(unsigned n) { return n == 0 ? 0 : 3 * even(n - 1); }
EOF
grep -q 'even .*calls at src/x/mutual.c' "$tmp/mutual.out" ||
	say_fail "mutual: the cycle is not listed: $(cat "$tmp/mutual.out")"

expect indirect 1 'recursion among 2 function(s)' <<'EOF'
__attribute__((noinline)) int run(int (*fn)(int), int x) { return 2 * fn(x); }
__attribute__((noinline)) int step(int x) { return x > 0 ? 3 * run(step, x - 1) : 0; }
EOF

expect big_frame 1 'exceeds the budget of 4096' <<'EOF'
int fill(unsigned i) { volatile char buf[6000]; buf[i % 6000] = 1; return buf[0]; }
int top(unsigned i) { return fill(i) + 1; }
EOF
grep -q '^ *[0-9]*  fill   <- src/x/big_frame.c' "$tmp/big_frame.out" ||
	say_fail "big_frame: the chain does not show fill: $(cat "$tmp/big_frame.out")"

expect outside 1 'calls abort, which the core does not define' <<'EOF'
void abort(void);
void port_panic(const char *why);
void stop(int how) { if (how) abort(); else port_panic("stop"); }
EOF

expect roomy 0 'worst chain' --budget 8192 <<'EOF'
int fill(unsigned i) { volatile char buf[6000]; buf[i % 6000] = 1; return buf[0]; }
EOF

[ $fail = 0 ] && echo "stack-check: all passed"
exit $fail
