# SPDX-License-Identifier: GPL-2.0
# TPM 1.2: QEMU's TIS (PNP0C31, swtpm without --tpm2) under tpm_safe_tis,
# swtpm without --tpm2 on /dev/tpmsafe-vtpmx, and a TPM 1.2 server of the
# test's own (tests/guest/tpm12.py): registration, every sysfs file against
# the TPM's answers, PCR extend and read, the hwrng, cancel, bad responses,
# unbind and rebind.
. tests/guest/lib.sh
DEV=00:00
PDRV=/sys/bus/pnp/drivers/tpm_safe_tis
check "module loads" load_module
check "PNP0C31 present" sh -c "grep -il PNP0C31 /sys/bus/pnp/devices/*/id"
check "tpm_safe_tis bound $DEV" wait_for "[ -e $PDRV/$DEV ]" 10
S=$(echo /sys/bus/pnp/devices/$DEV/tpm_safe/tpmsafe*)
NODE=/dev/${S##*/}
line=$(dmesg | grep "${S##*/}: TPM 1.2 on $DEV")
echo "# $line"
check "registered as TPM 1.2 with 24 PCRs" sh -c "echo '$line' | grep -q '24 PCRs'"
check "no TPM 1.2 refusal, no start-up error" sh -c \
	"! dmesg | grep -E 'not supported by tpm_safe|TPM 1.2 start-up failed'"
echo "# timeouts: $(cat $S/timeouts) durations: $(cat $S/durations)"
python3 tests/guest/tpm12.py node $NODE || FAILS=$((FAILS + 1))
python3 tests/guest/tpm12.py fake || FAILS=$((FAILS + 1))
python3 tests/guest/tpm12.py vtpm || FAILS=$((FAILS + 1))
# the TIS chip: unbind, then bind again
check "unbind $DEV" sh -c "echo -n $DEV > $PDRV/unbind"
check "$NODE gone" wait_for "[ ! -e $NODE ]" 10
check "bind $DEV" sh -c "echo -n $DEV > $PDRV/bind"
S=$(echo /sys/bus/pnp/devices/$DEV/tpm_safe/tpmsafe*)
check "rebound chip answers TPM_GetRandom" python3 tests/guest/tpm12.py \
	getrandom /dev/${S##*/}
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
