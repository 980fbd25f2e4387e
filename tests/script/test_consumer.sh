#!/usr/bin/env bash
# test_consumer.sh MVM SOURCE_DIR BUILD_DIR
#
# The core drops into another host: install BUILD_DIR into a fresh prefix
# (`cmake --install`), then build tests/consumer, a separate project with
# its own port, against that tree twice (find_package(mvm) and pkg-config
# alone) and run it: it boots the core, faults, forks copy-on-write and
# runs the freestanding checker.  Also checks what the tree holds: the
# program on its PATH, the public headers, and a core library that
# carries no port of its own.
. "$(dirname "$0")/lib.sh"
src=$2 build=$3
prefix=$tmp/prefix

cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
cc=$(cache CMAKE_C_COMPILER)
flags=()
[ "$(cache MVM_SANITIZE)" = ON ] && flags=(-fsanitize=address,undefined -fno-sanitize-recover=all)

if ! cmake --install "$build" --prefix "$prefix" > "$tmp/install.log" 2>&1; then
	say_fail "cmake --install: $(tail -3 "$tmp/install.log")"
	exit 1
fi
PATH=$prefix/bin:$PATH mvm help > /dev/null 2>&1 || say_fail "the installed mvm is not on the prefix's PATH"
for h in port.h vm.h pmap.h check.h; do
	[ -f "$prefix/include/mvm/$h" ] || say_fail "include/mvm/$h is not installed"
done
lib=$(find "$prefix" -name libmvm_core.a | head -1)
if [ -z "$lib" ]; then
	say_fail "libmvm_core.a is not installed"
elif nm "$lib" | grep -q ' T port_'; then
	say_fail "the core library defines port_* itself: a consumer could not provide its port"
fi

# 1. find_package(mvm), target mvm::core.
if cmake -S "$src/tests/consumer" -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$prefix" \
	-DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="${flags[*]}" > "$tmp/cmake.log" 2>&1 &&
	cmake --build "$tmp/cmake" > "$tmp/build.log" 2>&1; then
	"$tmp/cmake/consumer" || say_fail "the consumer built with find_package(mvm) failed"
else
	say_fail "building the consumer with find_package(mvm): $(tail -5 "$tmp/cmake.log" "$tmp/build.log")"
fi

# 2. pkg-config alone.
if command -v pkg-config > /dev/null; then
	pc_dir=$(dirname "$(find "$prefix" -name mvm.pc | head -1)")
	# shellcheck disable=SC2046
	if "$cc" -std=c11 "${flags[@]}" $(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags mvm) \
		"$src/tests/consumer/consumer.c" "$src/tests/consumer/port.c" \
		$(PKG_CONFIG_PATH=$pc_dir pkg-config --libs mvm) -o "$tmp/pc_consumer" 2> "$tmp/pc.log"; then
		"$tmp/pc_consumer" > /dev/null || say_fail "the consumer built with pkg-config failed"
	else
		say_fail "building the consumer with pkg-config: $(head -5 "$tmp/pc.log")"
	fi
else
	echo "pkg-config is not installed: the pkg-config build is skipped"
fi
[ $fail = 0 ] && echo "consumer: built against an installed tree two ways, and ran clean"
exit $fail
