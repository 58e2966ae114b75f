# SPDX-License-Identifier: GPL-2.0
# A hostile program in place of swtpm: bad responses of every shape.
. tests/guest/lib.sh
check "module loads" load_module
python3 tests/guest/hostile.py
rc=$?
if vtpm_start /tmp/hostile-client; then
	python3 tests/guest/hostile_client.py /dev/tpmsafe$VT_NUM "${HOSTILE_SECONDS:-20}" 4 || rc=1
	check "swtpm killed: the device goes away" vtpm_stop
else
	nok "swtpm attaches"
fi
check "objects balanced" objects_balanced
check "module unloads" unload_module
[ $rc -eq 0 ] && finish
exit 1
