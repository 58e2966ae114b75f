# SPDX-License-Identifier: GPL-2.0
# Exclusive mode: unbind/bind tpm_safe_tis under load (blocking and
# O_NONBLOCK clients, sysfs readers, a hwrng reader, open/close).
. tests/guest/lib.sh
check "module loads (irq=${TIS_IRQ:-0})" load_module irq=${TIS_IRQ:-0}
python3 tests/guest/stress.py unbind --driver tpm_safe_tis --device MSFT0101:00 \
	--cycles "${UNBIND_CYCLES:-100}"
rc=$?
check "objects balanced" objects_balanced
sed 's/^/# objects: /' $OBJ
check "module unloads" unload_module
[ $rc -eq 0 ] && finish
exit 1
