# lib.sh - the common start of the script tests (sourced, not run).
#
# Every script test is called as SCRIPT MVM SOURCE_DIR BUILD_DIR.  This
# sets mvm, a private temporary directory removed at exit, the failure
# flag with say_fail, and the checks more than one test needs.
set -u
mvm=$1
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

say_fail() { echo "FAIL: $*"; fail=1; }

# The number after WORDS in the `# swap: N slots` line of the stat in FILE.
swap_field() { # FILE WORDS
	grep -m1 '^# swap: [0-9]* slots' "$1" | sed -n "s/.*$2 \([0-9]*\).*/\1/p"
}

# `mvm gen KIND ARGS` must be refused (exit 2) with a message matching PATTERN.
expect_gen_usage() { # KIND PATTERN ARGS...
	local kind=$1 pattern=$2
	shift 2
	"$mvm" gen "$kind" "$@" > /dev/null 2> "$tmp/err"
	[ $? = 2 ] && grep -q -- "$pattern" "$tmp/err" ||
		say_fail "gen $kind $*: want exit 2 and /$pattern/, got: $(head -1 "$tmp/err")"
}
