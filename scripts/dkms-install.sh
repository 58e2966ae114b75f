#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install tpm_safe through DKMS for one kernel: copy exactly the sources it
# needs to /usr/src/tpm_safe-<version>, then dkms add/build/install.  DKMS
# signs the module with its MOK key (/var/lib/dkms/mok.key) and installs
# it under /lib/modules/<kver>/updates/dkms/, and the udev rule (the rm
# nodes to group tss) as /etc/udev/rules.d/60-tpm-safe.rules.  A kernel
# whose headers live in the trixie root (7.3) is installed there, by that root's dkms.  The
# module stays installed for other kernels unless the sources changed.
# Idempotent; run as root.
# usage: scripts/dkms-install.sh [KVER|SERIES]
#        scripts/dkms-install.sh --remove     remove every version, everywhere
#        scripts/dkms-install.sh --refuses KVER
#                 check that dkms turns KVER away as unsupported (exit 77,
#                 BUILD_EXCLUSIVE) and leaves nothing installed for it
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
src=/usr/src/tpm_safe-$ver

# -n "$(...)" rather than a pipe into grep -q, which would SIGPIPE dkms and
# fail under pipefail
added() { [ -n "$(dkms status -m tpm_safe -v "$ver" "$@" 2>/dev/null)" ]; }

rules=/etc/udev/rules.d/60-tpm-safe.rules

remove_here() {
	if added; then
		dkms remove "tpm_safe/$ver" --all >/dev/null
	fi
	rm -rf "$src" "$rules"
}

# the udev rule, and udev told when it runs here
install_rules() {
	install -D -m 0644 "$top/scripts/udev/60-tpm-safe.rules" "$rules"
	if [ -d /run/udev ] && command -v udevadm >/dev/null; then
		udevadm control --reload 2>/dev/null || true
	fi
}

# add_current: /usr/src/tpm_safe-<ver> holds this tree's sources, added
# to dkms; other kernels keep their module when nothing changed
add_current() {
	local new
	new=$(mktemp -d)
	"$top/scripts/dkms-sources.sh" "$new"
	if ! added || ! diff -qr "$new" "$src" >/dev/null 2>&1; then
		remove_here
		mv "$new" "$src"
		dkms add "tpm_safe/$ver" >/dev/null
	else
		rm -rf "$new"
	fi
}

case ${1:-} in
--remove)
	remove_here
	root=$("$top/scripts/trixie-root.sh" --print-dir)
	if [ -x "$root/usr/sbin/dkms" ]; then
		"$top/scripts/in-root.sh" "$top/scripts/dkms-install.sh" --remove-here
	fi
	exit 0 ;;
--remove-here)
	remove_here
	exit 0 ;;
--refuses)
	k=${2:?KVER}
	add_current
	rc=0
	out=$(dkms install "tpm_safe/$ver" -k "$k" 2>&1) || rc=$?
	echo "$out" | tail -n 3
	status=$(dkms status -m tpm_safe 2>/dev/null)
	if [ $rc -eq 77 ] && [[ $out == *BUILD_EXCLUSIVE* ]] && [[ $status != *", $k,"* ]] &&
		[ ! -e "/lib/modules/$k/updates/dkms" ]; then
		echo "dkms-install: $k refused as unsupported (exit 77), nothing installed"
		exit 0
	fi
	echo "dkms-install: $k was not refused cleanly (dkms exit $rc)" >&2
	exit 1 ;;
esac

kver=$("$top/scripts/kernels.sh" resolve "${1:-$("$top/scripts/kernels.sh" newest)}")
root=$("$top/scripts/kernels.sh" root "$kver")
if [ "$root" != / ]; then
	exec "$top/scripts/in-root.sh" "$top/scripts/dkms-install.sh" "$kver"
fi

add_current
dkms install "tpm_safe/$ver" -k "$kver" --force
install_rules
echo "dkms-install: udev rule installed as $rules"
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
