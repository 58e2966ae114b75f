#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install every Debian (bookworm) package that building, packaging and
# testing tpm_safe needs.  Idempotent and non-interactive; run as root.
set -euo pipefail

PKGS=(
	build-essential bc bison flex kmod cpio xz-utils zstd rsync
	libelf-dev libssl-dev dwarves
	linux-image-amd64 linux-headers-amd64
	dkms sparse
	qemu-system-x86 swtpm swtpm-tools
	tpm2-tools libtss2-tcti-device0
	busybox-static python3 gnuplot-nox
	clang-14 libclang-rt-14-dev
)
# Extra header flavours for the compile matrix (tests/compile-matrix.sh).
MATRIX_PKGS=(linux-headers-rt-amd64 linux-headers-cloud-amd64)
# Full source: checkpatch.pl, decode_stacktrace.sh, the debug kernel.
SRC_PKGS=(linux-source-6.1)

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: must run as root" >&2
	exit 1
fi

want=("${PKGS[@]}")
case "${1:-all}" in
all) want+=("${MATRIX_PKGS[@]}" "${SRC_PKGS[@]}") ;;
min) ;;
*) echo "usage: $0 [all|min]" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#want[@]} packages present"
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
apt-get update -q
apt-get install -y -q --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	"${missing[@]}"

# The kernel source comes as a tarball; unpack it once for checkpatch and the
# debug kernel build.
if [ -f /usr/src/linux-source-6.1.tar.xz ] && [ ! -d /usr/src/linux-source-6.1 ]; then
	tar -C /usr/src -xf /usr/src/linux-source-6.1.tar.xz
fi
