#!/usr/bin/env bash
# The mutation tool itself (scripts/mutate), in a few seconds and without
# building or testing a single real mutant.
#
# A fixture tree holds one small C file, src/vm/fix.c, whose every line is
# there for a reason: a comment, a string, a preprocessor line, a top-level
# table and an assertion, which must yield no mutants, and functions with
# bool, void and pointer returns.  Its population is compared with the
# exact list a reader can check by hand.  Then the tool runs every mutant
# with --test-cmd, a stand-in for "build and run the subset" whose outcome
# depends on the operator (ror and aor killed, neg hangs into the timeout,
# const does not compile, the rest survive); the stand-in also records
# how many lines of the worker's copy differ from the fixture, which must
# be exactly one for every mutant.  Afterwards the worker's copy and the
# fixture must be unchanged, the CSV must hold one row per mutant with the
# expected outcome, a second run must find nothing to do, the summary's
# counts, score and Wilson interval must match figures computed here with
# awk, --ci must fail while a survivor is not on the equivalent list and
# pass once all are, and a changed line must make its results stale.
# Usage: test_mutate_tool.sh MVM SRC BUILD
source "$(dirname "$0")/lib.sh"
src=$2
tool=$src/scripts/mutate
[ -x /usr/bin/python3 ] || { echo "SKIP: no /usr/bin/python3"; exit 0; }

root=$tmp/root
mkdir -p "$root/src/vm"
cat > "$root/src/vm/fix.c" <<'EOF'
/* fix.c - a fixture: a < b and x + 1 in a comment are not code */
#include "fix.h"
#define TWICE(x) ((x) * 2)
static const int table[2] = {1, 2};

static bool fix_less(int a, int b)
{
	VM_ASSERT(a != 0);
	return a < b; /* a <= b */
}

void fix_count(struct fix *f)
{
	f->n += 1;
	if (f->n == 3)
		fix_log("n == 3");
}

static struct fix *fix_scale(struct fix *f, int k)
{
	struct fix *p = f;

	p->n = p->n * k - table[0];
	return p;
}
EOF
cp "$root/src/vm/fix.c" "$tmp/fix.orig"

cat > "$tmp/want.list" <<'EOF'
src/vm/fix.c:7:1:ret:false
src/vm/fix.c:7:1:ret:true
src/vm/fix.c:9:11:ror:<=
src/vm/fix.c:9:11:ror:>=
src/vm/fix.c:13:1:ret:void
src/vm/fix.c:14:7:asg:-=
src/vm/fix.c:14:10:const:+1
src/vm/fix.c:14:10:const:-1
src/vm/fix.c:14:2:del:-
src/vm/fix.c:15:11:ror:!=
src/vm/fix.c:15:14:const:+1
src/vm/fix.c:15:14:const:-1
src/vm/fix.c:15:2:neg:!
src/vm/fix.c:16:3:del:-
src/vm/fix.c:20:1:ret:NULL
src/vm/fix.c:23:14:aor:/
src/vm/fix.c:23:18:aor:+
src/vm/fix.c:23:26:const:+1
src/vm/fix.c:23:2:del:-
EOF

mutate() { "$tool" --root "$root" --work "$tmp/work" --results "$tmp/r.csv" \
	--equivalent "$tmp/eq.txt" "$@"; }

# The population: exactly the hand-checked list, twice the same.
mutate --list > "$tmp/list1" && mutate --list > "$tmp/list2" ||
	say_fail "--list failed"
cmp -s "$tmp/list1" "$tmp/want.list" ||
	say_fail "population differs from the hand-checked list: $(diff "$tmp/want.list" "$tmp/list1" | head -5)"
cmp -s "$tmp/list1" "$tmp/list2" || say_fail "--list is not deterministic"

# --show: the one line, before and after.
mutate --show src/vm/fix.c:23:14:aor:/ > "$tmp/show"
grep -qx '+	p->n = p->n / k - table\[0\];' "$tmp/show" ||
	say_fail "--show does not give the mutated line: $(cat "$tmp/show")"

# The stand-in for build-and-test (runs in the worker's copy).
cat > "$tmp/fake.sh" <<'EOF'
n=$(diff "$FIX_ROOT/src/vm/fix.c" src/vm/fix.c | grep -c '^>')
echo "$MVM_MUTANT $n" >> "$FIX_LOG"
case $MVM_MUTANT in
*:ror:* | *:aor:*) exit 1 ;;
*:neg:*) sleep 10 ;;
*:const:*) exit 125 ;;
esac
exit 0
EOF
export FIX_ROOT=$root FIX_LOG=$tmp/applied
: > "$tmp/eq.txt"
mutate --test-cmd "sh $tmp/fake.sh" --timeout 1 > "$tmp/run1" 2>&1 ||
	say_fail "the run failed: $(tail -3 "$tmp/run1")"

[ "$(wc -l < "$tmp/applied")" = 19 ] || say_fail "ran $(wc -l < "$tmp/applied") mutants, want 19"
awk '$2 != 1 { bad = 1 } END { exit bad }' "$tmp/applied" ||
	say_fail "a mutant changed other than one line: $(awk '$2 != 1' "$tmp/applied" | head -3)"
diff -r "$root" "$tmp/work/w1/tree" > /dev/null || say_fail "the worker's copy was not restored"
cmp -s "$root/src/vm/fix.c" "$tmp/fix.orig" || say_fail "the fixture itself was written"

# One row per mutant, with the outcome the stand-in chose.
tail -n +2 "$tmp/r.csv" | awk -F, '{
	split($1, id, ":"); op = id[4]
	want = "survived"
	if (op == "ror" || op == "aor") want = "killed"
	if (op == "neg") want = "timeout"
	if (op == "const") want = "nocompile"
	if ($2 != want) { print $1 " is " $2 ", want " want; bad = 1 }
	n++ } END { if (n != 19) { print n " rows"; bad = 1 }; exit bad }' > "$tmp/bad" ||
	say_fail "results: $(head -3 "$tmp/bad")"

# Resumable: nothing left to do.
mutate --test-cmd "sh $tmp/fake.sh" --timeout 1 > "$tmp/run2" 2>&1
grep -q '19 mutants chosen of 19; 0 to run' "$tmp/run2" ||
	say_fail "second run: $(head -1 "$tmp/run2")"

# Summary: 5 killed, 8 survived of which 2 listed as equivalent, 1
# timeout, 5 nocompile; score 5 / (19 - 2 - 5) with its Wilson interval.
printf '%s\n' '# fixture' 'src/vm/fix.c:16:3:del:- a log line' \
	'src/vm/fix.c:7:1:ret:true why not' > "$tmp/eq.txt"
mutate --summary > "$tmp/sum"
want=$(awk 'BEGIN { k = 5; n = 12; z = 1.96; p = k / n
	c = (p + z * z / (2 * n)) / (1 + z * z / n)
	h = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
	printf "all 19/19 5 6 1 5 2 %.1f %.1f %.1f", 100 * k / n, 100 * (c - h), 100 * (c + h) }')
got=$(grep '^all ' "$tmp/sum" | tr -d '[],%' | tr -s ' ')
[ "$got" = "$want" ] || say_fail "summary: got '$got', want '$want'"
[ "$(grep -c '^  src/vm/fix.c' "$tmp/sum")" = 6 ] || say_fail "summary does not list the 6 survivors"

# --ci (on three mutants, to stay fast): a timeout counts as killed, a
# survivor fails the run unless it is on the equivalent list.
ci='src/vm/fix.c:9:11:ror:<=,src/vm/fix.c:15:2:neg:!,src/vm/fix.c:14:2:del:-'
mutate --ci --ids "$ci" --test-cmd "sh $tmp/fake.sh" --timeout 1 > "$tmp/ci1" 2>&1 &&
	say_fail "--ci passed with an unexplained survivor"
grep -q '^  src/vm/fix.c:14:2:del:-' "$tmp/ci1" || say_fail "--ci: $(tail -3 "$tmp/ci1")"
echo 'src/vm/fix.c:14:2:del:- fixture' >> "$tmp/eq.txt"
mutate --ci --ids "$ci" --test-cmd "sh $tmp/fake.sh" --timeout 1 > "$tmp/ci2" 2>&1 ||
	say_fail "--ci failed with the survivor equivalent: $(tail -3 "$tmp/ci2")"

# A changed line makes its 4 results stale: not counted, run again.
sed -i 's/k - table/k + table/' "$root/src/vm/fix.c"
mutate --summary | grep -q '^all  *15/19 ' || say_fail "stale results still counted"
mutate --test-cmd "sh $tmp/fake.sh" --timeout 1 > "$tmp/run3" 2>&1
grep -q '; 4 to run' "$tmp/run3" || say_fail "after an edit: $(head -1 "$tmp/run3")"

[ $fail = 0 ] && echo "mutate tool: population, apply and restore, results, summary, --ci: ok"
exit $fail
