#!/usr/bin/env bash
# test_run_html.sh MVM SRC BUILD: `mvm replay --html` and `mvm demo --html`
# write pages that headless Chromium opens with no console message, whose
# every chart draws every series it names with a point per sampled row,
# whose figures are all there (charted, or named as 0 throughout), and
# whose verdict is the run's.  --html must not change what the run prints.
# A planted console error and a chart with a series emptied must be
# caught, so the checks cannot pass vacuously.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/browser.sh"

# Fails (saying why) unless PAGE is clean and complete.
check_page() { # PAGE
	local why
	why=$(page_opens_clean "$1") || { echo "$why"; return 1; }
	charts_complete "$1"
}

# --- replay: the page next to the --series CSV of the same run.
"$mvm" gen random --seed 11 > "$tmp/r.trace"
opts=(--ram 512K --swap 1M --verify --check-every 10 --sample-every 20)
"$mvm" replay "${opts[@]:0:7}" "$tmp/r.trace" > "$tmp/plain.out" || say_fail "plain replay failed"
"$mvm" replay "${opts[@]}" --html "$tmp/r.html" --series "$tmp/r.csv" "$tmp/r.trace" > "$tmp/r.out" ||
	say_fail "replay --html failed"
cmp -s "$tmp/plain.out" "$tmp/r.out" || say_fail "replay --html changed the output lines"
why=$(check_page "$tmp/r.html") || say_fail "replay page: $why"
grep -q '<p class="verdict passed"><strong>passed</strong>: .* operations; the consistency checker ran [1-9][0-9]* times' \
	"$tmp/r.html" || say_fail "replay page: no passing verdict"
grep -q 'agreed with the reference model' "$tmp/r.html" || say_fail "replay page: --verify not shown"
grep -q -- '--ram 512K' "$tmp/r.html" || say_fail "replay page: options missing"
# Every figure of the CSV is on the page: drawn if it was ever non-zero,
# else named in the "0 throughout" line.
rows=$(($(wc -l < "$tmp/r.csv") - 1))
IFS=, read -r -a cols < "$tmp/r.csv"
for ((c = 1; c < ${#cols[@]}; c++)); do
	name=${cols[c]}
	max=$(awk -F, -v c=$((c + 1)) 'NR > 1 && $c > m { m = $c } END { print m + 0 }' "$tmp/r.csv")
	if [ "$max" -gt 0 ]; then
		n=$(series_points "$tmp/r.html" "$name")
		[ "$n" -ge "$rows" ] || say_fail "replay page: $name drawn with $n points, want $rows"
	else
		grep -q "0 throughout (not drawn):.*$name" "$tmp/r.html" ||
			say_fail "replay page: $name (always 0) is not named"
	fi
done

# The checks catch a console error and a chart whose series was emptied.
sed 's|</body>|<script>console.error("planted")</script></body>|' "$tmp/r.html" > "$tmp/err.html"
check_page "$tmp/err.html" > /dev/null && say_fail "a console error went unnoticed"
awk '/<g id="gnuplot_plot_1"/ && !done { emptied = 1; done = 1 }
     emptied && /<use / { gsub(/<use [^>]*>/, ""); }
     /<g id="gnuplot_plot_2"/ { emptied = 0 }
     { print }' "$tmp/r.html" > "$tmp/empty.html"
check_page "$tmp/empty.html" > /dev/null && say_fail "an emptied series went unnoticed"

# A trace that stops on bad input: exit 2 with FILE:LINE, and a failing verdict.
printf 'mvm-trace 1\n1 spawn\n1 frobnicate\n' > "$tmp/bad.trace"
"$mvm" replay --html "$tmp/bad.html" "$tmp/bad.trace" > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q "bad.trace:3: " "$tmp/err" || say_fail "bad trace: $(cat "$tmp/err")"
grep -q '<strong>FAILED</strong>: the replay stopped (bad input)' "$tmp/bad.html" ||
	say_fail "bad trace: the page does not say it failed"
"$mvm" replay --html "" "$tmp/r.trace" > /dev/null 2> "$tmp/err"
[ $? = 2 ] && grep -q -- "--html: expected a file" "$tmp/err" || say_fail "--html '': $(cat "$tmp/err")"
"$mvm" replay --html "$tmp/no/such/dir/p.html" "$tmp/r.trace" > /dev/null 2> "$tmp/err"
[ $? = 1 ] && grep -q -- "--html: cannot write" "$tmp/err" || say_fail "--html unwritable: $(cat "$tmp/err")"

# --- demo: a section per scenario run, each with its verdict and charts.
"$mvm" demo --quick --only basic,translator --html "$tmp/d.html" > "$tmp/d.out" ||
	say_fail "demo --html failed"
grep -q "^# page: 2 scenarios written to $tmp/d.html" "$tmp/d.out" || say_fail "demo: no page line"
grep -q '^# mvm demo: 2 scenarios, all passed' "$tmp/d.out" || say_fail "demo: report lost"
why=$(check_page "$tmp/d.html") || say_fail "demo page: $why"
for s in basic translator; do
	grep -q "<h2>$s</h2>" "$tmp/d.html" || say_fail "demo page: no section $s"
done
[ "$(grep -c '<p class="verdict passed"><strong>passed</strong>: checker: [0-9]* checks ran, all passed' "$tmp/d.html")" = 2 ] ||
	say_fail "demo page: want two passing verdicts"
grep -q '^# translator passed: dirty pages' "$tmp/d.html" ||
	say_fail "demo page: the translator's report is missing"

[ $fail = 0 ] && echo "replay and demo pages: clean in Chromium, complete charts, verdicts, errors all passed"
exit $fail
