# SPDX-License-Identifier: GPL-2.0
# TPM 1.2 under the removal torture, with TPM 1.2 commands in the load:
# hostile clients on the TIS chip's node,
# unbind/bind of the TIS chip (PNP 00:00) under load (blocking and
# O_NONBLOCK clients, sysfs readers, a hwrng reader, open/close), swtpm
# without --tpm2 SIGKILLed at random points, unbind/bind of such a vtpm
# under load.  Run with TPM_FAMILY=1.2 in the guest's environment (the
# tpm12 guest sets it; lifecycle then runs with TPM 1.2 swtpms too).
. tests/guest/lib.sh
export TPM_FAMILY=1.2
check "module loads" load_module
check "tpm_safe_tis bound the TPM 1.2" wait_for "[ -e /dev/tpmsafe0 ]" 10
# hostile clients: random sizes and headers, answered by a TPM 1.2
python3 tests/guest/hostile_client.py /dev/tpmsafe0 "${HOSTILE_SECONDS:-20}" 4 ||
	FAILS=$((FAILS + 1))
STRESS_BUS=pnp python3 tests/guest/stress.py unbind --driver tpm_safe_tis \
	--device 00:00 --cycles "${UNBIND_CYCLES:-100}" || FAILS=$((FAILS + 1))
python3 tests/guest/stress.py kill --cycles "${KILL_CYCLES:-50}" || FAILS=$((FAILS + 1))
python3 tests/guest/stress.py unbind --cycles "${UNBIND_CYCLES:-100}" || FAILS=$((FAILS + 1))
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
