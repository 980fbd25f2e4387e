# browser.sh - opening an HTML page of mvm in headless Chromium and
# reading its charts back (sourced after lib.sh, not run).
#
# A page passes when Chromium opens it with no console message, it has
# charts, and every series of a chart draws a point per sampled row: the
# checks the HTML report tests share (curve, replay, demo).
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "FAIL: chromium is not installed (scripts/deps installs it)"; exit 1; }
command -v gnuplot > /dev/null || { echo "FAIL: gnuplot is not installed (scripts/deps)"; exit 1; }

# Opens PAGE headless; writes its DOM to PAGE.dom and the console to PAGE.log.
open_page() { # PAGE
	local profile
	profile=$(mktemp -d "$tmp/profile.XXXXXX")
	timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync \
		--no-first-run --user-data-dir="$profile" --enable-logging=stderr --v=0 \
		--dump-dom "file://$1" > "$1.dom" 2> "$1.log"
}

# The points series NAME draws in the opened PAGE, over every chart: each
# series is one gnuplot group titled by its name, drawing a point (<use>)
# per row (and one in the key); a group runs to the next one or to the end
# of its SVG.
series_points() { # PAGE NAME
	awk -v name="$2" '
		/<g id="gnuplot_plot_[0-9]+"/ { inside = index($0, "<title>" name "</title>") > 0 }
		/<\/svg>/ { inside = 0 }
		inside { count += gsub(/<use /, "") }
		END { print count + 0 }' "$1.dom"
}

# Fails (returns 1, saying why) unless PAGE opens with no console message,
# has a chart, and loads no other file.
page_opens_clean() { # PAGE
	local page=$1 ok=0
	open_page "$page" || { echo "browser failed on $page"; return 1; }
	if grep -q ':CONSOLE' "$page.log"; then
		echo "console: $(grep -m1 ':CONSOLE' "$page.log")"; ok=1
	fi
	grep -q '<figure class="chart"' "$page.dom" || { echo "no chart in $page"; ok=1; }
	if grep -Eq '(src|href)="(https?:)?//' "$page"; then
		echo "$page loads another file"; ok=1
	fi
	return $ok
}

# Fails (returns 1, printing why) unless every chart of the opened PAGE
# draws every series its data-series names, each with at least
# data-points points: a chart with a series missing or empty is caught.
charts_complete() { # PAGE
	awk '
		function finish(   i, n, names) {
			n = split(want, names, ",")
			for (i = 1; i <= n; i++)
				if (!(names[i] in pts) || pts[names[i]] < rows) {
					printf "chart %d: series %s has %d points, want %d\n", chart, names[i], pts[names[i]] + 0, rows
					bad = 1
				}
			delete pts
		}
		/<figure class="chart"/ {
			chart++
			match($0, /data-series="[^"]*"/); want = substr($0, RSTART + 13, RLENGTH - 14)
			match($0, /data-points="[0-9]*"/); rows = substr($0, RSTART + 13, RLENGTH - 14) + 0
			infig = 1; cur = ""
		}
		infig && /<g id="gnuplot_plot_[0-9]+"/ {
			cur = ""
			if (match($0, /<title>[^<]*<\/title>/)) cur = substr($0, RSTART + 7, RLENGTH - 15)
		}
		infig && cur != "" { pts[cur] += gsub(/<use /, "") }
		/<\/figure>/ && infig { finish(); infig = 0 }
		END { if (chart == 0) { print "no charts"; bad = 1 } exit bad }' "$1.dom"
}
