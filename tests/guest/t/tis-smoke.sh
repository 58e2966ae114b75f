# SPDX-License-Identifier: GPL-2.0
# Exclusive mode (built-in TPM drivers kept off at boot): tpm_safe binds the
# QEMU TIS device by itself; tpm2-tools and Linux's TPM 2.0 selftests on
# /dev/tpmsafe0, with polling (TIS_IRQ=0) or interrupts (TIS_IRQ=5).
. tests/guest/lib.sh
DEV=MSFT0101:00
irq=${TIS_IRQ:-0}
check "no built-in driver owns $DEV" sh -c "[ ! -e /sys/bus/platform/devices/$DEV/driver ]"
check "module loads (irq=$irq)" load_module irq=$irq
check "tpm_safe_tis bound $DEV by itself" sh -c \
	"[ \"\$(basename \$(readlink /sys/bus/platform/devices/$DEV/driver))\" = tpm_safe_tis ]"
if [ "$irq" -gt 0 ]; then
	check "IRQ $irq is in use" sh -c "dmesg | grep -q 'tpm_safe_tis.*using IRQ $irq' && grep -q tpm_safe_tis /proc/interrupts"
else
	check "polling" sh -c "dmesg | grep -q 'tpm_safe_tis.*polling'"
fi
T="-T device:/dev/tpmsafe0"
check "tpm2_getrandom" tpm2_getrandom $T 8 --hex
check "tpm2_selftest" tpm2_selftest $T --fulltest
check "tpm2_getcap properties-fixed" tpm2_getcap $T properties-fixed
check "tpm2_pcrread" tpm2_pcrread $T sha256:16
check "tpm2_pcrextend" tpm2_pcrextend $T \
	16:sha256=0000000000000000000000000000000000000000000000000000000000000001
check "tpm2_createprimary" tpm2_createprimary $T -C o -c /tmp/prim.ctx
check "tpm2_flushcontext" tpm2_flushcontext $T -t
check "1 KiB hash and PCR read" $TPY check --dev /dev/tpmsafe0
SELFTEST_DEV=/dev/tpmsafe0 sh tests/guest/t/selftests.sh
mode=polling
[ "$irq" -gt 0 ] && mode="irq=$irq"
python3 tests/guest/latency.py --dev /dev/tpmsafe0 --n 500 --label "FIGURE tpm_safe_tis $mode" \
	--json /tmp/results/latency.json
[ "$irq" -gt 0 ] && grep tpm_safe_tis /proc/interrupts | sed 's/^/# /'
check "unbind" sh -c "echo -n $DEV > /sys/bus/platform/drivers/tpm_safe_tis/unbind"
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
