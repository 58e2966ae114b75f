#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot a kernel in QEMU (TCG) with swtpm behind -device tpm-tis, run guest
# tests from this tree (host root over 9p, read-only) and decide:
#   PASS only if the guest wrote its positive marker after all checks, the
#   console has no kernel splat, and the taint is only O/E.
#
# usage: tests/qemu/run.sh [options] TEST...
#   --kernel PATH     kernel image (default: the image of --kver)
#   --kver KVER       release (or series) whose modules the initramfs takes
#                     (default $KVER, else the newest installed series)
#   --root DIR        the guest's root file system (default: where KVER is
#                     installed, / or the trixie root; / for a --kernel)
#   --mode M          coexist (built-in tpm_tis keeps the device) or
#                     exclusive (built-in TPM drivers kept off at boot)
#   --tpm V           2 (default) or 1.2
#   --iface I         tis (default: -device tpm-tis) or crb (-device tpm-crb)
#   --firmware F      bios (default: SeaBIOS) or uefi (OVMF, Debian's ovmf)
#   --qemu PATH       the emulator (default: QEMU 10 from bookworm-backports,
#                     unpacked by scripts/install-deps.sh; TPMSAFE_QEMU);
#                     one older than 8.1 runs single-threaded TCG (below)
#   --timeout S       whole-run limit in seconds (default 900)
#   --boot-limit S    longest wait for the guest's init (default 300, at most 3/4 of --timeout): a
#                     kernel that hangs before init is booted again, twice at most
#   --out DIR         results folder (default results/qemu-<time>)
#   --ko PATH         unstripped module used to symbolise (default ./tpm_safe.ko)
#   --append ARGS     extra kernel command line
#   --env K=V         exported to the guest tests (repeatable)
#   --host-stop S     longest a guest-requested swtpm SIGSTOP lasts (default 5)
#   --mem MB          guest memory (default 2048)
#   --crb-acpi-start  with --iface crb: the TPM without QEMU's PPI _DSM, and
#                     an SSDT of ours (tests/qemu/crb-acpi-start.asl) that
#                     gives it a firmware's ACPI start _DSM (start method 8)
# Tests are names of files under tests/guest/t/ (without .sh or .py), or
# paths of guest programs (tests/guest/demo.sh, tests/bench/guest*.sh).
set -euo pipefail
args=("$@")

top=$(cd "$(dirname "$0")/../.." && pwd)
. "$top/tests/qemu/lib.sh"
kver=${KVER:-$("$top/scripts/kernels.sh" newest)}
kernel=""
root=""
mode=coexist
tpm=2
iface=tis
firmware=bios
# QEMU 7.2's multi-threaded TCG sometimes runs a stale translated block
# that still holds the int3 of a live kernel text patch (fixed in QEMU 8.1):
# a guest then oopses or hangs silently at a random point
qemu=${TPMSAFE_QEMU:-/var/cache/tpm_safe/qemu-bpo/usr/bin/qemu-system-x86_64}
timeout_s=900
boot_limit=300
out=""
ko="$top/tpm_safe.ko"
append=""
envs=()
host_stop=5
mem=2048
acpi_start=0

while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	--root) root=$2; shift 2 ;;
	--mode) mode=$2; shift 2 ;;
	--tpm) tpm=$2; shift 2 ;;
	--iface) iface=$2; shift 2 ;;
	--firmware) firmware=$2; shift 2 ;;
	--qemu) qemu=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--boot-limit) boot_limit=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--ko) ko=$2; shift 2 ;;
	--append) append="$append $2"; shift 2 ;;
	--env) envs+=("$2"); shift 2 ;;
	--host-stop) host_stop=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--crb-acpi-start) acpi_start=1; shift ;;
	--) shift; break ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || { echo "run.sh: no test given" >&2; exit 2; }
[ -x "$qemu" ] || command -v "$qemu" > /dev/null ||
	{ echo "run.sh: no emulator $qemu (scripts/install-deps.sh)" >&2; exit 2; }
if [ $acpi_start = 1 ]; then
	[ "$iface" = crb ] || { echo "run.sh: --crb-acpi-start needs --iface crb" >&2; exit 2; }
	command -v iasl > /dev/null || { echo "run.sh: no iasl (scripts/install-deps.sh)" >&2; exit 2; }
	# the SSDT's _DSM would clash with the PPI one QEMU's DSDT carries
	"$qemu" -device tpm-crb,help 2>/dev/null | grep -c 'ppi=' > /dev/null ||
		{ echo "run.sh: $qemu cannot turn the CRB's PPI _DSM off (ppi=off)" >&2; exit 2; }
fi
guest_kernel
root=${root:-/}
out=${out:-$top/results/qemu-$(date +%s)}
rm -rf "$out"
mkdir -p "$out/share" "$out/swtpm"
out=$(cd "$out" && pwd)

# --- initramfs: busybox, the 9p modules of $kver, our init ---
ird="$out/initramfs"
initramfs_base "$ird" "$top/tests/qemu/initramfs-init"
mkdir -p "$ird/modules"
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev \
	virtio_pci netfs fscache 9pnet 9pnet_virtio 9p; do
	f=$(find "${root%/}/lib/modules/$kver/kernel" -name "$m.ko*" 2>/dev/null | head -n 1 || true)
	[ -n "$f" ] || continue
	case "$f" in
	*.xz) xz -dc "$f" > "$ird/modules/$m.ko" ;;
	*.zst) zstd -qdc "$f" > "$ird/modules/$m.ko" ;;
	*) cp "$f" "$ird/modules/$m.ko" ;;
	esac
done
initramfs_pack "$ird" "$out/initrd.gz"

# --- the TPM device, and an ACPI start method for it ---
tpmdev=(-device "tpm-$iface,tpmdev=tpm0")
if [ $acpi_start = 1 ]; then
	iasl -p "$out/crb-acpi-start" "$top/tests/qemu/crb-acpi-start.asl" > "$out/iasl.log" 2>&1 ||
		{ cat "$out/iasl.log" >&2; echo "run.sh: the SSDT does not compile" >&2; exit 2; }
	tpmdev=(-device "tpm-crb,tpmdev=tpm0,ppi=off" -acpitable "file=$out/crb-acpi-start.aml")
fi

# --- the plan the guest reads ---
{
	echo "TESTS=\"$*\""
	echo "MODE=$mode"
	echo "TPM=$tpm"
	echo "IFACE=$iface"
	echo "HOST_STOP=$host_stop"
	for e in "${envs[@]}"; do echo "$e"; done
} > "$out/share/plan"

# --- swtpm on the host, behind QEMU's TIS ---
# level 20 logs every command: for the power-off fence check below, and
# for the guest's "lastcmd" requests (the last command after an unbind)
swtpm_log=1
case " $* " in *" reboot-fence "* | *" tis-smoke "* | *" crb-smoke "* | *" crb-acpi-start "*) swtpm_log=20 ;; esac
# swtpm_last_cmd: the last command swtpm read: its code and the first two
# bytes after the header ("00000145 0000": TPM2_Shutdown(CLEAR)), or nothing
swtpm_last_cmd() {
	awk '/SWTPM_IO_Read/ { getline; c = $7 $8 $9 $10 " " $11 $12 }
		END { print c }' "$out/swtpm/swtpm.log"
}
# a TPM 1.2 gets its endorsement key, as it leaves the factory with one
if [ "$tpm" = 1.2 ] && ! swtpm_setup --tpmstate "$out/swtpm" --createek \
	> "$out/swtpm/setup.log" 2>&1; then
	echo "# FAIL: swtpm_setup --createek (TPM 1.2)"
	sed 's/^/#   /' "$out/swtpm/setup.log"
	exit 1
fi
swtpm_start "$out/swtpm" "$tpm" "$swtpm_log" || { echo "# FAIL: swtpm did not start"; exit 1; }

# The guest asks the host to stop or continue swtpm (a command that never
# completes) by writing share/host-req.ID; the answer is share/host-ack.ID
# (a name is never reused: 9p may keep a stale dentry for a deleted file).  A
# stop lasts at most --host-stop seconds: QEMU blocks on a stopped swtpm when the driver
# cancels (commandReady) and the guest freezes until swtpm continues.
# monitor CMD...: monitor commands, their answers appended to monitor.log
# (QEMU's main loop waits while swtpm is stopped: 20 s at most each)
monitor() {
	local c rc=0
	for c in "$@"; do
		timeout 20 bash -c 'out=$1; . "$2"; mon "$3"' _ "$out" \
			"$top/tests/qemu/monitor.sh" "$c" >> "$out/monitor.log" 2>&1 || rc=1
	done
	return $rc
}
# console_settled: wait (at most 15 s) until the console stops growing
console_settled() {
	local last=-1 size i
	for i in $(seq 15); do
		size=$(stat -c %s "$out/console.log" 2>/dev/null || echo 0)
		[ "$size" = "$last" ] && return 0
		last=$size
		sleep 1
	done
}
# the wait for init: shorter than the run's limit, so that a hang before
# init is told from a timeout
[ "$boot_limit" -le $((timeout_s * 3 / 4)) ] || boot_limit=$((timeout_s * 3 / 4))
host_agent() {
	local pid req stopped=0 dumped=0 booted=0 t0=$SECONDS
	pid=$(cat "$out/swtpm/pid")
	while :; do
		# a run about to time out: the guest's blocked tasks and every
		# task's stack on the console (sysrq w and t), for the report;
		# in the background, so that requests are still answered
		if [ $dumped = 0 ] && [ $((SECONDS - t0)) -ge $((timeout_s - 30)) ]; then
			dumped=1
			echo "$(date +%T.%N) timing out: sysrq w, t" >> "$out/host-agent.log"
			monitor "sendkey alt-sysrq-w" "sendkey alt-sysrq-t" &
		fi
		# a kernel that has not started init: the vCPUs' state and the
		# tasks, then the emulator stops (booted again below)
		if [ $booted = 0 ] && grep -qa "tpmsafe-init: running" "$out/console.log" 2>/dev/null; then
			booted=1
		elif [ $booted = 0 ] && [ $((SECONDS - t0)) -ge "$boot_limit" ]; then
			booted=1
			echo "$(date +%T.%N) no init after $boot_limit s" >> "$out/host-agent.log"
			touch "$out/boot-hang"
			monitor "info registers -a" "sendkey alt-sysrq-w" "sendkey alt-sysrq-t" || true
			console_settled
			# init may have started during the dump: then it runs on
			if grep -qa "tpmsafe-init: running" "$out/console.log"; then
				rm -f "$out/boot-hang"
				echo "$(date +%T.%N) init started during the dump" >> "$out/host-agent.log"
			else
				monitor "quit" || true
			fi
		fi
		for f in "$out"/share/host-req.*; do
			[ -f "$f" ] || continue
			req=$(cat "$f")
			rm -f "$f"
			ans=$req
			case $req in
			stop) kill -STOP "$pid"; stopped=$SECONDS ;;
			cont) kill -CONT "$pid"; stopped=0 ;;
			lastcmd) ans=$(swtpm_last_cmd) ;;
			esac
			echo "$(date +%T.%N) $req (${f##*/}): $ans" >> "$out/host-agent.log"
			echo "$ans" > "$out/share/.host-ack.${f##*.}"
			mv "$out/share/.host-ack.${f##*.}" "$out/share/host-ack.${f##*.}"
		done
		if [ $stopped -gt 0 ] && [ $((SECONDS - stopped)) -ge "$host_stop" ]; then
			kill -CONT "$pid"
			echo "$(date +%T.%N) cont after ${host_stop} s" >> "$out/host-agent.log"
			stopped=0
		fi
		sleep 0.05
	done
}
host_agent &
agent=$!

cleanup() {
	kill "$agent" 2>/dev/null || true
	if [ -f "$out/swtpm/pid" ]; then
		kill -CONT "$(cat "$out/swtpm/pid")" 2>/dev/null || true
		kill "$(cat "$out/swtpm/pid")" 2>/dev/null || true
	fi
}
trap cleanup EXIT

# every guest's line (tests/qemu/lib.sh: sysrq lets the host ask for the
# blocked tasks when a run is timing out), with the allocator's debugging
# (a bench boot's --append turns it off)
cmdline="$GUEST_CMDLINE slub_debug=FZPU page_poison=1"
cmdline="$cmdline rdinit=/init tpmsafe.repo=$top tpmsafe.script=tests/guest/main.sh"
[ "$mode" = exclusive ] && cmdline="$cmdline $EXCLUSIVE_CMDLINE"
cmdline="$cmdline $append"

# Another root than the host's: this tree goes over a share of its own,
# mounted at the same path (the mount point is made in that root).
share_repo=()
if [ "$root" != / ]; then
	mkdir -p "$root$top"
	share_repo=(-virtfs "local,path=$top,mount_tag=repo,security_model=none,readonly=on,multidevs=remap")
	cmdline="$cmdline tpmsafe.reposhare=1"
fi

# Multi-threaded TCG before QEMU 8.1 can run a stale block of a live text
# patch (above): one TCG thread there, which still runs both guest CPUs
accel=tcg
qv=$("$qemu" --version | sed -n '1s/.*version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
[ -n "$qv" ] || { echo "FAIL: $qemu --version: no version" >&2; exit 1; }
read -r qmaj qmin <<< "$qv"
{ [ "$qmaj" -gt 8 ] || { [ "$qmaj" -eq 8 ] && [ "$qmin" -ge 1 ]; }; } || accel=tcg,thread=single
echo "# $qemu: QEMU $qmaj.$qmin, -accel $accel"

# UEFI: OVMF's code read-only, a copy of its variable store per run
fw=()
case "$firmware" in
bios) ;;
uefi)
	ovmf=/usr/share/OVMF
	[ -f "$ovmf/OVMF_CODE_4M.fd" ] ||
		{ echo "run.sh: no $ovmf/OVMF_CODE_4M.fd (scripts/install-deps.sh)" >&2; exit 2; }
	cp "$ovmf/OVMF_VARS_4M.fd" "$out/ovmf-vars.fd"
	fw=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$ovmf/OVMF_CODE_4M.fd"
		-drive "if=pflash,format=raw,unit=1,file=$out/ovmf-vars.fd")
	;;
*) echo "run.sh: --firmware bios or uefi" >&2; exit 2 ;;
esac

start=$(date +%s.%N)
set +e
# -nodefaults: no CD-ROM, NIC, VGA or parallel port.  SeaBIOS waited about
# 30 s for QEMU 10's empty AHCI CD-ROM to answer before every boot.
timeout -k 10 "$timeout_s" "$qemu" -nodefaults \
	-machine q35 -accel "$accel" -cpu max -smp 2 -m "$mem" "${fw[@]}" \
	-display none -no-reboot -monitor "unix:$out/monitor,server,nowait" \
	-serial "file:$out/console.log" \
	-kernel "$kernel" -initrd "$out/initrd.gz" -append "$cmdline" \
	-chardev "socket,id=chrtpm,path=$out/swtpm/sock" \
	-tpmdev emulator,id=tpm0,chardev=chrtpm "${tpmdev[@]}" \
	-trace enable=tpm_tis_new_active_locality -trace enable=tpm_crb_mmio_write \
	-D "$out/share/qemu-trace.log" \
	-virtfs "local,path=$root,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
	"${share_repo[@]}" \
	-virtfs "local,path=$out/share,mount_tag=results,security_model=none,multidevs=remap" \
	> "$out/qemu.log" 2>&1
qemu_rc=$?
set -e
end=$(date +%s.%N)
echo "# guest run took $(echo "$end - $start" | bc) s (qemu exit $qemu_rc)"

[ -f "$out/share/tap" ] && cat "$out/share/tap"
[ -f "$out/share/figures" ] && sed 's/^/# /' "$out/share/figures"

verdict=0
# QEMU itself killed by a signal (an abort or a fault in the emulator, not
# the timeout's KILL): what it printed, and no verdict on the module
emul_crash=
if [ "$qemu_rc" -gt 128 ] && [ "$qemu_rc" != 137 ]; then
	emul_crash=$((qemu_rc - 128))
	echo "# FAIL: the emulator died of signal $emul_crash; its last lines:"
	tail -n 10 "$out/qemu.log" 2>/dev/null | sed 's/^/#   /' || true
	verdict=1
fi
if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
	echo "# FAIL: timeout after ${timeout_s}s"
	# what the guest was doing: the blocked tasks sysrq w printed (the
	# host asked 30 s before the end), else the console's last lines
	if grep -qa "Show Blocked State" "$out/console.log"; then
		echo "# the guest's blocked tasks (sysrq w; sysrq t in console.log):"
		sed -n '/Show Blocked State/,/sysrq: Show State/p' "$out/console.log" |
			awk 'NR <= 120 { print "#   " $0 }' || true
	else
		echo "# the console's last lines:"
		tail -n 30 "$out/console.log" 2>/dev/null | sed 's/^/#   /' || true
	fi
	verdict=1
fi
# the serial console, and the kernel log the guest saved at the end (it
# holds what a console at a lower level or a lost line would not); the
# verdict is kept for the torture table; a guest that saved no kernel log
# fails
"$top/tests/qemu/check-console.sh" --verdict "$out/console-verdict" \
	"$out/console.log" "$ko" "$out/share/dmesg" || verdict=1
taint=$(cat "$out/share/taint" 2>/dev/null || echo missing)
case "$taint" in
missing) ;;	# no marker either: reported below
*)
	if ! taint_allowed "$taint"; then
		echo "# FAIL: unexpected taint $taint (only O=4096 and E=8192 allowed)"
		verdict=1
	fi ;;
esac
if ! grep -qx "PASS" "$out/share/verdict" 2>/dev/null; then
	echo "# FAIL: no PASS marker from the guest"
	[ -f "$out/share/verdict" ] && sed 's/^/#   /' "$out/share/verdict"
	echo "# last lines of the guest log:"
	# none when the kernel died before init (set -e: not a reason to stop)
	tail -n 25 "$out/share/guest.log" 2>/dev/null | sed 's/^/#   /' || true
	verdict=1
fi
# the power-off fence (tests/guest/t/reboot-fence.sh): the last command
# swtpm read is TPM2_Shutdown(CLEAR), sent while the guest powered off
if [ -f "$out/share/fence-expected" ]; then
	last=$(swtpm_last_cmd)
	echo "# power-off fence: the last command swtpm read: ${last:-none}"
	if [ "$last" != "00000145 0000" ]; then
		echo "# FAIL: the last command before power-off was not TPM2_Shutdown(CLEAR)"
		verdict=1
	fi
fi
# A kernel that oopsed or hung before init (QEMU 7.2's multi-threaded TCG
# ran stale translated blocks of live text patches; the emulator may have
# other faults): the module is not loaded before init (the initramfs holds
# only 9p), so such a boot says nothing about it: boot again, at most
# twice, and say so.  A splat or a hang after init started is never
# retried.
boots=${TPMSAFE_BOOT_RETRY:-1}
if [ -e "$out/boot-hang" ]; then
	echo "# FAIL: the kernel did not start init in ${boot_limit} s"
	tail -n 10 "$out/console.log" 2>/dev/null | sed 's/^/#   /' || true
	verdict=1
fi
# An emulator that died of a signal before the guest printed any splat
# says nothing about the module either: the same retry, said so.
if [ "$verdict" = 1 ] && [ "$boots" -lt 3 ] && [ -n "$emul_crash" ] &&
	! grep -qaE "$("$top/tests/qemu/check-console.sh" --patterns)" "$out/console.log"; then
	echo "# boot $boots failed in the emulator (QEMU died of signal $emul_crash, no splat in the console): booting again"
	cleanup
	trap - EXIT
	rm -rf "$out.boot-failure-$boots"
	mv "$out" "$out.boot-failure-$boots"
	exec env TPMSAFE_BOOT_RETRY=$((boots + 1)) "$0" "${args[@]}"
fi
if [ "$verdict" = 1 ] && [ "$boots" -lt 3 ] &&
	{ [ -e "$out/boot-hang" ] || grep -qaE 'Oops: |Kernel panic|BUG: ' "$out/console.log"; } &&
	! grep -qa 'tpmsafe-init: running' "$out/console.log"; then
	echo "# boot $boots failed in the emulator (the kernel died or hung before init): booting again"
	grep -aE 'Oops: |Kernel panic|BUG: |RIP: ' "$out/console.log" | head -n 4 | sed 's/^/#   /' || true
	cleanup
	trap - EXIT
	rm -rf "$out.boot-failure-$boots"
	mv "$out" "$out.boot-failure-$boots"
	exec env TPMSAFE_BOOT_RETRY=$((boots + 1)) "$0" "${args[@]}"
fi
if [ "$verdict" = 0 ]; then
	echo "# PASS ($out)"
else
	echo "# FAIL ($out)"
fi
exit $verdict
