#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build tpm_safe against every installed Debian header flavour (generic,
# -rt and -cloud) of each kernel series given (default: every installed
# series), W=1, warnings are errors.  7.3 builds inside the trixie root.
# usage: tests/compile-matrix.sh [SERIES...]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
series=("$@")
[ ${#series[@]} -gt 0 ] || mapfile -t series < <("$top/scripts/kernels.sh" list | cut -d' ' -f1)
fails=0
n=0
for s in "${series[@]}"; do
	m=0
	for kver in $("$top/scripts/kernels.sh" flavours "$s"); do
		root=$("$top/scripts/kernels.sh" root "$kver") || continue
		in_root=()
		[ "$root" = / ] || in_root=("$top/scripts/in-root.sh")
		n=$((n + 1))
		m=$((m + 1))
		out=$top/results/matrix-$kver
		rm -rf "$out"
		mkdir -p "$out"
		cp -r "$top/Kbuild" "$top/Makefile" "$top/dkms.conf" "$top/src" "$top/include" "$out/"
		if log=$("${in_root[@]}" make -C "/lib/modules/$kver/build" M="$out" W=1 modules 2>&1) &&
			! grep -qE 'warning:|error:' <<< "$log"; then
			echo "ok $n - compiles against $kver"
		else
			echo "not ok $n - compiles against $kver"
			echo "$log" | grep -E 'warning:|error:' | head -n 10 | sed 's/^/#   /'
			fails=$((fails + 1))
		fi
		rm -rf "$out"
	done
	# generic, -rt and -cloud at least
	if [ $m -lt 3 ]; then
		echo "not ok - $s: fewer than 3 header flavours installed ($m)"
		fails=$((fails + 1))
	fi
done
exit $fails
