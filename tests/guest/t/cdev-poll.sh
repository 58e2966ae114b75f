# SPDX-License-Identifier: GPL-2.0
# poll() on /dev/tpmsafeN reports a waiting response while other users of
# the same open file (read(fd, b, 0) loops) hold its lock: O_NONBLOCK
# write, poll(POLLIN), read, POLL_ITERS times (tests/guest/poll_race.py).
. tests/guest/lib.sh
check "module loads" load_module
rc=1
if vtpm_start /tmp/cdev-poll; then
	python3 tests/guest/poll_race.py --dev /dev/tpmsafe$VT_NUM \
		--iters "${POLL_ITERS:-300}"
	rc=$?
	check "swtpm killed: the device goes away" vtpm_stop
else
	nok "swtpm attaches"
fi
check "objects balanced" objects_balanced
check "module unloads" unload_module
[ $rc -eq 0 ] && finish
exit 1
