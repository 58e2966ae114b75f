# SPDX-License-Identifier: GPL-2.0
# A TPM 1.2 behind QEMU's TIS (PNP0C31, swtpm without --tpm2): detected by
# tpm_safe_tis, refused with one clear message, never driven as TPM 2.0.
. tests/guest/lib.sh
check "module loads" load_module
check "PNP0C31 present" sh -c "grep -il PNP0C31 /sys/bus/pnp/devices/*/id"
check "refused with a clear message" sh -c "dmesg | grep -q 'tpm_safe_tis.*TPM 1.2 device found: not supported'"
n=$(dmesg | grep -c 'tpm_safe_tis')
check "...and it is the driver's only line in the log ($n)" [ "$n" = 1 ]
check "no tpmsafe node" sh -c "! ls /dev/tpmsafe[0-9]* 2>/dev/null"
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
