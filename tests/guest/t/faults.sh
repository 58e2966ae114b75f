# SPDX-License-Identifier: GPL-2.0
# Allocation failure (debug kernel, failslab + fail_page_alloc): every fault
# site reached by probe, removal, open, a command, the sysfs attributes and
# a new virtual TPM fails in turn; each unwinds (tests/guest/faults.py).
# The platform chip is tpm_safe_tis's, or tpm_safe_crb's in a guest with
# -device tpm-crb.
. tests/guest/lib.sh
if [ ! -e /proc/self/fail-nth ] || [ ! -d /sys/kernel/debug/failslab ]; then
	nok "kernel has fault injection (failslab, fail_page_alloc, fail-nth)"
	finish
fi
crb_release_builtin
check "module loads" load_module
check "tpm_safe_${IFACE:-tis} bound MSFT0101:00" wait_for "[ -e /dev/tpmsafe0 ]" 10
export FAULT_STRIDE FAULT_MAX_SITES FAULT_OPS
python3 tests/guest/faults.py || FAILS=$((FAILS + 1))
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
