#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install every Debian package that building, packaging and testing
# tpm_safe needs, for each supported kernel series: 6.1 (bookworm), 6.12
# (bookworm-backports, from a sources file of our own, pinned so that
# nothing else is upgraded) and 7.3 (trixie-backports, inside the trixie
# root that scripts/trixie-root.sh makes).  Idempotent and non-interactive;
# run as root.
# usage: scripts/install-deps.sh [all|min]     min: 6.1 only, no matrix
#   (both: QEMU 10 from bookworm-backports for the test guests)
set -euo pipefail

PKGS=(
	build-essential bc bison flex kmod cpio xz-utils zstd rsync
	libelf-dev libssl-dev dwarves
	linux-image-amd64 linux-headers-amd64
	dkms sparse
	qemu-system-x86 ovmf swtpm swtpm-tools acpica-tools
	tpm2-tools libtss2-tcti-device0 trousers tpm-tools
	cryptsetup-bin systemd
	busybox-static python3 gnuplot-nox
	clang-14 libclang-rt-14-dev mmdebstrap
)
# Extra header flavours for the compile matrix (tests/compile-matrix.sh).
MATRIX_PKGS=(linux-headers-rt-amd64 linux-headers-cloud-amd64)
# Full source: checkpatch.pl, decode_stacktrace.sh, the debug kernel.
SRC_PKGS=(linux-source-6.1)

SOURCES=/etc/apt/sources.list.d/tpm_safe-debian.sources
PREF=/etc/apt/preferences.d/tpm_safe-debian.pref

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: must run as root" >&2
	exit 1
fi
mode=${1:-all}
case $mode in
all | min) ;;
*) echo "usage: $0 [all|min]" >&2; exit 2 ;;
esac
export DEBIAN_FRONTEND=noninteractive

# bookworm-backports at priority 1: only the packages named below come
# from it, and nothing installed is ever upgraded from it.
if [ ! -f "$SOURCES" ]; then
	mirror=$("$(dirname "$0")/debian-mirror.sh")
	printf '%s\n' '# tpm_safe (scripts/install-deps.sh): the 6.12 kernel series and QEMU 10' \
		'Types: deb' "URIs: $mirror" \
		'Suites: bookworm-backports' 'Components: main' \
		'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' > "$SOURCES"
	printf '%s\n' '# tpm_safe (scripts/install-deps.sh): nothing upgrades from backports' \
		'Package: *' 'Pin: release n=bookworm-backports' 'Pin-Priority: 1' > "$PREF"
	apt-get update -q
fi

want=("${PKGS[@]}")
if [ "$mode" = all ]; then
	want+=("${MATRIX_PKGS[@]}" "${SRC_PKGS[@]}")
	# the newest 6.12 of bookworm-backports: image and three header flavours
	newest612() {
		apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' |
			sed -n 's/^linux-image-\(6\.12\.[0-9]*+deb12\)-amd64 .*/\1/p' | sort -V | tail -n 1
	}
	v=$(newest612)
	# package lists may be gone (a cleaned image): fetch them once
	[ -n "$v" ] || { apt-get update -q >/dev/null; v=$(newest612); }
	[ -n "$v" ] || { echo "install-deps: no 6.12 kernel in bookworm-backports" >&2; exit 1; }
	want+=("linux-image-$v-amd64" "linux-headers-$v-amd64"
		"linux-headers-$v-cloud-amd64" "linux-headers-$v-rt-amd64")
fi

missing=()
for p in "${want[@]}"; do
	[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" = "install ok installed" ] ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#want[@]} packages present"
else
	echo "install-deps: installing ${missing[*]}"
	apt-get update -q
	apt-get install -y -q --no-install-recommends \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"${missing[@]}"
fi

# The kernel source comes as a tarball: unpacked for checkpatch and the
# debug kernel build.
if [ "$mode" = all ]; then
	"$(dirname "$0")/unpack-source.sh" / linux-source-6.1
fi

# QEMU from bookworm-backports, unpacked in a folder of its own (the
# system's QEMU 7.2 stays, for the benchmark's anchors and the interrupt
# guests, single-threaded there): the test guests'
# emulator, also for make demo (min).  QEMU 7.2's multi-threaded TCG now and
# then runs a stale translated block of a live kernel text patch, and under
# it the 7.3 kernel does not come back from a real S3.
QEMU_BPO=/var/cache/tpm_safe/qemu-bpo
if ! "$QEMU_BPO/usr/bin/qemu-system-x86_64" --version >/dev/null 2>&1; then
	tmp=$(mktemp -d)
	# lists deleted since the sources file was written: refresh once
	bpo_download() {
		(cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root \
			-t bookworm-backports qemu-system-x86 qemu-system-common qemu-system-data)
	}
	bpo_download || { rm -f "$tmp"/*.deb; apt-get update -q && bpo_download; }
	rm -rf "$QEMU_BPO.new"
	mkdir -p "$(dirname "$QEMU_BPO")"	# a fresh machine has no cache yet
	for f in "$tmp"/*.deb; do dpkg-deb -x "$f" "$QEMU_BPO.new"; done
	rm -rf "$tmp" "$QEMU_BPO"
	mv "$QEMU_BPO.new" "$QEMU_BPO"
	v=$("$QEMU_BPO/usr/bin/qemu-system-x86_64" --version)
	echo "${v%%$'\n'*}"
fi

# 7.3: the trixie root with its kernel, headers, source and userland.
if [ "$mode" = all ]; then
	"$(dirname "$0")/trixie-root.sh"
fi
