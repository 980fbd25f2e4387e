#!/usr/bin/env bash
# test_curve_html.sh MVM SRC BUILD: `mvm curve --html` writes a page that
# headless Chromium opens without a console message, with a gnuplot chart
# holding every series (mvm, lru, clock, opt) with a point per row, and
# that needs no other file.  Two broken pages (a console error; a chart
# with a series missing) must be caught, so the checks cannot pass
# vacuously.  Also: the CSV, `gen block` and curve's option errors.
. "$(dirname "$0")/lib.sh"

. "$(dirname "$0")/browser.sh"

# Fails (returns 1, saying why) unless PAGE opened cleanly with a full chart of ROWS points.
check_page() { # PAGE ROWS
	local page=$1 rows=$2 ok=0 n
	page_opens_clean "$page" || ok=1
	for name in mvm lru clock opt; do
		n=$(series_points "$page" "$name")
		[ "$n" -ge "$rows" ] || { echo "series $name has $n points, want $rows"; ok=1; }
	done
	return $ok
}

# A block trace: a loop of 300 blocks, some hot blocks between.
for round in 1 2 3; do
	for b in $(seq 0 299); do echo $b; [ $((b % 10)) = 0 ] && echo 1000; done
	echo '*'
done | gzip > "$tmp/loop.gz"
"$mvm" gen block "$tmp/loop.gz" > "$tmp/loop.trace" || say_fail "gen block failed"
grep -q '^file blocks 4100096 1$' "$tmp/loop.trace" || say_fail "gen block: wrong file size"
[ "$(grep -c '^1 touch ' "$tmp/loop.trace")" = 990 ] || say_fail "gen block: want 990 touches"

"$mvm" curve "$tmp/loop.trace" --ram 1M..3M --steps 3 --html "$tmp/curve.html" > "$tmp/curve.csv" ||
	say_fail "curve --html failed"
head=$(grep -v '^#' "$tmp/curve.csv" | head -1)
case $head in
frames,mvm,lru,opt,clock,*) ;;
*) say_fail "curve: CSV header is \"$head\"" ;;
esac
[ "$(grep -vc '^#' "$tmp/curve.csv")" = 4 ] || say_fail "curve: want a header and 3 rows"
# The loop is larger than the smallest memory: LRU misses every time, OPT does not.
awk -F, '!/^#/ && NR > 1 && $1 < 300 && !($3 >= 900 && $4 < $3) { bad = 1 } END { exit bad }' \
	"$tmp/curve.csv" || say_fail "curve: a loop of 300 must defeat LRU below 300 frames"
why=$(check_page "$tmp/curve.html" 3) || say_fail "curve page: $why"

# The checks catch a console error and a missing series.
sed 's|</body>|<script>console.error("planted")</script></body>|' "$tmp/curve.html" > "$tmp/err.html"
check_page "$tmp/err.html" 3 > /dev/null && say_fail "a console error went unnoticed"
sed 's|<title>opt</title>|<title>gone</title>|' "$tmp/curve.html" > "$tmp/noopt.html"
check_page "$tmp/noopt.html" 3 > /dev/null && say_fail "a missing series went unnoticed"

# Bad input and options: exit 2 with a message that says what.
printf '1 spawn\n7 touch 0x1000 1 r\n' > "$tmp/bad.trace"
"$mvm" curve "$tmp/bad.trace" > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "bad.trace:2: " "$tmp/err" || say_fail "curve: bad trace: $(cat "$tmp/err")"
"$mvm" curve --ram 4M..1M "$tmp/loop.trace" > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q -- "--ram" "$tmp/err" || say_fail "curve: --ram 4M..1M: $(cat "$tmp/err")"
"$mvm" curve --steps 0 "$tmp/loop.trace" > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q -- "--steps" "$tmp/err" || say_fail "curve: --steps 0: $(cat "$tmp/err")"
printf '5\nx\n' > "$tmp/bad.blocks"
"$mvm" gen block "$tmp/bad.blocks" > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "bad.blocks:2: " "$tmp/err" || say_fail "gen block: bad line: $(cat "$tmp/err")"

[ $fail = 0 ] && echo "curve: CSV, HTML page in Chromium, gen block and errors all passed"
exit $fail
