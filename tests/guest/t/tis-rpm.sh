# SPDX-License-Identifier: GPL-2.0
# Exclusive mode: what the TIS probe took from the interface, and what
# survives the TIS device's runtime suspend.  The probe names the FIFO
# access width it took from INTF_CAPS (dataTransferSizeSupport).  Runtime
# suspend only gives the locality up: the device stays out of the ACPI PM
# domain, so the TPM keeps its power, and a loaded transient object is still
# there after a second of idle with the device runtime-suspended.  The
# locality is held only while a command runs: QEMU's trace of the TIS
# locality it makes active (share/qemu-trace.log, written by the host as it
# happens) shows none after a command and while runtime-suspended.  Figures:
# latency with runtime PM at every command and with it kept active.
. tests/guest/lib.sh
DEV=MSFT0101:00
PW=/sys/bus/platform/devices/$DEV
status() { cat $PW/power/runtime_status; }
# active_locality: the TIS locality QEMU made active last (none: 255)
active_locality() {
	sed -n 's/.*Active locality is now \([0-9]*\).*/\1/p' $R/qemu-trace.log | tail -n 1
}
# localities_taken: how many times QEMU made locality 0 active
localities_taken() { grep -c 'Active locality is now 0$' $R/qemu-trace.log; }

# no hwrng: its reads would wake the device
check "module loads (irq=${TIS_IRQ:-0} hwrng=0)" load_module irq=${TIS_IRQ:-0} hwrng=0
S=$(echo $PW/tpm_safe/tpmsafe*)
NODE=/dev/${S##*/}
check "tpm_safe_tis bound $DEV ($NODE)" [ -e "$S" ]
T="-T device:$NODE"

# 1. INTF_CAPS bits 9-10: 0 legacy (byte accesses), else transfers of 8,
# 32 or 64 bytes (4-byte accesses to the FIFO register)
line=$(dmesg | grep "$DEV: ${S##*/}: TIS device" | tail -n 1)
echo "# probe: $line"
caps=$(echo "$line" | sed -n 's/.* caps 0x\([0-9a-f]\{8\}\).*/\1/p')
if [ -n "$caps" ]; then
	x=$(( (0x$caps >> 9) & 3 ))
	set -- legacy 8-byte 32-byte 64-byte
	shift $x
	width=4
	[ $x -gt 0 ] || width=1
	want="($1 transfers: $width-byte FIFO accesses)"
	case "$line" in
	*"$want"*) ok "the probe names the FIFO access width from INTF_CAPS 0x$caps: $want" ;;
	*) nok "the probe names the FIFO access width from INTF_CAPS 0x$caps: $want" ;;
	esac
else
	nok "the probe logs the interface capabilities (caps 0x...)"
fi

# 2. a transient object survives the runtime suspend
s0=$(cat $PW/rpm_suspends)
check "tpm2_createprimary leaves a transient object loaded" \
	tpm2_createprimary $T -C o -c /tmp/rpm-prim.ctx
h=$(tpm2_getcap $T handles-transient | sed -n 's/^- \(0x[0-9A-Fa-f]*\)$/\1/p' | head -n 1)
check "its handle is listed (${h:-none})" [ -n "$h" ]
# the commands above resumed it: suspended now means suspended since
check "idle: the TIS device runtime-suspends" \
	wait_for "[ \"\$(status)\" = suspended ] && [ \"\$(cat $PW/rpm_suspends)\" -gt $s0 ]" 5
# the idle spell itself, not a synchronisation
sleep 1
check "...and stays suspended for a second of idle" [ "$(status)" = suspended ]
l=$(active_locality)
check "...holding no locality: QEMU's last active locality is none (${l:-no trace})" [ "$l" = 255 ]
lt0=$(localities_taken)
check "the object is still loaded: TPM2_ReadPublic($h) answers" \
	$TPY send $NODE 0x173 "$(printf %08x "$h")"
check "...and still listed" sh -c "tpm2_getcap $T handles-transient | grep -qix -- '- $h'"
lt1=$(localities_taken)
check "the commands took locality 0 ($lt0 -> $lt1 times)" [ "$lt1" -gt "$lt0" ]
echo on > $PW/power/control
check "device kept active (control=on)" [ "$(status)" = active ]
check "a command with the device active" tpm2_getrandom $T 8
l=$(active_locality)
check "...gives the locality up after it (${l:-no trace})" [ "$l" = 255 ]
echo auto > $PW/power/control
check "tpm2_flushcontext" tpm2_flushcontext $T -t

# 3. what runtime PM costs a command: suspend and resume around each one,
# against the device kept active
s0=$(cat $PW/rpm_suspends) r0=$(cat $PW/rpm_resumes)
echo 0 > $PW/power/autosuspend_delay_ms
latency "300 commands, runtime suspend after each" 300 $NODE \
	--label "FIGURE tpm_safe_tis runtime PM at every command"
echo "FIGURE tpm_safe_tis runtime PM at every command: $(( $(cat $PW/rpm_suspends) - s0 )) suspends, $(( $(cat $PW/rpm_resumes) - r0 )) resumes"
echo on > $PW/power/control
latency "300 commands, device kept active (control=on)" 300 $NODE \
	--label "FIGURE tpm_safe_tis runtime PM off (control=on)"
echo auto > $PW/power/control
echo 200 > $PW/power/autosuspend_delay_ms
check "unbind" sh -c "echo -n $DEV > /sys/bus/platform/drivers/tpm_safe_tis/unbind"
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
