#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Unpack a Debian linux-source-X.Y tarball under ROOT/usr/src, once per
# package version: the tree is unpacked next to its place and moved in
# whole, so an interrupted run leaves no partial tree, and a new version of
# the package replaces the old tree.
# usage: scripts/unpack-source.sh ROOT linux-source-X.Y
set -euo pipefail
root=${1%/}
pkg=$2
dst=$root/usr/src/$pkg
tarball=$root/usr/src/$pkg.tar.xz
ver=$(dpkg-query --admindir="$root/var/lib/dpkg" -W -f='${Version}' "$pkg")
[ -f "$tarball" ] || { echo "unpack-source: $tarball missing" >&2; exit 1; }
if [ "$(cat "$dst/.tpm_safe-unpacked" 2>/dev/null)" = "$ver" ]; then
	exit 0
fi
rm -rf "$dst.new"
mkdir -p "$dst.new"
tar -C "$dst.new" --strip-components=1 -xf "$tarball"
echo "$ver" > "$dst.new/.tpm_safe-unpacked"
rm -rf "$dst"
mv "$dst.new" "$dst"
echo "unpack-source: $pkg $ver in $dst"
