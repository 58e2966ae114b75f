#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Every test tier, TAP per test, and a last line "N passed, N failed".
#   tests/run-all.sh                 static checks, fuzz, dkms, QEMU guest
#                                    runs on the stock kernel, harness self-test
#   tests/run-all.sh --debug-kernel  the guest runs on the debug kernel
#                                    (KASAN, lockdep, kmemleak, ...) instead
# Profiles: TPMSAFE_PROFILE=short (default) or long (more cycles).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kver=${KVER:-$(ls -d /usr/src/linux-headers-*-amd64 | sed 's|.*/linux-headers-||' |
	grep -v -- '-rt-\|-cloud-' | sort -V | tail -n 1)}
export KVER=$kver
results=$top/results
mkdir -p "$results"
passed=0
failed=0
debug=0
[ "${1:-}" = --debug-kernel ] && debug=1

# counts: stock kernel, then debug kernel (about five times slower); each
# can be set from the environment (UNBIND_CYCLES=..., DEBUG_UNBIND_CYCLES=...).
# Limits in seconds: one guest test, one stock guest run, the debug guest run.
case ${TPMSAFE_PROFILE:-short} in
long) c=(1000 200 100 60) d=(100 50 30 40 1) lim=(1800 3600 4800 10800) ;;
*) c=(100 50 30 20) d=(20 10 5 10 4) lim=(600 900 1800 3000) ;;
esac
cycles=(--env "UNBIND_CYCLES=${UNBIND_CYCLES:-${c[0]}}" --env "KILL_CYCLES=${KILL_CYCLES:-${c[1]}}"
	--env "LIFECYCLE_CYCLES=${LIFECYCLE_CYCLES:-${c[2]}}" --env "HOSTILE_SECONDS=${HOSTILE_SECONDS:-${c[3]}}"
	--env "TEST_TIMEOUT=${lim[0]}" --timeout "${lim[1]}")
dcycles=(--env "UNBIND_CYCLES=${DEBUG_UNBIND_CYCLES:-${d[0]}}" --env "KILL_CYCLES=${DEBUG_KILL_CYCLES:-${d[1]}}"
	--env "LIFECYCLE_CYCLES=${DEBUG_LIFECYCLE_CYCLES:-${d[2]}}" --env "HOSTILE_SECONDS=${DEBUG_HOSTILE_SECONDS:-${d[3]}}"
	--env "FAULT_STRIDE=${FAULT_STRIDE:-${d[4]}}" --env "TEST_TIMEOUT=${lim[2]}" --timeout "${lim[3]}"
	--env TIME_SCALE=4)

# tier NAME CMD...: run a tier, echo its TAP, count results
tier() {
	local name=$1 log rc n_ok n_nok
	shift
	echo "# === $name"
	local t0=$SECONDS
	log=$("$@" 2>&1)
	rc=$?
	echo "$log" | grep -E '^(ok|not ok|#)' || true
	n_ok=$(echo "$log" | grep -cE '^ok ')
	n_nok=$(echo "$log" | grep -cE '^not ok ')
	if [ $rc -ne 0 ] && [ "$n_nok" -eq 0 ]; then
		echo "not ok - $name exited $rc"
		echo "$log" | tail -n 30 | sed 's/^/#   /'
		n_nok=1
	fi
	passed=$((passed + n_ok))
	failed=$((failed + n_nok))
	echo "# $name: $n_ok passed, $n_nok failed, $((SECONDS - t0)) s"
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

static_tier() {
	tap_cmd "make check (W=1, sparse, no TPM core symbol)" make -s check
	tap_cmd "make style (checkpatch --strict)" make -s style
	tests/compile-matrix.sh
	tap_cmd "make (final module for the guest)" make -s module
}

if [ $debug = 0 ]; then
	tier static static_tier
	if [ -x tests/fuzz/run.sh ]; then
		tier fuzz tests/fuzz/run.sh "${FUZZ_SECONDS:-60}"
	fi
	tier dkms tap_cmd "dkms add/build/sign/install for $kver" scripts/dkms-install.sh "$kver"
	tier guest-coexist tests/qemu/run.sh --mode coexist --out "$results/guest-coexist" \
		--env LOAD=insmod "${cycles[@]}" \
		dkms-modprobe vtpm-smoke errno-matrix vtpm-unbind vtpm-kill tis-move pm-runtime
	tier guest-exclusive tests/qemu/run.sh --mode exclusive --out "$results/guest-exclusive" \
		"${cycles[@]}" load-unload tis-smoke tis-unbind tis-stall hostile lifecycle
	tier guest-exclusive-irq tests/qemu/run.sh --mode exclusive --out "$results/guest-irq" \
		"${cycles[@]}" --env TIS_IRQ=5 tis-smoke tis-unbind tis-stall
	tier guest-tpm12 tests/qemu/run.sh --mode exclusive --tpm 1.2 --out "$results/guest-tpm12" \
		tis-tpm12
	tier guest-sleep tests/qemu/run-ram.sh --ko "$top/tpm_safe.ko" --out "$results/guest-sleep"
	tier harness-selftest tests/harness-selftest.sh
	tier dkms-remove tap_cmd "dkms remove cleans up" sh -c \
		"make -s dkms-remove >/dev/null && ! ls /lib/modules/$kver/updates/dkms/tpm_safe.ko* 2>/dev/null"
else
	dir=$(scripts/build-debug-kernel.sh --print-dir)
	tier debug-kernel tap_cmd "debug kernel built or cached ($dir)" scripts/build-debug-kernel.sh
	dbg=$results/debug-build
	rm -rf "$dbg"
	mkdir -p "$dbg"
	cp -r Kbuild Makefile dkms.conf src include "$dbg/"
	tier debug-module tap_cmd "module builds against the debug kernel" \
		make -s -C "$dir" M="$dbg" modules
	dkver=$(cat "$dir/include/config/kernel.release")
	tier guest-debug tests/qemu/run.sh --kernel "$dir/arch/x86/boot/bzImage" --kver "$dkver" \
		--mode exclusive --out "$results/guest-debug" --ko "$dbg/tpm_safe.ko" \
		--host-stop 20 --append "kmemleak=on" --env "KO=$dbg/tpm_safe.ko" "${dcycles[@]}" \
		kmemleak-clear load-unload vtpm-smoke errno-matrix vtpm-unbind vtpm-kill \
		tis-smoke tis-unbind tis-stall hostile lifecycle faults kmemleak-scan
	tier guest-debug-sleep tests/qemu/run-ram.sh --kernel "$dir/arch/x86/boot/bzImage" \
		--ko "$dbg/tpm_safe.ko" --out "$results/guest-debug-sleep" --timeout 1200
fi

echo "# === torture summary (attempts: client operations, opens included)"
python3 tests/torture-table.py "$results" | sed 's/^/# /'
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
