#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build tpm_safe against every installed Debian 6.1 header package (the
# generic, -rt and -cloud flavours at least), W=1, warnings are errors.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
fails=0
n=0
for d in /usr/src/linux-headers-6.1.*-amd64; do
	[ -f "$d/Module.symvers" ] || continue
	kver=${d#/usr/src/linux-headers-}
	n=$((n + 1))
	out=$(mktemp -d)
	cp -r "$top/Kbuild" "$top/Makefile" "$top/dkms.conf" "$top/src" "$top/include" "$out/"
	if log=$(make -C "$d" M="$out" W=1 modules 2>&1) &&
		! echo "$log" | grep -qE 'warning:|error:'; then
		echo "ok $n - compiles against $kver"
	else
		echo "not ok $n - compiles against $kver"
		echo "$log" | grep -E 'warning:|error:' | head -n 10 | sed 's/^/#   /'
		fails=$((fails + 1))
	fi
	rm -rf "$out"
done
[ $n -ge 3 ] || { echo "not ok - fewer than 3 header packages installed ($n)"; exit 1; }
exit $fails
