#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prove the test bed catches failures: build tpm_safe with a planted bug
# and require each guest run to come back red, for the right reason.
#   stock kernel: a WARN_ON, a NULL dereference, a leaked object counter;
#   debug kernel: a use-after-free only KASAN sees, an inverted lock order
#   only lockdep sees, a plain kmalloc leak only kmemleak sees.
# usage: tests/harness-selftest.sh [KVER|SERIES]  (default: the newest series)
#        tests/harness-selftest.sh --debug-kernel DIR   (a build-debug-kernel.sh tree)
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
in_root=()
if [ "${1:-}" = --debug-kernel ]; then
	kdir=$2
	kver=$(cat "$kdir/include/config/kernel.release")
	plants=(uaf lockdep kleak)
	boot=(--kernel "$kdir/arch/x86/boot/bzImage" --kver "$kver" --mode exclusive
		--append kmemleak=on --env TIME_SCALE=4)
else
	kver=$("$top/scripts/kernels.sh" resolve "${1:-$("$top/scripts/kernels.sh" newest)}")
	kdir=/lib/modules/$kver/build
	[ "$("$top/scripts/kernels.sh" root "$kver")" = / ] || in_root=("$top/scripts/in-root.sh")
	plants=(warn null leak)
	# the leak is this module's own message, the same on every kernel:
	# TPMSAFE_PLANTS narrows the set (make test: on the newest series only)
	[ -z "${TPMSAFE_PLANTS:-}" ] || read -ra plants <<< "$TPMSAFE_PLANTS"
	boot=(--kver "$kver")
fi
n=0
fails=0
for plant in "${plants[@]}"; do
	n=$((n + 1))
	dir=$top/results/plant-$kver-$plant
	rm -rf "$dir"
	mkdir -p "$dir"
	"$top/scripts/dkms-sources.sh" "$dir"
	if ! "${in_root[@]}" make -s -C "$kdir" M="$dir" TPMS_PLANT=$plant modules >/dev/null 2>&1; then
		echo "not ok $n - planted $plant: module did not build"
		fails=$((fails + 1))
		continue
	fi
	# what must appear, and where: the console, or the guest's TAP
	where=console.log
	tests=(load-unload)
	case $plant in
	warn) why='WARNING:' ;;
	null) why='BUG: kernel NULL pointer dereference' ;;
	leak) why='Leaked 1 file objects' ;;
	uaf) why='BUG: KASAN: .*use-after-free' ;;
	lockdep) why='possible circular locking dependency' ;;
	kleak)
		why='not ok .*kmemleak: leaks from tpm_safe'
		where=share/tap
		tests=(kmemleak-clear load-unload kmemleak-scan) ;;
	esac
	out=$top/results/selftest-$kver-$plant
	log=$("$top/tests/qemu/run.sh" --timeout 600 --out "$out" "${boot[@]}" \
		--ko "$dir/tpm_safe.ko" --env "KO=$dir/tpm_safe.ko" "${tests[@]}" 2>&1)
	rc=$?
	if [ $rc -ne 0 ] && grep -qE "$why" "$out/$where" 2>/dev/null; then
		echo "ok $n - planted $plant turns the run red ($why, in $where)"
		echo "$log" | grep -E '^# (FAIL|  )' | head -n 4
	else
		echo "not ok $n - planted $plant: run.sh exit $rc, '$why' in $where: $(grep -cE "$why" "$out/$where" 2>/dev/null)"
		echo "$log" | tail -n 20 | sed 's/^/#   /'
		fails=$((fails + 1))
	fi
done
[ $n -eq ${#plants[@]} ] || { echo "not ok - only $n of ${#plants[@]} plants ran"; fails=$((fails + 1)); }
exit $fails
