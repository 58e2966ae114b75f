# SPDX-License-Identifier: GPL-2.0
# make bench, guest side (coexist mode): the same workloads, back to back in
# one boot, on the built-in tpm_tis, tpm_safe_tis (polling, irq=5), the
# kernel's tpm_vtpm_proxy, tpm_safe_vtpm, swtpm on a socketpair with no
# kernel driver (the floor) and swtpm's socket server;
# and the resource managers: /dev/tpmrmN against /dev/tpmsafermN, each
# with GetRandom and keyed signs, ECDSA and HMAC (one client: upstream
# loads, saves and flushes the key around each sign, tpm_safe keeps it
# loaded; and two clients at once, each ECDSA sign after the other's: both
# load and flush it).
# Every path is timed by the same C client (tests/bench/lat_client.c, in
# $LAT_CLIENT); Python only opens the node and makes the key.
. tests/guest/lib.sh
bench_setup
N=${BENCH_N:-1000}
J=/tmp/results/bench.json
: > $J
DEV=MSFT0101:00
P=/sys/bus/platform
check "the C client is there (${LAT_CLIENT:-LAT_CLIENT unset})" test -x "${LAT_CLIENT:-/none}"
lat() { bench_lat --n $N --json $J "$@"; }
all3() { for c in getrandom pcrread hash; do lat --cmd $c "$@"; done; }

all3 --dev /dev/tpm0 --path tpm_tis --label "built-in tpm_tis"
rm2() { for c in getrandom sign hmac-sign; do lat --cmd $c "$@"; done; }
rm2 --dev /dev/tpmrm0 --path tpmrm_tis --label "built-in tpm_tis, /dev/tpmrm0"
# two spaces signing at once: each sign meets the other's key in the TPM
two() {
	bench_lat --n $N --json $J --cmd sign --path "$1" --label "$1, 2 spaces" --dev "$2,$2"
}
two tpmrm_tis-2spaces /dev/tpmrm0
check "module loads" load_module
check "QEMU TPM moved to tpm_safe_tis" sh -c "echo -n $DEV > $P/drivers/tpm_tis/unbind && echo -n $DEV > $P/drivers/tpm_safe_tis/bind"
all3 --dev /dev/tpmsafe0 --path tpm_safe_tis-poll --label "tpm_safe_tis polling"
rm2 --dev /dev/tpmsaferm0 --path tpm_safe_rm_tis --label "tpm_safe_tis polling, /dev/tpmsaferm0"
# the rm node against the raw node, one command on each in turn
lat --cmd getrandom --interleave --dev /dev/tpmsafe0,/dev/tpmsaferm0 \
	--path tpm_safe_tis-poll-i,tpm_safe_rm_tis-i --label "tpm_safe_tis raw,tpm_safe_tis rm"
two tpm_safe_rm_tis-2spaces /dev/tpmsaferm0
check "reload with irq=5" sh -c "rmmod tpm_safe && insmod ${KO:-tpm_safe.ko} irq=5"
wait_for "[ -e /dev/tpmsafe0 ]" 10
check "interrupts in use" sh -c "dmesg | tail -n 5 | grep -q 'using IRQ 5'"
all3 --dev /dev/tpmsafe0 --path tpm_safe_tis-irq --label "tpm_safe_tis irq=5"
check "the irq=5 runs used interrupts to the end (no storm)" sh -c \
	"! dmesg | grep -q 'interrupt storm' && grep -q tpm_safe_tis /proc/interrupts"

# the kernel's vTPM proxy, served by swtpm in the guest
check "modprobe tpm_vtpm_proxy" modprobe tpm_vtpm_proxy
vp_start() {
	mkdir -p /tmp/vp$1
	swtpm chardev --vtpm-proxy --tpm2 --tpmstate dir=/tmp/vp$1 > /tmp/vp$1.out 2>&1 &
	wait_for "grep -q 'New TPM device' /tmp/vp$1.out" 20
	sed -n 's/.*New TPM device: \(\/dev\/tpm[0-9]*\).*/\1/p' /tmp/vp$1.out
}
vp=$(vp_start 0)
check "swtpm --vtpm-proxy created $vp" [ -n "$vp" ]
all3 --dev "$vp" --path vtpm_proxy --label "kernel tpm_vtpm_proxy"
rm2 --dev "${vp%/tpm*}/tpmrm${vp##*/tpm}" --path tpmrm_vtpm_proxy \
	--label "kernel tpm_vtpm_proxy, its tpmrm node"
two tpmrm_vtpm_proxy-2spaces "${vp%/tpm*}/tpmrm${vp##*/tpm}"

vtpm_start /tmp/bench-vtpm || nok "swtpm attaches to tpm_safe_vtpm"
all3 --dev /dev/tpmsafe$VT_NUM --path tpm_safe_vtpm --label "tpm_safe_vtpm"
rm2 --dev /dev/tpmsaferm$VT_NUM --path tpm_safe_rm_vtpm --label "tpm_safe_vtpm, /dev/tpmsaferm$VT_NUM"
# the raw node, the rm node and the floor in turn (the vTPM rows are
# bimodal under TCG: rows measured apart may each land in another mode)
lat --cmd getrandom --interleave --dev /dev/tpmsafe$VT_NUM,/dev/tpmsaferm$VT_NUM,pair: \
	--path tpm_safe_vtpm-i,tpm_safe_rm_vtpm-i,floor-i \
	--label "tpm_safe_vtpm raw,tpm_safe_vtpm rm,floor"
for c in pcrread hash; do
	lat --cmd $c --interleave --dev /dev/tpmsafe$VT_NUM,pair: \
		--path tpm_safe_vtpm-i,floor-i --label "tpm_safe_vtpm raw,floor"
done
# the keyed signs (ECDSA, HMAC) in turn on our rm node, upstream's and the
# floor (each its own key): the emulator's ECDSA cost moves between boots
# and within one
for c in sign hmac-sign; do
	lat --cmd $c --interleave \
		--dev "/dev/tpmsaferm$VT_NUM,${vp%/tpm*}/tpmrm${vp##*/tpm},pair:" \
		--path tpm_safe_rm_vtpm-i,tpmrm_vtpm_proxy-i,floor-i \
		--label "tpm_safe_vtpm rm,tpm_vtpm_proxy rm,floor"
done
two tpm_safe_rm_vtpm-2spaces /dev/tpmsaferm$VT_NUM

# four clients, each on its own virtual TPM, as threads of one process
multi() {
	bench_lat --n $N --json $J --path "$1" --label "$1" --dev "$(echo $2 | tr ' ' ,)"
}
nodes=/dev/tpmsafe$VT_NUM
for i in 1 2 3; do
	vtpm_start /tmp/bench-vtpm$i && nodes="$nodes /dev/tpmsafe$VT_NUM"
done
multi tpm_safe_vtpm-4clients "$nodes"
vnodes=$vp
for i in 1 2 3; do vnodes="$vnodes $(vp_start $i)"; done
multi vtpm_proxy-4clients "$vnodes"

# the floor: `swtpm chardev --fd` (as tpm_safe_vtpm's server) on one end
# of a socketpair, the client on the other, no kernel driver; the keyed
# sign there with the key made once and kept loaded
all3 --dev pair: --path floor --label "swtpm chardev on a socketpair (floor)"
for c in sign hmac-sign; do
	lat --cmd $c --dev pair: --path floor --label "swtpm chardev on a socketpair (floor)"
done
# swtpm's socket server (the floor of earlier tables)
mkdir -p /tmp/swtpm-socket
swtpm socket --tpm2 --tpmstate dir=/tmp/swtpm-socket \
	--server type=unixio,path=/tmp/swtpm-socket.sock \
	--ctrl type=unixio,path=/tmp/swtpm-socket.ctrl --flags not-need-init,startup-clear -d
wait_for "[ -S /tmp/swtpm-socket.sock ]" 10
all3 --dev unix:/tmp/swtpm-socket.sock --path swtpm-socket --label "swtpm socket server"
lat --cmd sign --dev unix:/tmp/swtpm-socket.sock --path swtpm-socket --label "swtpm socket server"

# removal figures: unbind/rebind under load on a virtual TPM, then unbind
# time with 0, 1, 4 and 16 requesters in flight on the chip
python3 tests/guest/stress.py unbind --cycles ${BENCH_UNBIND:-50} | grep -E '^(FIGURE|not ok)' |
	tee /tmp/unbind.out | sed 's/^/# /'
python3 tests/guest/stress.py inflight --cycles ${BENCH_INFLIGHT:-20} > /tmp/inflight.out
sed -n 's/^BENCH //p' /tmp/inflight.out >> $J
sed -n 's/^FIGURE unbind cycles=\([0-9]*\) elapsed=\([0-9.]*\)s cycles\/s=\([0-9.]*\)$/{"kind": "removal", "in_flight": "mixed", "cycles": \1, "cycles_s": \3}/p' /tmp/unbind.out >> $J
sed -n 's/^FIGURE unbind under load ms: median=\([0-9.]*\) p90=[0-9.]* max=\([0-9.]*\)$/{"kind": "removal", "in_flight": "mixed", "unbind_median_ms": \1, "unbind_max_ms": \2}/p' /tmp/unbind.out >> $J
check "unbind under load: no failed check" sh -c "! grep -q '^not ok' /tmp/unbind.out"
check "unbind with requesters in flight: no failed check" sh -c "! grep -q '^not ok' /tmp/inflight.out && grep -c '^BENCH' /tmp/inflight.out | grep -qx 4"
grep -E '^(BENCH|not ok)' /tmp/inflight.out | sed 's/^/# /'
check "results recorded" test -s $J
finish
