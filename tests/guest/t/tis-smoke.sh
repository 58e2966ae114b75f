# SPDX-License-Identifier: GPL-2.0
# Exclusive mode (built-in TPM drivers kept off at boot): tpm_safe binds the
# QEMU TIS device by itself; tpm2-tools and Linux's TPM 2.0 selftests on
# /dev/tpmsafe0, with polling (TIS_IRQ=0) or interrupts (TIS_IRQ=5).
. tests/guest/lib.sh
DEV=MSFT0101:00
irq=${TIS_IRQ:-0}
check "no built-in driver owns $DEV" sh -c "[ ! -e /sys/bus/platform/devices/$DEV/driver ]"
check "module loads (irq=$irq force=1)" load_module irq=$irq force=1
check "force=1 creates no second device while the firmware lists one" sh -c \
	"[ ! -e /sys/bus/platform/devices/tpm_safe_tis ] && dmesg | grep -q 'force: the firmware lists a TPM'"
check "tpm_safe_tis bound $DEV by itself" sh -c \
	"[ \"\$(basename \$(readlink /sys/bus/platform/devices/$DEV/driver))\" = tpm_safe_tis ]"
if [ "$irq" -gt 0 ]; then
	check "IRQ $irq is in use" sh -c "dmesg | grep -q 'tpm_safe_tis.*using IRQ $irq'"
	check "/proc/interrupts shows tpm_safe_tis on IRQ $irq" irq_in_use $irq
else
	check "polling" sh -c "dmesg | grep -q 'tpm_safe_tis.*polling'"
fi
tpm_smoke_set /dev/tpmsafe0
mode=polling
[ "$irq" -gt 0 ] && mode="irq=$irq"
latency "3000 commands on /dev/tpmsafe0 ($mode)" 3000 /dev/tpmsafe0 \
	--label "FIGURE tpm_safe_tis $mode" --json /tmp/results/latency.json
if [ "$irq" -gt 0 ]; then
	grep -E "^ *$irq:" /proc/interrupts | sed 's/^/# /'
	sed 's/^/# spurious: /' /proc/irq/$irq/spurious
	# QEMU's level-triggered line gives about one unhandled call per command
	check "IRQ $irq still in use after 3000 commands (no storm)" sh -c \
		"! dmesg | grep -q 'interrupt storm' && grep -qE '^ *$irq:.*tpm_safe_tis' /proc/interrupts"
fi
# runtime PM of the TIS device: suspended when idle (locality given up),
# resumed by a command, counted by the driver
PW=/sys/bus/platform/devices/$DEV
rpm() { cat $PW/rpm_$1; }
check "runtime PM: the idle TIS device suspends (autosuspend 200 ms)" \
	wait_for "[ \$(cat $PW/power/runtime_status) = suspended ]" 5
s0=$(rpm suspends) r0=$(rpm resumes)
check "runtime PM: a command resumes it" $TPY check --dev /dev/tpmsafe0
check "runtime PM: the resume counted, then suspended again" \
	wait_for "[ \$(rpm resumes) -gt $r0 ] && [ \$(rpm suspends) -gt $s0 ] && [ \$(cat $PW/power/runtime_status) = suspended ]" 5
echo on > $PW/power/control
check "runtime PM: control=on keeps it active" sh -c "[ \$(cat $PW/power/runtime_status) = active ]"
echo auto > $PW/power/control
echo "# runtime PM of $DEV: $(rpm suspends) suspends, $(rpm resumes) resumes"
check "unbind" sh -c "echo -n $DEV > /sys/bus/platform/drivers/tpm_safe_tis/unbind"
shutdown_last unbind
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
