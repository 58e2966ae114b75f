#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run a command inside the trixie root (scripts/trixie-root.sh) with /proc,
# /sys and /dev, the host's resolv.conf, and this source tree bind-mounted
# at the same path, so that paths given to the command mean the same inside
# as outside.  The mounts live in a private mount namespace of their own:
# they never propagate to the host, and they go when the command ends,
# however it ends.
# usage: scripts/in-root.sh CMD [ARG...]      (from any directory in the tree)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || { echo "usage: $0 CMD [ARG...]" >&2; exit 2; }
if [ "${TPMSAFE_IN_ROOT_NS:-}" != $$ ]; then
	exec unshare --mount --propagation private \
		env TPMSAFE_IN_ROOT_NS=$$ "$0" "$@"
fi
root=$("$top/scripts/trixie-root.sh" --print-dir)
[ -x "$root/usr/bin/apt-get" ] || {
	echo "in-root: no trixie root at $root (run scripts/install-deps.sh)" >&2
	exit 1
}

mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
if [ -f /etc/resolv.conf ] && [ -f "$root/etc/resolv.conf" ]; then
	mount --bind /etc/resolv.conf "$root/etc/resolv.conf"
fi
mkdir -p "$root$top"
mount --bind "$top" "$root$top"
cwd=$PWD
case $cwd in "$top"*) ;; *) cwd=$top ;; esac
# a clean environment, but for the proxy settings apt may need
pass=()
for v in http_proxy https_proxy no_proxy CI; do
	[ -n "${!v:-}" ] && pass+=("$v=${!v}")
done
exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	DEBIAN_FRONTEND=noninteractive "${pass[@]}" \
	/bin/sh -c 'cd "$1" && shift && exec "$@"' sh "$cwd" "$@"
