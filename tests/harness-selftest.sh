#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Prove the test bed catches failures: build tpm_safe with a planted bug
# (a WARN_ON, a NULL dereference, a leaked object) and require each guest
# run to come back red, for the right reason.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# usage: tests/harness-selftest.sh [KVER|SERIES]   (default: the newest series)
kver=$("$top/scripts/kernels.sh" resolve "${1:-$("$top/scripts/kernels.sh" list |
	tail -n 1 | cut -d' ' -f2)}")
in_root=()
[ "$("$top/scripts/kernels.sh" root "$kver")" = / ] || in_root=("$top/scripts/in-root.sh")
n=0
fails=0
for plant in warn null leak; do
	n=$((n + 1))
	dir=$top/results/plant-$kver-$plant
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -r "$top/Kbuild" "$top/Makefile" "$top/dkms.conf" "$top/src" "$top/include" "$dir/"
	if ! "${in_root[@]}" make -s -C "/lib/modules/$kver/build" M="$dir" \
		TPMS_PLANT=$plant modules >/dev/null 2>&1; then
		echo "not ok $n - planted $plant: module did not build"
		fails=$((fails + 1))
		continue
	fi
	out=$top/results/selftest-$kver-$plant
	log=$("$top/tests/qemu/run.sh" --timeout 300 --out "$out" --kver "$kver" --ko "$dir/tpm_safe.ko" \
		--env "KO=$dir/tpm_safe.ko" load-unload 2>&1)
	rc=$?
	case $plant in
	warn) why='WARNING:' ;;
	null) why='BUG: kernel NULL pointer dereference' ;;
	leak) why='Leaked 1 file objects' ;;
	esac
	if [ $rc -ne 0 ] && grep -q "$why" "$out/console.log"; then
		echo "ok $n - planted $plant turns the run red ($why)"
		echo "$log" | grep -E '^# (FAIL|  )' | head -n 4
	else
		echo "not ok $n - planted $plant: run.sh exit $rc, '$why' in console: $(grep -c "$why" "$out/console.log")"
		echo "$log" | tail -n 20 | sed 's/^/#   /'
		fails=$((fails + 1))
	fi
done
exit $fails
