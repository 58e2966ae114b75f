# SPDX-License-Identifier: GPL-2.0
# The shortest lifecycle: load, attach a swtpm, use it, detach, unload.
. tests/guest/lib.sh
check "module loads" load_module
if vtpm_start /tmp/load-unload; then
	ok "swtpm attaches"
	check "a command works" $TPY check --dev /dev/tpmsafe$VT_NUM
	check "swtpm killed: the device goes away" vtpm_stop
else
	nok "swtpm attaches"
fi
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
