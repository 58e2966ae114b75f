#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install tpm_safe through DKMS for one kernel: copy exactly the sources it
# needs to /usr/src/tpm_safe-<version>, then dkms add/build/install.  DKMS
# signs the module with its MOK key (/var/lib/dkms/mok.key) and installs
# it under /lib/modules/<kver>/updates/dkms/.  Idempotent; run as root.
# usage: scripts/dkms-install.sh [KVER]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:-$(ls -d /usr/src/linux-headers-*-amd64 | sed 's|.*/linux-headers-||' |
	grep -v -- '-rt-\|-cloud-' | sort -V | tail -n 1)}
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
src=/usr/src/tpm_safe-$ver

if dkms status -m tpm_safe -v "$ver" | grep -q .; then
	dkms remove "tpm_safe/$ver" --all >/dev/null
fi
rm -rf "$src"
mkdir -p "$src"
cp -r "$top/dkms.conf" "$top/Makefile" "$top/Kbuild" "$top/LICENSE" \
	"$top/src" "$top/include" "$src/"
dkms add "tpm_safe/$ver"
dkms build "tpm_safe/$ver" -k "$kver"
dkms install "tpm_safe/$ver" -k "$kver" --force
ko=/lib/modules/$kver/updates/dkms/tpm_safe.ko
for f in "$ko" "$ko.xz" "$ko.zst"; do
	[ -f "$f" ] && { ko=$f; break; }
done
echo "dkms-install: $(modinfo -F version "$ko") installed as $ko"
echo "dkms-install: signer: $(modinfo -F signer "$ko")"
