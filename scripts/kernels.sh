#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Debian kernels tpm_safe is built and tested against, as installed by
# scripts/install-deps.sh: 6.1 (bookworm) and 6.12 (bookworm-backports) on
# this machine, 7.3 (trixie-backports) in the trixie root.  Releases are
# found by pattern, never written down.
#
# usage: scripts/kernels.sh list              SERIES RELEASE ROOT, one per
#                                             installed series, oldest first
#        scripts/kernels.sh series             the supported series
#        scripts/kernels.sh newest             the newest installed series' release
#        scripts/kernels.sh series-of RELEASE  6.12.117+deb12-amd64 -> 6.12
#        scripts/kernels.sh resolve X          X (series or release) -> release
#        scripts/kernels.sh chosen [X]         the release of X, or with no X
#                                             every installed series' release
#        scripts/kernels.sh root RELEASE       / or the trixie root
#        scripts/kernels.sh image RELEASE      the kernel image
#        scripts/kernels.sh flavours SERIES    every installed flavour's release
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
SERIES=(6.1 6.12 7.3)
troot=$("$top/scripts/trixie-root.sh" --print-dir)

# root_of_series S: where the series' headers are installed
root_of_series() {
	case $1 in
	7.3) echo "$troot" ;;
	*) echo "" ;;
	esac
}

# series_of RELEASE: 6.1.0-57-amd64 -> 6.1, 6.12.117+deb12-rt-amd64 -> 6.12
series_of() { echo "$1" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/'; }

# flavours S: releases of every installed header package of series S
flavours() {
	local r
	r=$(root_of_series "$1")
	ls -d "$r/usr/src/linux-headers-$1".*-amd64 2>/dev/null |
		sed 's|.*/linux-headers-||' | sort -V || true
}

# generic S: the newest installed generic-flavour release of series S
generic() { flavours "$1" | { grep -v -- '-rt-\|-cloud-' || true; } | tail -n 1; }

root_of() {
	local r
	r=$(root_of_series "$(series_of "$1")")
	if [ -d "/usr/src/linux-headers-$1" ] || [ -d "/lib/modules/$1" ]; then
		echo /
	elif [ -n "$r" ] && [ -d "$r/usr/src/linux-headers-$1" ]; then
		echo "$r"
	else
		echo "kernels: no headers for $1 (linux-headers-$1)" >&2
		return 1
	fi
}

case ${1:-} in
series) echo "${SERIES[*]}" ;;
newest)
	k=""
	for s in "${SERIES[@]}"; do
		g=$(generic "$s")
		[ -z "$g" ] || k=$g
	done
	[ -n "$k" ] || { echo "kernels: no kernel headers installed" >&2; exit 1; }
	echo "$k" ;;
series-of) series_of "${2:?release}" ;;
list)
	for s in "${SERIES[@]}"; do
		k=$(generic "$s")
		[ -z "$k" ] || echo "$s $k $(root_of "$k")"
	done ;;
chosen)
	if [ -n "${2:-}" ]; then
		"$0" resolve "$2"
	else
		"$0" list | cut -d' ' -f2
	fi ;;
resolve)
	case ${2:?release or series} in
	*.*-* | *+*) echo "$2" ;;
	*)
		k=$(generic "$2")
		[ -n "$k" ] || { echo "kernels: no $2 headers installed" >&2; exit 1; }
		echo "$k" ;;
	esac ;;
root) root_of "${2:?release}" ;;
image)
	r=$(root_of "${2:?release}")
	r=${r%/}
	for f in "$r/boot/vmlinuz-$2" "$r/usr/lib/modules/$2/vmlinuz"; do
		[ -f "$f" ] && { echo "$f"; exit 0; }
	done
	echo "kernels: no kernel image for $2 (linux-image-$2)" >&2
	exit 1 ;;
flavours) flavours "${2:?series}" ;;
*) sed -n 's/^# \{0,1\}//; /^usage:/,/^ *scripts.*flavours/p' "$0" >&2; exit 2 ;;
esac
