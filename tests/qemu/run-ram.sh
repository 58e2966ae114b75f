#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# System sleep tests in a self-contained guest (RAM only: virtio-9p does not
# survive a device suspend).  Exclusive mode: tpm_safe_tis owns the QEMU TIS
# TPM and swtpm serves a vtpm inside the guest.  pm_test cycles (freeze and
# mem; devices and platform) under load, an injected failing resume, then
# three real S3 cycles woken through the QEMU monitor (--no-s3: none).
# --iface crb: the firmware TPM is QEMU's CRB device, owned by tpm_safe_crb
# (its goIdle at each suspend and cmdReady at each resume counted too).
# --tpm 1.2: swtpm without --tpm2 behind QEMU's TIS and in the guest, a
# shorter run (pm_test and S3 cycles under load); every suspend of the TIS
# chip must reach swtpm as one TPM_SaveState (counted in swtpm's log).
# usage: tests/qemu/run-ram.sh [--cycles N] [--no-s3] [--out DIR] [--ko PATH]
#                              [--kver KVER | --kernel BZIMAGE] [--timeout S]
#                              [--iface tis|crb] [--tpm 2|1.2]
# swtpm and its libraries come from the root KVER is installed in (the
# host's, or the trixie root for 7.3); with --kernel, from the host.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/qemu/lib.sh"
kver=${KVER:-$("$top/scripts/kernels.sh" newest)}
cycles=20
s3=1
limit=300
out=$top/results/guest-sleep
ko=$top/tpm_safe.ko
kernel=""
iface=tis
tpm=2
while [ $# -gt 0 ]; do
	case "$1" in
	--cycles) cycles=$2; shift 2 ;;
	--s3) s3=1; shift ;;
	--no-s3) s3=0; shift ;;
	--out) out=$2; shift 2 ;;
	--ko) ko=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	--timeout) limit=$2; shift 2 ;;
	--iface) iface=$2; shift 2 ;;
	--tpm) tpm=$2; shift 2 ;;
	*) echo "run-ram.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
case $iface/$tpm in
tis/2 | crb/2 | tis/1.2) ;;
*) echo "run-ram.sh: --iface tis or crb, --tpm 2 or 1.2 (TIS only)" >&2; exit 2 ;;
esac
# QEMU from bookworm-backports (scripts/install-deps.sh): the 7.3 kernel
# does not come back from a real S3 under bookworm's QEMU 7.2
qemu=${SLEEP_QEMU:-/var/cache/tpm_safe/qemu-bpo/usr/bin/qemu-system-x86_64}
[ -x "$qemu" ] || { echo "run-ram.sh: no $qemu (scripts/install-deps.sh)" >&2; exit 1; }
root=""
guest_kernel
root=${root:-/}
# swtpm -d changes to /: every path it gets must be absolute
out=$(realpath -m "$out")
rm -rf "$out"
mkdir -p "$out/swtpm"
ird=$out/initramfs
initramfs_base "$ird" "$top/tests/qemu/ram-init"
mkdir -p "$ird/lib" "$ird/lib64" "$ird/usr/bin" "$ird/tests/guest"
# the guest tests' TAP and wait helpers
cp "$top/tests/guest/lib.sh" "$ird/tests/guest/"
cp "$ko" "$ird/tpm_safe.ko"
cp "${root%/}/usr/bin/swtpm" "$ird/usr/bin/"
gcc -static -O2 -Wall -o "$ird/bin/getrandom" "$top/tests/qemu/getrandom.c"
for lib in $(chroot "$root" ldd /usr/bin/swtpm | grep -oE '/[^ ]+\.so[^ ]*'); do
	cp -L "${root%/}$lib" "$ird/lib/"
done
cp -L "${root%/}/lib64/ld-linux-x86-64.so.2" "$ird/lib64/"
initramfs_pack "$ird" "$out/initrd.gz"

# TPM 1.2: every command logged, for the count of TPM_SaveState
level=1
[ "$tpm" = 2 ] || level=20
swtpm_start "$out/swtpm" "$tpm" "$level" || { echo "# FAIL: swtpm did not start"; exit 1; }

. "$(dirname "$0")/monitor.sh"

# The guest fell silent (no console output for $quiet s, no power-down):
# keep the vCPUs' registers, then an NMI makes the kernel panic
# (unknown_nmi_panic) and print every task and every CPU's backtrace.
quiet=${STALL_SECONDS:-$((limit / 5))}
stalled() {
	{
		echo "# console quiet for $quiet s: monitor state, then an NMI"
		mon "info status" || echo "# monitor did not answer"
		mon "info registers -a" || true
		mon "nmi" || true
	} > "$out/stall.txt" 2>&1
}

# wake the guest from each real S3 through the monitor; stop QEMU once the
# guest has powered down (after an S3 cycle, QEMU's q35 may not exit on S5)
waker() {
	local down up size last=0 still=0
	while :; do
		size=$(stat -c %s "$out/console.log" 2>/dev/null || echo 0)
		if [ "$size" != "$last" ]; then
			last=$size
			still=$SECONDS
		elif [ $((SECONDS - still)) -ge $quiet ] && [ ! -e "$out/stall.txt" ]; then
			stalled
		fi
		if grep -q 'reboot: Power down' "$out/console.log" 2>/dev/null; then
			sleep 3
			kill "$(cat "$out/qemu.pid")" 2>/dev/null
			return
		fi
		# a real S3 (not a pm_test one) takes the other CPU down first
		down=$(grep -c 'Disabling non-boot CPUs' "$out/console.log" 2>/dev/null || true)
		up=$(grep -c 'Enabling non-boot CPUs' "$out/console.log" 2>/dev/null || true)
		if [ "${down:-0}" -gt "${up:-0}" ]; then
			sleep 1
			mon system_wakeup > /dev/null 2>&1 || true
		fi
		sleep 0.5
	done
}
: > "$out/console.log"
waker &
wpid=$!
trap 'kill $wpid 2>/dev/null || true; kill $(cat $out/swtpm/pid 2>/dev/null) 2>/dev/null || true' EXIT

start=$SECONDS
set +e
# The kernel's line: tests/qemu/lib.sh's, exclusive mode's, and what the
# stall dump needs (nokaslr, unknown_nmi_panic, panic_print).
# thread=single: every freeze and thaw patches the kernel's freezer_active
# static branches live (an int3 first, then the rest).  Multi-threaded TCG
# before QEMU 8.1 can translate a block from the bytes read before it locks
# the page, so a block holding the int3 may outlive the patch (fixed by
# QEMU's "accel/tcg: Always lock pages before translation").  The kprobe int3
# handler finds no int3 in memory and returns to the same address for ever:
# user tasks spun at get_signal+0xa0 (the try_to_freeze() site) while the
# freezer and the stoppers waited for a CPU.  One TCG thread cannot race
# with itself and still runs two guest CPUs.
# -nodefaults: no CD-ROM (SeaBIOS waited about 30 s for QEMU 10's empty
# AHCI CD-ROM before every boot), NIC, VGA or parallel port
timeout -k 10 "$limit" "$qemu" -nodefaults -pidfile "$out/qemu.pid" -machine q35 -accel "${SLEEP_ACCEL:-tcg,thread=single}" -cpu max -smp 2 -m 2048 \
	-display none -no-reboot -monitor "unix:$out/monitor,server,nowait" \
	-global ICH9-LPC.disable_s3=0 \
	-serial "file:$out/console.log" -serial "file:$out/marker" -serial "file:$out/dmesg" \
	-kernel "$kernel" -initrd "$out/initrd.gz" \
	-append "$GUEST_CMDLINE $EXCLUSIVE_CMDLINE rdinit=/init tpmsafe.cycles=$cycles tpmsafe.s3=$s3 tpmsafe.iface=$iface tpmsafe.tpm=$tpm no_console_suspend nokaslr unknown_nmi_panic panic_print=0x41" \
	-chardev "socket,id=chrtpm,path=$out/swtpm/sock" \
	-tpmdev emulator,id=tpm0,chardev=chrtpm -device "tpm-$iface,tpmdev=tpm0" > "$out/qemu.log" 2>&1
rc=$?
set -e
echo "# sleep guest run took $((SECONDS - start)) s (qemu exit $rc)"
tr -d '\r' < "$out/console.log" | sed -n 's/.*TAP //p'
verdict=0
if [ "$tpm" = 1.2 ]; then
	# the suspends the guest went through, and the TPM_SaveStates swtpm read
	want=$(tr -d '\r' < "$out/console.log" | sed -n 's/^TPMSAFE-SUSPENDS \([0-9]*\)$/\1/p')
	got=$(awk '/SWTPM_IO_Read/ { getline; if ($7 $8 $9 $10 == "00000098") n++ }
		END { print n + 0 }' "$out/swtpm/swtpm.log")
	if [ -n "$want" ] && [ "$want" -gt 0 ] && [ "$got" = "$want" ]; then
		echo "ok - host: swtpm read one TPM_SaveState per suspend ($got of $want)"
	else
		echo "not ok - host: swtpm read one TPM_SaveState per suspend (${got} of ${want:-none})"
		verdict=1
	fi
fi
# the taint the guest saw at its end (on the marker port): only O and E
taint=$({ tr -d '\r' < "$out/marker"; } 2>/dev/null | sed -n 's/^taint \([0-9]*\)$/\1/p' || true)
if [ -z "$taint" ]; then
	echo "# FAIL: the guest reported no taint"
	verdict=1
elif ! taint_allowed "$taint"; then
	echo "# FAIL: unexpected taint $taint (only O=4096 and E=8192 allowed)"
	verdict=1
fi
# the console, and the whole kernel log the guest wrote at its end (ttyS2)
"$top/tests/qemu/check-console.sh" --verdict "$out/console-verdict" \
	"$out/console.log" "$ko" "$out/dmesg" || verdict=1
grep -q PASS "$out/marker" || { echo "# FAIL: no PASS marker"; verdict=1; }
if [ -e "$out/stall.txt" ]; then
	echo "# FAIL: the guest stalled; $out/stall.txt and the console hold its state"
	verdict=1
fi
[ $verdict = 0 ] && echo "# PASS ($out)" || echo "# FAIL ($out)"
exit $verdict
