# SPDX-License-Identifier: GPL-2.0
# Exclusive mode: unbind/bind tpm_safe_tis (or tpm_safe_crb in a guest
# with -device tpm-crb) under load (blocking and O_NONBLOCK clients, sysfs
# readers, a hwrng reader, open/close).
. tests/guest/lib.sh
crb_release_builtin
check "module loads (irq=${TIS_IRQ:-0})" load_module irq=${TIS_IRQ:-0}
[ "${TIS_IRQ:-0}" -gt 0 ] &&
	check "/proc/interrupts shows tpm_safe_tis on IRQ $TIS_IRQ" irq_in_use $TIS_IRQ
stress_run unbind --driver tpm_safe_${IFACE:-tis} --device MSFT0101:00 \
	--cycles "${UNBIND_CYCLES:-100}"
