# SPDX-License-Identifier: GPL-2.0
# make bench, guest side with -device tpm-crb (coexist mode): the same
# workloads on the kernel's CRB driver and on tpm_safe_crb, on the same
# device in the same boot.
. tests/guest/lib.sh
bench_setup
N=${BENCH_N:-1000}
J=/tmp/results/bench.json
: > $J
DEV=MSFT0101:00
B=$(builtin_crb $DEV)
lat() { bench_lat --n $N --json $J "$@"; }
all3() { for c in getrandom pcrread hash; do lat --cmd $c "$@"; done; }
check "the kernel's CRB driver owns $DEV (${B##*/})" [ -n "$B" ]
all3 --dev /dev/tpm0 --path tpm_crb --label "built-in ${B##*/}"
check "module loads" load_module
check "QEMU TPM moved to tpm_safe_crb" sh -c \
	"echo -n $DEV > $B/unbind && echo -n $DEV > /sys/bus/platform/drivers/tpm_safe_crb/bind"
all3 --dev /dev/tpmsafe0 --path tpm_safe_crb --label "tpm_safe_crb polling"
check "results recorded ($(wc -l < $J) of 6 rows)" [ "$(wc -l < $J)" -eq 6 ]
finish
