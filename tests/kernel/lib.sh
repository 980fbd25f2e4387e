# lib.sh - the common start of the kernel tests (sourced).
#
# Every kernel test is called as SCRIPT MVM SOURCE_DIR BUILD_DIR and runs
# `mvm boot`, which starts qemu with BUILD_DIR/mvm-kernel (scripts/deps
# installs qemu-system-x86, so these tests always run).
. "$2/tests/script/lib.sh"
src=$2
mvm=$(cd "$(dirname "$mvm")" && pwd)/$(basename "$mvm")
build=$3

# The spec's output lines and vmdump's, without the free-form `stat`
# (each host says different things there).
without_stat() { # FILE
	awk '!/^#/ || /^# vmdump / || /^#   entry / || /^#     (anons|amap)/' "$1"
}
