# SPDX-License-Identifier: GPL-2.0
# swtpm SIGKILLed at random points (registration, idle, mid-command) with
# clients, sysfs and hwrng readers active.
. tests/guest/lib.sh
check "module loads" load_module
python3 tests/guest/stress.py kill --cycles "${KILL_CYCLES:-50}"
rc=$?
check "objects balanced" objects_balanced
sed 's/^/# objects: /' $OBJ
check "module unloads" unload_module
[ $rc -eq 0 ] && finish
exit 1
