# SPDX-License-Identifier: GPL-2.0
# make bench, guest side with a TPM 1.2 (swtpm without --tpm2, coexist
# mode): TPM 1.2 commands (TPM_GetRandom, TPM_PCRRead, TPM_GetCapability)
# on the kernel's tpm_tis and on tpm_safe_tis, on the same device in the
# same boot.
. tests/guest/lib.sh
bench_setup
export TPM_FAMILY=1.2
N=${BENCH_N:-1000}
J=/tmp/results/bench.json
: > $J
DEV=00:00
lat() { bench_lat --n $N --json $J "$@"; }
all3() { for c in getrandom pcrread hash; do lat --cmd $c "$@"; done; }
check "the kernel's tpm_tis owns the TPM 1.2 ($DEV)" [ -e /sys/bus/pnp/drivers/tpm_tis/$DEV ]
all3 --dev /dev/tpm0 --path tpm_tis-1.2 --label "built-in tpm_tis (TPM 1.2)"
check "module loads" load_module
check "TPM 1.2 moved to tpm_safe_tis" sh -c \
	"echo -n $DEV > /sys/bus/pnp/drivers/tpm_tis/unbind &&
	 echo -n $DEV > /sys/bus/pnp/drivers/tpm_safe_tis/bind"
all3 --dev /dev/tpmsafe0 --path tpm_safe_tis-1.2 --label "tpm_safe_tis (TPM 1.2) polling"
check "results recorded ($(wc -l < $J) of 6 rows)" [ "$(wc -l < $J)" -eq 6 ]
finish
