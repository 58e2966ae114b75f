# SPDX-License-Identifier: GPL-2.0
# README claims checked against a userspace server in place of swtpm
# (tests/guest/claims.py), and the TIS device's runtime-PM default.
. tests/guest/lib.sh
check "module loads" load_module
PW=/sys/bus/platform/devices/MSFT0101:00/power
if check_tis=$(readlink /sys/bus/platform/devices/MSFT0101:00/driver) &&
	[ "${check_tis##*/}" = tpm_safe_tis ]; then
	check "the TIS device's autosuspend delay is 200 ms" \
		sh -c "[ \"\$(cat $PW/autosuspend_delay_ms)\" = 200 ]"
else
	nok "tpm_safe_tis is bound to MSFT0101:00 (driver: ${check_tis:-none})"
fi
python3 tests/guest/claims.py || FAILS=$((FAILS + 1))
check "objects balanced" objects_balanced
check "module unloads" unload_module
# force=1 with MSFT0101 in ACPI: one line, no device of its own
said() { dmesg | grep -c 'force: the firmware lists a TPM; no device created'; }
n0=$(said)
check "module loads with force=1" load_module force=1
check "force=1 with a TPM in ACPI logs it once" [ "$(said)" = $((n0 + 1)) ]
check "...and creates no device" [ ! -e /sys/bus/platform/devices/tpm_safe_tis ]
check "module unloads" unload_module
finish
