#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install tpm_safe through DKMS for one kernel: copy exactly the sources it
# needs to /usr/src/tpm_safe-<version>, then dkms add/build/install.  DKMS
# signs the module with its MOK key (/var/lib/dkms/mok.key) and installs
# it under /lib/modules/<kver>/updates/dkms/.  A kernel whose headers live
# in the trixie root (7.3) is installed there, by that root's dkms.
# Idempotent; run as root.
# usage: scripts/dkms-install.sh [KVER|SERIES]
#        scripts/dkms-install.sh --remove    remove every version, everywhere
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
src=/usr/src/tpm_safe-$ver

# Remove this version from dkms wherever it is (-n "$(...)": a pipe into
# grep -q would SIGPIPE dkms and fail under pipefail).
remove_here() {
	if [ -n "$(dkms status -m tpm_safe -v "$ver" 2>/dev/null)" ]; then
		dkms remove "tpm_safe/$ver" --all >/dev/null
	fi
	rm -rf "$src"
}

if [ "${1:-}" = --remove ]; then
	remove_here
	root=$("$top/scripts/trixie-root.sh" --print-dir)
	if [ -x "$root/usr/sbin/dkms" ]; then
		"$top/scripts/in-root.sh" "$top/scripts/dkms-install.sh" --remove-here
	fi
	exit 0
fi
[ "${1:-}" = --remove-here ] && { remove_here; exit 0; }

kver=$("$top/scripts/kernels.sh" resolve "${1:-$("$top/scripts/kernels.sh" list |
	tail -n 1 | cut -d' ' -f2)}")
if [ "$("$top/scripts/kernels.sh" root "$kver")" != / ]; then
	exec "$top/scripts/in-root.sh" "$top/scripts/dkms-install.sh" "$kver"
fi

remove_here
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
status=$(dkms status -m tpm_safe -v "$ver" -k "$kver")
case $status in
*": installed"*) echo "dkms-install: dkms status: $status" ;;
*) echo "dkms-install: dkms status does not say installed: '$status'" >&2; exit 1 ;;
esac
# signed by this machine's DKMS key: the module's key serial is the MOK's
mok=/var/lib/dkms/mok.pub
want=$(openssl x509 -inform DER -in "$mok" -noout -serial | cut -d= -f2)
got=$(modinfo -F sig_key "$ko" | tr -d ':')
if [ -z "$got" ] || [ "${got^^}" != "${want^^}" ]; then
	echo "dkms-install: $ko is signed by key '$got', not $mok ($want)" >&2
	exit 1
fi
echo "dkms-install: signed by $(modinfo -F signer "$ko"), key $got = $mok"
