# SPDX-License-Identifier: GPL-2.0
# The chip-number limit: loaded with max_chips=4, the fifth open of
# /dev/tpmsafe-vtpmx gets ENOSPC at once; the chips made serve through
# both nodes; a closed server's number is taken again
# (tests/guest/vtpmx_limit.py).  A bad max_chips is refused at load.
. tests/guest/lib.sh
# refused BAD: the load fails, says why once, and leaves nothing loaded
refused() {
	! load_module max_chips=$1 2>/dev/null &&
		[ "$(dmesg | grep -c "max_chips=$1: must be 1 to 1024")" = 1 ] &&
		! [ -e /sys/module/tpm_safe ]
}
for bad in 0 1025; do
	check "max_chips=$bad is refused at load, logged once" refused $bad
done
check "module loads with max_chips=4" load_module hwrng=0 max_chips=4
LIMIT=4 python3 tests/guest/vtpmx_limit.py || FAILS=$((FAILS + 1))
check "objects balanced" objects_balanced
check "module unloads" unload_module
check "module loads with the default" load_module hwrng=0
check "max_chips defaults to 1024" sh -c '[ "$(cat /sys/module/tpm_safe/parameters/max_chips)" = 1024 ]'
check "module unloads" unload_module
finish
