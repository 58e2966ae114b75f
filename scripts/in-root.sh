#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run a command inside the trixie root (scripts/trixie-root.sh) with /proc,
# /sys and /dev, and this source tree bind-mounted at the same path, so that
# paths given to the command mean the same inside as outside.
# usage: scripts/in-root.sh CMD [ARG...]      (from any directory in the tree)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
root=$("$top/scripts/trixie-root.sh" --print-dir)
[ -x "$root/usr/bin/apt-get" ] || {
	echo "in-root: no trixie root at $root (run scripts/install-deps.sh)" >&2
	exit 1
}
[ $# -gt 0 ] || { echo "usage: $0 CMD [ARG...]" >&2; exit 2; }

# One mount set per call; unmounted on every exit path, lazily, so that a
# process of the command still holding a file does not keep it.
mounts=()
cleanup() {
	local i
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
		umount -l "${mounts[$i]}" 2>/dev/null || true
	done
}
trap cleanup EXIT
mnt() {	# mnt TARGET MOUNT-ARGS...
	local t=$1
	shift
	mount "$@" "$t"
	mounts+=("$t")
}
mnt "$root/proc" -t proc proc
mnt "$root/sys" --rbind /sys
mnt "$root/dev" --rbind /dev
mkdir -p "$root$top"
mnt "$root$top" --bind "$top"
cwd=$PWD
case $cwd in "$top"*) ;; *) cwd=$top ;; esac
set +e
chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	DEBIAN_FRONTEND=noninteractive ${CI:+CI=$CI} \
	/bin/sh -c 'cd "$1" && shift && exec "$@"' sh "$cwd" "$@"
