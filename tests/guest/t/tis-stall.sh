# SPDX-License-Identifier: GPL-2.0
# swtpm (behind QEMU's TIS, or its CRB in a guest with -device tpm-crb)
# SIGSTOPped mid-command: the command fails with
# ETIME within its duration and is cancelled; after SIGCONT the chip works;
# unbind and module unload while a command is stuck finish within the
# timeouts, never hang.  Bounds are liveness bounds, multiplied by
# TIME_SCALE on slow kernels (the debug kernel).  No hwrng (hwrng=0): the
# commands counted in flight are the client's.
. tests/guest/lib.sh
crb_release_builtin
DEV=MSFT0101:00
DRV=/sys/bus/platform/drivers/tpm_safe_${IFACE:-tis}
SCALE=${TIME_SCALE:-1}
# tis_chip: S and NODE of the chip on $DEV (a rebind may get a new number
# while the old chip's release is still pending)
tis_chip() {
	S=$(echo /sys/bus/platform/devices/$DEV/tpm_safe/tpmsafe*)
	NODE=/dev/${S##*/}
	[ -e "$S" ]
}
check "module loads" load_module irq=${TIS_IRQ:-0} hwrng=0
# with TIS_IRQ the stalled commands must be waited for by interrupt
irq_check() {
	[ "${TIS_IRQ:-0}" -gt 0 ] &&
		check "/proc/interrupts shows tpm_safe_tis on IRQ $TIS_IRQ$1" irq_in_use $TIS_IRQ
}
irq_check
tis_chip
check "chip works" $TPY check --dev $NODE

# A blocking command from a client that is started before swtpm is stopped
# (python is slow to start on a debug kernel): GetRandom (2 s duration) or
# ReadClock (not in the duration table: the 120 s default, so that only the
# unbind, never the timeout, can end its wait).  FIFOs:
# the client opens "ready" once started, waits on "go" to send, and, when
# asked to hold, keeps the file open until "hold" is opened.
rm -f /tmp/ready /tmp/go /tmp/hold
mkfifo /tmp/ready /tmp/go /tmp/hold

# stalled_client OUT getrandom|readclock [hold]: start a client, stop swtpm
# once it is ready, release it and wait until its command is in the TPM
stalled_client() {
	$TPY stalled-client $NODE $2 ${3:+--hold} > "$1" &
	: < /tmp/ready
	host_req stop || nok "host stops swtpm"
	before=$(cat $S/stats/commands)
	: > /tmp/go
	check "the command is in flight" \
		wait_for "[ \"\$(cat $S/stats/commands)\" -gt \"$before\" ]" 60
}

# 1. the command times out
stalled_client /tmp/one.out getrandom
wait
set -- $(cat /tmp/one.out)
echo "FIGURE stalled command: $1 after $2 ms"
check "stalled command fails with ETIME" [ "$1" = ETIME ]
# The driver gives up after the 2 s duration, but its cancel (TIS
# commandReady, CRB cancel) blocks QEMU, and the guest with it, until swtpm runs again: at most
# HOST_STOP s after the stop.
bound=$((HOST_STOP * 1000 + 2000 * SCALE))
check "...once swtpm runs again, plus slack ($2 ms <= $bound)" [ "$2" -le $bound ]
host_req cont || nok "host continues swtpm"
check "after SIGCONT the chip works" $TPY check --dev $NODE
check "err_timeout counted" sh -c "[ \$(cat $S/stats/err_timeout) -ge 1 ]"

# 2. unbind while a command is stuck: its 120 s duration is far beyond the
# unbind's bound, so EPIPE shows the unbind woke it
stalled_client /tmp/stuck.out readclock
t0=$(date +%s%N)
echo -n $DEV > $DRV/unbind
ms=$(ms_since $t0)
wait
echo "FIGURE unbind with a stuck command: $ms ms; client got $(cat /tmp/stuck.out)"
# the unbind's cancel blocks QEMU, and the guest, until swtpm runs again
bound=$((HOST_STOP * 1000 + 10000 * SCALE))
check "unbind with a stuck command returns (${ms} ms <= $bound)" [ "$ms" -le $bound ]
check "the stuck client got EPIPE" grep -q '^EPIPE' /tmp/stuck.out
host_req cont
check "rebind after SIGCONT" sh -c "echo -n $DEV > $DRV/bind"
tis_chip
check "the chip is back ($NODE)" [ -e "$S" ]
check "chip works after rebind" $TPY check --dev $NODE
irq_check " after rebind"

# 3. module unload around a stuck command: rmmod refuses while the client
# holds the file, and succeeds once it has closed it.  (QEMU blocks the
# whole guest when the timed-out command is cancelled while swtpm is
# stopped, so the TPM runs again by the time rmmod sends its Shutdown.)
stalled_client /tmp/stuck.out getrandom hold
check "rmmod while a file is open fails cleanly (in use)" \
	sh -c "rmmod tpm_safe 2>&1 | grep -q 'in use'"
: < /tmp/hold
wait
echo "# client got $(cat /tmp/stuck.out)"
t0=$(date +%s%N)
check "rmmod after a stalled command returns" unload_module
ms=$(ms_since $t0)
echo "FIGURE rmmod after a stalled command: $ms ms"
check "...within the timeouts ($ms ms <= $((10000 * SCALE)))" [ "$ms" -le $((10000 * SCALE)) ]
host_req cont
check "the device is free again" sh -c "[ ! -e /sys/bus/platform/devices/$DEV/driver ]"
rm -f /tmp/ready /tmp/go /tmp/hold
finish
