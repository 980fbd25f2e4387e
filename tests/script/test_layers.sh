#!/usr/bin/env bash
# test_layers.sh MVM SOURCE_DIR BUILD_DIR
#
# Calls go down (DESIGN.md, "Layers"): each folder of src/ may include
# the headers of the folders below it and no others.  The picture, lowest
# first:
#
#   core   vm, pmap, check  (and include/mvm, the public headers)
#   trace                   the trace language (its hash maps are the core's)
#   sim, kern               the hosts of the core (the simulator, the
#                           kernel under qemu): core, trace
#   model, gen, report,     above the machine
#   curve                   (curve: page-fault curves, replays at many sizes)
#   record                  the recorder: trace (and its own log format)
#   demo                    the scenarios: all of the above
#   cli                     the program: everything (`mvm boot` speaks
#                           the kernel's protocol, kern/proto.h)
#
# A quoted #include "DIR/..." from a folder not allowed DIR fails the test,
# naming the file and line.
. "$(dirname "$0")/lib.sh"
src=$2

declare -A allowed=(
	[vm]="mvm vm pmap"
	[pmap]="mvm vm pmap"
	[check]="mvm vm pmap check"
	[trace]="mvm check trace"
	[sim]="mvm vm pmap check trace sim"
	[kern]="mvm vm pmap check trace kern"
	[model]="mvm vm pmap check trace sim model"
	[gen]="trace gen"
	[record]="trace record"
	[report]="mvm vm pmap check trace sim report"
	[curve]="mvm vm pmap check trace sim curve"
	[demo]="mvm vm pmap check trace sim model gen report demo"
	[cli]="mvm vm pmap check trace sim kern model gen report curve demo record cli"
)

for dir in "$src"/src/*/; do
	layer=$(basename "$dir")
	if [ -z "${allowed[$layer]+set}" ]; then
		say_fail "src/$layer is a folder the layer picture does not know"
		continue
	fi
	while IFS=: read -r file line inc; do
		target=${inc#*\"}
		target=${target%%\"*}
		case $target in
		*/*) ;;
		*) continue ;;    # a header of the same folder
		esac
		top=${target%%/*}
		case " ${allowed[$layer]} " in
		*" $top "*) ;;
		*) say_fail "${file#"$src"/}:$line: src/$layer includes \"$target\", above it" ;;
		esac
	done < <(grep -n '^#include "' "$dir"*.[ch] /dev/null)
done
[ $fail = 0 ] && echo "layers: every include in src/ goes down"
exit $fail
