# SPDX-License-Identifier: GPL-2.0
# The power-off fence: run last, it leaves the module loaded with the TIS
# chip in use; the guest then powers off (sysrq o: kernel_power_off and
# device_shutdown), and the host reads swtpm's command log: the last
# command the TPM saw must be TPM2_Shutdown(CLEAR) (tests/qemu/run.sh).
. tests/guest/lib.sh
check "module loads" load_module
check "tpm_safe_tis bound MSFT0101:00" wait_for "[ -e /dev/tpmsafe0 ]" 10
check "the TIS chip answers" $TPY check --dev /dev/tpmsafe0
check "...and is idle again (runtime-suspended)" \
	wait_for "[ \"\$(cat /sys/bus/platform/devices/MSFT0101:00/power/runtime_status)\" = suspended ]" 10
echo tis > "$R/fence-expected"
finish
