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
finish
