# SPDX-License-Identifier: GPL-2.0
# Module unload with chips released late: MODCYCLE_CYCLES times load, attach
# a swtpm, open the chip's node and one of its sysfs files, detach (the
# chip is unregistered under the open files), unload once the node is
# closed, the sysfs file held open across the unload.  On a kernel with
# DEBUG_KOBJECT_RELEASE (the debug kernel) kobject releases run 1 to 4 s
# after their last put: each unload is followed by MODCYCLE_SETTLE seconds
# (5 there) with nothing loaded, so a release reading the module's freed
# memory does it before another module can take that memory.
. tests/guest/lib.sh
case $(uname -r) in
*-tpmsafe-debug*) n=${MODCYCLE_CYCLES:-3} settle=${MODCYCLE_SETTLE:-5} ;;
*) n=${MODCYCLE_CYCLES:-3} settle=${MODCYCLE_SETTLE:-0} ;;
esac
py="import os, sys; sys.path.insert(0, 'tests/guest'); import tpmsafe as T"
bad=0
rm_ms=0
i=0
while [ $i -lt "$n" ]; do
	i=$((i + 1))
	load_module || { bad=$((bad + 1)); echo "# $i: load failed"; continue; }
	S=/sys/class/tpm_safe/tpmsafe
	if vtpm_start /tmp/module-cycle && [ -c "/dev/tpmsafe$VT_NUM" ] &&
		command exec 3<>"/dev/tpmsafe$VT_NUM" 4<"$S$VT_NUM/pcr-sha256/0"; then
		python3 -c "$py; T.check_rsp(T.transact(3, T.get_random(8)))" ||
			{ bad=$((bad + 1)); echo "# $i: command failed"; }
		vtpm_stop || { bad=$((bad + 1)); echo "# $i: device did not go"; }
		python3 -c "$py
import errno
try:
    T.transact(3, T.get_random(8))
except OSError as e:
    sys.exit(e.errno != errno.EPIPE)
sys.exit(1)" || { bad=$((bad + 1)); echo "# $i: no EPIPE from the removed chip's open node"; }
		rmmod tpm_safe 2>/dev/null &&
			{ bad=$((bad + 1)); echo "# $i: rmmod succeeded with /dev/tpmsafe$VT_NUM open"; }
		exec 3>&-
	else
		bad=$((bad + 1))
		echo "# $i: swtpm did not attach, or its chip's files did not open"
		vtpm_stop || echo "# $i: device did not go"
		exec 3>&-
	fi
	t0=$(date +%s%N)
	rmmod tpm_safe || { bad=$((bad + 1)); echo "# $i: rmmod failed"; }
	rm_ms=$((rm_ms + $(ms_since $t0)))
	# the removed chip's sysfs file, open across the unload: ENODEV
	if { true <&4; } 2>/dev/null; then
		cat <&4 >/dev/null 2>&1 &&
			{ bad=$((bad + 1)); echo "# $i: the removed chip's sysfs file reads"; }
		exec 4<&-
	fi
	[ "$settle" -gt 0 ] && sleep "$settle"
done
echo "FIGURE module-cycle: $n load/attach/open/detach/unload cycles, $bad bad, rmmod $((rm_ms / n)) ms on average"
check "$n module unloads with chips released under open files" [ "$bad" -eq 0 ]
# deferred releases after the last unload: at most 4 s (no event tells)
sleep 5
check "no splat and no leak report in the kernel log" sh -c \
	"! dmesg | grep -E 'WARNING:|BUG:|Oops|KASAN|refcount_t|circular locking|unreferenced object|Leaked'"
check "the module loads again" load_module
check "and unloads" unload_module
finish
