#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Copy exactly the sources dkms builds tpm_safe from into DEST (made if
# missing): dkms.conf, Makefile, Kbuild, LICENSE, src/*.[ch], include/*.h.
# No build products: a tree built for one kernel must give the same copy as
# a clean one (scripts/dkms-install.sh compares copies to keep other
# kernels' modules installed).
# usage: scripts/dkms-sources.sh DEST
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dest=${1:?DEST}
mkdir -p "$dest/src" "$dest/include"
cp "$top/dkms.conf" "$top/Makefile" "$top/Kbuild" "$top/LICENSE" "$dest/"
cp "$top"/src/*.c "$top"/src/*.h "$dest/src/"
cp "$top"/include/*.h "$dest/include/"
