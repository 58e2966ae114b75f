#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every test tier, TAP per test, and a last line "N passed, N failed, N skipped".
#   tests/run-all.sh                 static checks, fuzz, then for every
#                                    installed kernel series (6.1, 6.12, 7.3):
#                                    check, matrix, dkms, QEMU guest runs on
#                                    its stock kernel, harness self-test
#   tests/run-all.sh --debug-kernel  the guest runs on the debug kernel
#                                    (KASAN, lockdep, kmemleak, ...) instead
# KVER=<series or release> (or TPMSAFE_KERNELS="6.1 7.3") narrows the
# kernels; TPMSAFE_DEBUG_SERIES picks the debug kernel's series (7.3).
# Profiles: TPMSAFE_PROFILE=short (default) or long (more cycles).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# series S: the kernels under test, oldest first
mapfile -t series < <(scripts/kernels.sh list | cut -d' ' -f1)
if [ -n "${KVER:-}" ]; then
	series=("$(scripts/kernels.sh series-of "$(scripts/kernels.sh resolve "$KVER")")")
elif [ -n "${TPMSAFE_KERNELS:-}" ]; then
	read -ra series <<< "$TPMSAFE_KERNELS"
fi
unset KVER
newest=${series[-1]:-}
results=$top/results
mkdir -p "$results"
passed=0
failed=0
skipped=0
debug=0
[ "${1:-}" = --debug-kernel ] && debug=1

# counts (unbind, kill, lifecycle cycles, hostile seconds, move cycles,
# rm clients' seconds, the rm context gap (1 runs it), pm_test cycles per
# sleep guest): stock kernel (c: the newest series; the older ones run
# every scenario with the counts in o); c12 and o12 (unbind, kill,
# lifecycle cycles, hostile seconds) the same for the TPM 1.2 tier, whose
# vtpms take seconds to start; d (unbind, kill, lifecycle cycles, hostile
# seconds, fault stride) the debug kernel (about seven times slower).
# Each can be set from the environment (UNBIND_CYCLES=..., RM_GAP=0,
# PM_CYCLES=..., DEBUG_UNBIND_CYCLES=...).
# Limits in seconds: one guest test, one stock guest run, the debug guest run
# (the 7.3 debug kernel runs each test about 7 times slower than stock: its
# short-profile guest needs about an hour).
case ${TPMSAFE_PROFILE:-short} in
long) c=(1000 200 100 60 20 60 1 20) o=(1000 200 100 60 20 60 1 20)
	c12=(1000 20 5 60) o12=(20 10 5 60) d=(100 50 30 40 1) lim=(1800 3600 4800 10800) ;;
*) c=(50 30 10 20 8 30 1 20) o=(30 10 3 10 3 10 0 8)
	c12=(50 10 3 20) o12=(10 3 2 5) d=(20 10 5 10 4) lim=(600 900 1800 5400) ;;
esac
stock_cycles() {
	local n=("${c[@]}")
	[ "$1" = "$newest" ] || n=("${o[@]}")
	cycles=(--env "UNBIND_CYCLES=${UNBIND_CYCLES:-${n[0]}}" --env "KILL_CYCLES=${KILL_CYCLES:-${n[1]}}"
	--env "LIFECYCLE_CYCLES=${LIFECYCLE_CYCLES:-${n[2]}}" --env "HOSTILE_SECONDS=${HOSTILE_SECONDS:-${n[3]}}"
	--env "MOVE_CYCLES=${MOVE_CYCLES:-${n[4]}}" --env "RM_SECONDS=${RM_SECONDS:-${n[5]}}"
	--env "RM_GAP=${RM_GAP:-${n[6]}}" --env "TEST_TIMEOUT=${lim[0]}" --timeout "${lim[1]}")
	sleep_cycles=(--cycles "${PM_CYCLES:-${n[7]}}")
	n=("${c12[@]}")
	[ "$1" = "$newest" ] || n=("${o12[@]}")
	cycles12=("${cycles[@]}" --env "UNBIND_CYCLES=${UNBIND_CYCLES:-${n[0]}}"
	--env "KILL_CYCLES=${KILL_CYCLES:-${n[1]}}" --env "LIFECYCLE_CYCLES=${LIFECYCLE_CYCLES:-${n[2]}}"
	--env "HOSTILE_SECONDS=${HOSTILE_SECONDS:-${n[3]}}")
}
dcycles=(--env "UNBIND_CYCLES=${DEBUG_UNBIND_CYCLES:-${d[0]}}" --env "KILL_CYCLES=${DEBUG_KILL_CYCLES:-${d[1]}}"
	--env "LIFECYCLE_CYCLES=${DEBUG_LIFECYCLE_CYCLES:-${d[2]}}" --env "HOSTILE_SECONDS=${DEBUG_HOSTILE_SECONDS:-${d[3]}}"
	--env "FAULT_STRIDE=${FAULT_STRIDE:-${d[4]}}" --env "TEST_TIMEOUT=${lim[2]}" --timeout "${lim[3]}"
	--env TIME_SCALE=4)

# tier NAME CMD...: run a tier, echo its TAP, count results
tier() {
	local name=$1 log rc n_ok n_nok n_skip
	shift
	echo "# === $name"
	local t0=$SECONDS
	log=$("$@" 2>&1)
	rc=$?
	echo "$log" | grep -E '^(ok|not ok|#)' || true
	# a skip ("ok ... # SKIP why") is never counted as a pass
	n_skip=$(echo "$log" | grep -ciE '^ok .*# skip')
	n_ok=$(($(echo "$log" | grep -cE '^ok ') - n_skip))
	n_nok=$(echo "$log" | grep -cE '^not ok ')
	if [ $rc -ne 0 ] && [ "$n_nok" -eq 0 ]; then
		echo "not ok - $name exited $rc"
		echo "$log" | tail -n 30 | sed 's/^/#   /'
		n_nok=1
	elif [ "$n_ok" -eq 0 ] && [ "$n_nok" -eq 0 ] && [ "$n_skip" -eq 0 ]; then
		# a tier that asserted nothing tested nothing
		echo "not ok - $name exited $rc with no TAP line"
		echo "$log" | tail -n 30 | sed 's/^/#   /'
		n_nok=1
	fi
	passed=$((passed + n_ok))
	failed=$((failed + n_nok))
	skipped=$((skipped + n_skip))
	echo "# $name: $n_ok passed, $n_nok failed, $n_skip skipped, $((SECONDS - t0)) s ($SECONDS s in all)"
}

# tap_cmd DESC CMD...: one TAP line for a command
tap_cmd() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "ok - $desc"
	else
		echo "not ok - $desc"
		echo "$out" | tail -n 20 | sed 's/^/#   /'
	fi
}

# static checks that do not depend on the kernel
# make_refuses TEXT KVER: make refuses KVER, saying TEXT and the headers
make_refuses() {
	local out
	if out=$(make -s module KVER="$2" 2>&1); then
		echo "make module KVER=$2 built"
		return 1
	fi
	[[ $out == *"$1"* && ( $out == *"headers found: "* || -z $2 ) ]] || { echo "$out"; return 1; }
}

static_tier() {
	tap_cmd "make style (checkpatch --strict)" make -s style
	tap_cmd "make KVER=5.10.0-30-amd64: older than 6.1, the headers found listed" \
		make_refuses "is older than 6.1" 5.10.0-30-amd64
	tap_cmd "make KVER=8.1.0-1-amd64 (no headers): names linux-headers-8.1.0-1-amd64" \
		make_refuses "install linux-headers-8.1.0-1-amd64" 8.1.0-1-amd64
	tap_cmd "make KVER=6.99 (a series not installed): says so" \
		make_refuses "no headers of series 6.99 installed" 6.99
	tap_cmd "make KVER= (none found): names linux-headers-\$(uname -r)" \
		make_refuses "install linux-headers-$(uname -r)" ""
}

# kernel_tier S KVER KO: check, matrix and the guest module for one kernel
kernel_tier() {
	tap_cmd "make check for $2 (W=1, sparse, no TPM core symbol)" make -s check KVER="$2"
	tests/compile-matrix.sh "$1"
	# the test build first (the crb-layout and crb-acpi-start hooks), the tree
	# left with the other
	tap_cmd "make TPMS_TEST=y (the test build for the $2 guests)" sh -c \
		"make -s module KVER='$2' TPMS_TEST=y && mkdir -p '${3%/*}/test' && cp tpm_safe.ko '${3%/*}/test/'"
	tap_cmd "make (module for the $2 guests)" sh -c \
		"make -s module KVER='$2' && mkdir -p '${3%/*}' && cp tpm_safe.ko '$3'"
}

# dkms_clean: make dkms-remove leaves no module, source, udev rule or dkms
# entry, on the host and in the trixie root
dkms_clean() {
	local r left
	r=$(scripts/trixie-root.sh --print-dir)
	make -s dkms-remove >/dev/null || return 1
	left=$(find /lib/modules /usr/src "$r/lib/modules" "$r/usr/src" -maxdepth 4 \
		\( -name 'tpm_safe.ko*' -o -name 'tpm_safe-*' \) 2>/dev/null)
	left="$left$(ls /etc/udev/rules.d/60-tpm-safe.rules \
		"$r/etc/udev/rules.d/60-tpm-safe.rules" 2>/dev/null)"
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
	[ -z "$(dkms status -m tpm_safe 2>/dev/null)" ] || { dkms status; return 1; }
	if [ -x "$r/usr/sbin/dkms" ]; then
		left=$(scripts/in-root.sh dkms status -m tpm_safe 2>/dev/null)
		[ -z "$left" ] || { echo "trixie root: $left"; return 1; }
	fi
}

# dkms_all: every series' kernel has the module installed at once (7.3's
# by the trixie root's dkms)
dkms_all() {
	local s k st
	for s in "${series[@]}"; do
		k=$(scripts/kernels.sh resolve "$s")
		if [ "$(scripts/kernels.sh root "$k")" = / ]; then
			st=$(dkms status -m tpm_safe -k "$k" 2>&1)
		else
			st=$(scripts/in-root.sh dkms status -m tpm_safe -k "$k" 2>&1)
		fi
		[[ $st == *": installed"* ]] || { echo "$s ($k): ${st:-nothing}"; return 1; }
	done
}

if [ ${#series[@]} -eq 0 ]; then
	echo "not ok - no kernel series installed (scripts/install-deps.sh)"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

if [ $debug = 0 ]; then
	# the README's first command, then this one's dkms tiers on its leavings
	tier demo tap_cmd "make demo, before the dkms tiers" make -s demo
	tier static static_tier
	tier fuzz bash tests/fuzz/run.sh "${FUZZ_SECONDS:-60}"
	for s in "${series[@]}"; do
		kver=$(scripts/kernels.sh resolve "$s")
		ko=$results/build-$kver/tpm_safe.ko
		stock_cycles "$s"
		g=$results/guest-$s
		k=(--kver "$kver" --ko "$ko" --env "KO=$ko")
		tier "kernel-$s" kernel_tier "$s" "$kver" "$ko"
		tier "dkms-$s" tap_cmd "dkms add/build/sign/install for $kver, signed by the MOK" \
			scripts/dkms-install.sh "$kver"
		tier "guest-$s-coexist" tests/qemu/run.sh --mode coexist --out "$g-coexist" \
			"${k[@]}" --env LOAD=insmod --env "KO_TEST=${ko%/*}/test/tpm_safe.ko" "${cycles[@]}" \
			dkms-modprobe vtpm-smoke errno-matrix vtpm-unbind vtpm-kill tis-move pm-runtime \
			cdev-poll vtpm-uffd vtpm-sleep-kill vtpm-sleep-drain vtpmx-limit eventlog
		tier "guest-$s-exclusive" tests/qemu/run.sh --mode exclusive --out "$g-exclusive" \
			"${k[@]}" "${cycles[@]}" load-unload tis-smoke tis-unbind tis-stall tis-rpm hostile claims \
			hwrng-nowait lifecycle module-cycle vtpm-foreign reboot-fence
		# a guest of their own: the exclusive guest logs every command
		# swtpm reads (for the power-off fence), which would slow the
		# context gap's 65545 saves twofold and write 200 MB
		tier "guest-$s-rm" tests/qemu/run.sh --mode exclusive --out "$g-rm" \
			"${k[@]}" "${cycles[@]}" rm cryptenroll
		# the unbind, stall and runtime-PM tests with interrupts on the
		# newest series only (the older ones run them polling, and CI's
		# time is short)
		irqt=(tis-smoke tis-irqprobe)
		[ "$s" != "$newest" ] || irqt=(tis-smoke tis-unbind tis-stall tis-rpm tis-irqprobe)
		# on the system's QEMU 7.2: tis-irqprobe needs an interrupt status
		# that a locality not holding the TPM cannot clear, which QEMU 10's
		# TIS does not keep
		tier "guest-$s-irq" tests/qemu/run.sh --qemu qemu-system-x86_64 \
			--mode exclusive --out "$g-irq" \
			"${k[@]}" "${cycles[@]}" --env TIS_IRQ=5 "${irqt[@]}"
		# -device tpm-crb on UEFI (OVMF), the kernel's CRB driver bound at
		# boot: the moves first (they want its first node, tpm0), the
		# event log before the selftests extend PCR 1, then the tests that
		# start by unbinding it; the device has an ACPI start _DSM of ours
		# (for crb-acpi-start; start method 7 never calls it)
		tier "guest-$s-crb" tests/qemu/run.sh --mode coexist --iface crb --firmware uefi \
			--crb-acpi-start --out "$g-crb" "${k[@]}" \
			--env "KO_TEST=${ko%/*}/test/tpm_safe.ko" "${cycles[@]}" \
			crb-move eventlog crb-smoke tis-unbind tis-stall crb-layout crb-acpi-start
		# TPM 1.2: QEMU's TIS (PNP0C31) and swtpm vtpms, TPM 1.2 commands
		# in the load (TPM_FAMILY); for CI's time fewer kills and module
		# cycles than the TPM 2.0 tiers run (c12, o12)
		tier "guest-$s-tpm12" tests/qemu/run.sh --mode exclusive --tpm 1.2 --out "$g-tpm12" \
			"${k[@]}" "${cycles12[@]}" --env TPM_FAMILY=1.2 \
			tis-tpm12 tpm12-tools tpm12-torture lifecycle
		# a TPM 1.2's firmware event log (SeaBIOS, TCPA) next to the
		# kernel's driver's: binary and text forms
		tier "guest-$s-eventlog12" tests/qemu/run.sh --mode coexist --tpm 1.2 \
			--out "$g-eventlog12" "${k[@]}" --env TPM_FAMILY=1.2 \
			--env "KO_TEST=${ko%/*}/test/tpm_safe.ko" eventlog
		tier "guest-$s-sleep" tests/qemu/run-ram.sh --kver "$kver" --ko "$ko" "${sleep_cycles[@]}" \
			--out "$g-sleep"
		tier "guest-$s-sleep-crb" tests/qemu/run-ram.sh --kver "$kver" --ko "$ko" --iface crb \
			"${sleep_cycles[@]}" --out "$g-sleep-crb"
		tier "guest-$s-sleep-tpm12" tests/qemu/run-ram.sh --kver "$kver" --ko "$ko" --tpm 1.2 \
			"${sleep_cycles[@]}" --out "$g-sleep-tpm12"
		# the null and leak plants (an oops and a message of this module's
		# own, alike on every kernel) on the newest series only; the older
		# ones plant a WARN (CI's time)
		pl=()
		[ "$s" = "$newest" ] || pl=(env "TPMSAFE_PLANTS=warn")
		tier "harness-selftest-$s" "${pl[@]}" tests/harness-selftest.sh "$kver"
	done
	tier dkms-all tap_cmd "dkms status: installed for ${series[*]} at once" dkms_all
	tier dkms-unsupported tap_cmd "dkms reports Linux 5.10 unsupported, installs nothing" \
		scripts/dkms-install.sh --refuses 5.10.0-30-amd64
	tier dkms-remove tap_cmd "dkms remove cleans up, on every kernel" dkms_clean
	# the Debian package, here and in the trixie root (after make
	# dkms-remove has cleaned up: it starts from a clean slate and
	# leaves one)
	tier deb tests/deb.sh
else
	ds=${TPMSAFE_DEBUG_SERIES:-7.3}
	dir=$(scripts/build-debug-kernel.sh --series "$ds" --print-dir)
	tier debug-kernel tap_cmd "$ds debug kernel built or cached ($dir)" \
		scripts/build-debug-kernel.sh --series "$ds"
	dbg=$results/debug-build
	rm -rf "$dbg"
	mkdir -p "$dbg"
	scripts/dkms-sources.sh "$dbg"
	tier debug-module tap_cmd "module builds against the debug kernel" \
		make -s -C "$dir" M="$dbg" modules
	# the test build (the event log's test_log) for the same kernel
	rm -rf "$dbg-test"
	mkdir -p "$dbg-test"
	scripts/dkms-sources.sh "$dbg-test"
	tier debug-module-test tap_cmd "the test build against the debug kernel" \
		make -s -C "$dir" M="$dbg-test" TPMS_TEST=y modules
	dkver=$(cat "$dir/include/config/kernel.release")
	# two guests, each within the debug run limit: the resource manager's
	# tests alone take about 35 minutes on this kernel
	dg=(--kernel "$dir/arch/x86/boot/bzImage" --kver "$dkver" --mode exclusive
	    --ko "$dbg/tpm_safe.ko" --host-stop 20 --append "kmemleak=on"
	    --env "KO=$dbg/tpm_safe.ko" --env "KO_TEST=$dbg-test/tpm_safe.ko" "${dcycles[@]}")
	# -device tpm-crb under tpm_safe_crb (the built-in driver kept off) on
	# UEFI: the EFI event log, the smoke set, unbind under load, a stalled
	# command, the fault sweep (the probe's includes the log's setup)
	tier guest-debug-crb tests/qemu/run.sh "${dg[@]}" --iface crb --firmware uefi \
		--out "$results/guest-debug-crb" --env FAULT_OPS=crb \
		kmemleak-clear eventlog crb-smoke tis-unbind tis-stall faults kmemleak-scan
	# TPM 1.2: the TIS chip (PNP 00:00) and swtpm vtpms
	tier guest-debug-tpm12 tests/qemu/run.sh "${dg[@]}" --tpm 1.2 \
		--out "$results/guest-debug-tpm12" --env TPM_FAMILY=1.2 \
		--env FAULT_BUS=pnp --env FAULT_DEV=00:00 \
		kmemleak-clear eventlog tis-tpm12 tpm12-torture faults kmemleak-scan
	tier guest-debug tests/qemu/run.sh "${dg[@]}" --out "$results/guest-debug" \
		kmemleak-clear load-unload vtpm-smoke errno-matrix vtpm-unbind vtpm-kill \
		tis-smoke tis-unbind tis-stall hostile cdev-poll hwrng-nowait \
		vtpm-sleep-kill vtpm-sleep-drain vtpmx-limit lifecycle module-cycle faults vtpm-foreign \
		kmemleak-scan
	# the irq=5 probe against a status locality 0 cannot clear: QEMU 7.2's
	# TIS keeps one, QEMU 10's does not
	tier guest-debug-irq tests/qemu/run.sh "${dg[@]}" --qemu qemu-system-x86_64 \
		--out "$results/guest-debug-irq" kmemleak-clear tis-irqprobe kmemleak-scan
	# pm_test cycles only: from a real S3 this kernel's CPU 1 does not come
	# back under QEMU 10 (it spins in the real-mode trampoline while CPU 0
	# waits in the CPU stopper, before any driver resumes); the stock
	# kernels' sleep guests run the real S3 cycles
	tier guest-debug-sleep tests/qemu/run-ram.sh --kernel "$dir/arch/x86/boot/bzImage" \
		--ko "$dbg/tpm_safe.ko" --out "$results/guest-debug-sleep" --timeout 1200 --no-s3
	tier harness-selftest-debug tests/harness-selftest.sh --debug-kernel "$dir"
	# 64 virtual TPMs at once: make bench-scale's rounds on tpm_safe only
	# (this kernel has no TPM core): all created, all busy, sleep entry
	# with all held, all servers killed, all devices unbound; then nothing
	# leaked
	tier debug-scale-client tap_cmd "the scale client builds (static)" \
		gcc -static -O2 -Wall -pthread -o "$results/scale_client" tests/bench/scale_client.c
	tier guest-debug-scale tests/qemu/run.sh "${dg[@]}" --mem 4096 \
		--out "$results/guest-debug-scale" --env SCALE_N=64 --env SCALE_UPSTREAM=0 --env SCALE_BUSY_ROUNDS=1 \
		--env "SCALE_CLIENT=$results/scale_client" kmemleak-clear tests/bench/guest-scale.py kmemleak-scan
	# the whole rm test (context gap, 16 busy spaces) took more than the
	# 30 minutes of one test there
	tier guest-debug-rm tests/qemu/run.sh "${dg[@]}" --out "$results/guest-debug-rm" \
		--env TEST_TIMEOUT=$((2 * lim[2])) kmemleak-clear rm kmemleak-scan
fi

echo "# === torture summary (attempts: client operations, opens included)"
python3 tests/torture-table.py "$results" | sed 's/^/# /'
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
