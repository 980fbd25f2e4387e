#!/usr/bin/env bash
# The core builds freestanding: every file of src/vm, src/pmap and src/check
# (the invariant checker any host runs) compiles
# with -ffreestanding against the compiler's own headers only (-nostdinc),
# and the linked core needs nothing from outside but the four memory
# functions a freestanding compiler may call and the port interface.
# Usage: freestanding.sh CC SOURCE_DIR
set -eu
cc=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
inc=$("$cc" -print-file-name=include)
objs=()
for f in "$src"/src/vm/*.c "$src"/src/pmap/*.c "$src"/src/check/*.c; do
	o="$tmp/$(basename "$(dirname "$f")")_$(basename "$f" .c).o"
	"$cc" -std=c11 -O2 -ffreestanding -fno-builtin -nostdinc -isystem "$inc" \
		-I"$src/include" -I"$src/src" -Wall -Wextra -Werror -c "$f" -o "$o"
	objs+=("$o")
done
ld -r -o "$tmp/core.o" "${objs[@]}"
bad=$(nm -u "$tmp/core.o" | awk '{print $2}' |
	grep -v -E '^(memcpy|memmove|memset|memcmp|port_[a-z_]+)$' || true)
if [ -n "$bad" ]; then
	echo "the core needs symbols a freestanding host does not provide:"
	echo "$bad"
	exit 1
fi
echo "freestanding: ${#objs[@]} core files, external symbols: $(nm -u "$tmp/core.o" | awk '{print $2}' | tr '\n' ' ')"
