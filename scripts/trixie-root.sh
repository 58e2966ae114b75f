#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Debian 13 (trixie) root for the 7.3 series: its headers need trixie's
# gcc-14 and libc, so the module is built and dkms-installed inside it, and
# its guest boots the 7.3 kernel with this root as its root file system
# (trixie's own swtpm, tpm2-tools and python3).
#
# Made once with mmdebstrap under /var/cache/tpm_safe/trixie-root; packages
# missing from an existing root are added with apt inside it.  Idempotent.
# usage: scripts/trixie-root.sh [--print-dir]
set -euo pipefail
ROOT=${TPMSAFE_TRIXIE_ROOT:-/var/cache/tpm_safe/trixie-root}
[ "${1:-}" = --print-dir ] && { echo "$ROOT"; exit 0; }

# Everything the build and the guest tests use, as on a bookworm host.
PKGS=(build-essential bc bison flex kmod cpio xz-utils zstd libelf-dev
	libssl-dev openssl dkms sparse python3 swtpm swtpm-tools tpm2-tools
	libtss2-tcti-device0t64 procps psmisc util-linux busybox-static
	ca-certificates cryptsetup-bin systemd-cryptsetup trousers tpm-tools)

if [ "$(id -u)" -ne 0 ]; then
	echo "trixie-root: must run as root" >&2
	exit 1
fi

if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
	MIRROR=$("$(dirname "$0")/debian-mirror.sh")
	echo "trixie-root: creating $ROOT (mmdebstrap, trixie)"
	rm -rf "$ROOT.new"
	mkdir -p "$(dirname "$ROOT")"
	mmdebstrap --variant=apt --components=main \
		--include="$(IFS=,; echo "${PKGS[*]}")" \
		trixie "$ROOT.new" \
		"deb $MIRROR trixie main" "deb $MIRROR trixie-updates main" \
		"deb $MIRROR trixie-backports main"
	mv "$ROOT.new" "$ROOT"
fi

in_root() { TPMSAFE_TRIXIE_ROOT=$ROOT "$(dirname "$0")/in-root.sh" "$@"; }

# The newest 7.3 kernel of trixie-backports whose image and three header
# flavours are all there; version numbers are never written down.  The
# package lists are refreshed only when something is missing.
newest73() {
	in_root apt-cache search --names-only '^linux-image-7\.3\.[0-9]+\+deb13-amd64$' |
		sed -n 's/^linux-image-\(7\.3\.[0-9]*+deb13\)-amd64 .*/\1/p' | sort -V | tail -n 1
}
want_for() {
	echo "${PKGS[@]}" "linux-image-$1-amd64" "linux-headers-$1-amd64" \
		"linux-headers-$1-cloud-amd64" "linux-headers-$1-rt-amd64" linux-source-7.3
}
missing_of() {
	local p
	for p in "$@"; do
		chroot "$ROOT" dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || echo "$p"
	done
}
z=$(newest73)
missing=()
[ -z "$z" ] || mapfile -t missing < <(missing_of $(want_for "$z"))
if [ -z "$z" ] || [ ${#missing[@]} -gt 0 ]; then
	in_root apt-get update -q >/dev/null
	z=$(newest73)
	[ -n "$z" ] || { echo "trixie-root: no 7.3 kernel in trixie-backports" >&2; exit 1; }
	mapfile -t missing < <(missing_of $(want_for "$z"))
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "trixie-root: installing ${missing[*]}"
	in_root apt-get install -y -q --no-install-recommends -t trixie-backports \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"${missing[@]}"
fi
"$(dirname "$0")/unpack-source.sh" "$ROOT" linux-source-7.3
echo "trixie-root: $ROOT with linux $z-amd64"
