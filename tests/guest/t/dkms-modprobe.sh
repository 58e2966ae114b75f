# SPDX-License-Identifier: GPL-2.0
# The module a user gets: the one dkms installed under updates/dkms (by
# make dkms-install, or by the Debian package: DKMS_RULES names where its
# udev rule lives, DKMS_VERSION the version it must be), found by depmod
# and loaded with modprobe; udev gives its nodes their modes, a member of
# tss (not root) uses the rm node and a non-member is refused; it serves a
# TPM and unloads.
. tests/guest/lib.sh
kver=$(uname -r)
path=$(modinfo -n tpm_safe 2>/dev/null)
case $path in
/lib/modules/$kver/updates/dkms/tpm_safe.ko* | /usr/lib/modules/$kver/updates/dkms/tpm_safe.ko*)
	ok "modinfo resolves tpm_safe to updates/dkms ($path)" ;;
*) nok "modinfo resolves tpm_safe to updates/dkms ($path)" ;;
esac
if [ -n "${DKMS_VERSION:-}" ]; then
	v=$(modinfo -F version tpm_safe)
	check "the installed module is version $DKMS_VERSION ($v)" [ "$v" = "$DKMS_VERSION" ]
fi
check "it is signed by the DKMS key" sh -c "modinfo -F signer tpm_safe | grep -q ."
check "modprobe tpm_safe" modprobe tpm_safe
check "the loaded module is the dkms one (its srcversion)" sh -c \
	"[ \"\$(cat /sys/module/tpm_safe/srcversion)\" = \"\$(modinfo -F srcversion tpm_safe)\" ]"
# udev, with the rule dkms-install or the package put in place, sets the
# nodes' modes
RULES=${DKMS_RULES:-/etc/udev/rules.d/60-tpm-safe.rules}
check "the udev rule is installed ($RULES)" [ -f "$RULES" ]
/lib/systemd/systemd-udevd --daemon > /dev/null 2>&1
check "systemd-udevd runs" wait_for "udevadm control --ping" 10
# mode_of NODE: its mode, owner and group, once udev has seen it
mode_of() { udevadm settle -t 10; stat -c '%a %U %G' "$1"; }
# as_user GROUPS CMD...: CMD as nobody (uid/gid 65534) with only GROUPS
# (a gid, or "" for none) as supplementary groups
as_user() {
	local g=$1
	shift
	if [ -n "$g" ]; then
		HOME=/tmp setpriv --reuid=65534 --regid=65534 --groups="$g" "$@"
	else
		HOME=/tmp setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	fi
}
# open_errno GROUPS NODE: what an open for read and write gives to
# as_user GROUPS ("ok" or an errno name)
open_errno() {
	as_user "$1" python3 -c '
import errno, os, sys
try:
    os.close(os.open(sys.argv[1], os.O_RDWR))
    print("ok")
except OSError as e:
    print(errno.errorcode[e.errno])' "$2"
}
# refused CMD...: CMD, run by a non-member of tss, fails
refused() { ! as_user "" "$@"; }
tss=$(getent group tss | cut -d: -f3)
if vtpm_start /tmp/dkms; then
	ok "swtpm attaches"
	rm=/dev/tpmsaferm$VT_NUM raw=/dev/tpmsafe$VT_NUM
	m=$(mode_of $rm)
	check "$rm: 0660 root tss ($m)" [ "$m" = "660 root tss" ]
	m=$(mode_of $raw)
	check "$raw: 0600 root root ($m)" [ "$m" = "600 root root" ]
	check "tpm2_getrandom through $raw" tpm2_getrandom -T device:$raw 16 --hex
	check "tpm2_getrandom through $rm" tpm2_getrandom -T device:$rm 16 --hex
	if [ -n "$tss" ]; then
		check "a member of tss (gid $tss), not root: tpm2_getrandom through $rm" \
			as_user "$tss" tpm2_getrandom -T device:$rm 16 --hex
		e=$(open_errno "$tss" $raw)
		check "a member of tss: $raw refused (EACCES: $e)" [ "$e" = EACCES ]
		e=$(open_errno "" $rm)
		check "not a member of tss: $rm refused (EACCES: $e)" [ "$e" = EACCES ]
		check "not a member of tss: tpm2_getrandom through $rm fails" \
			refused tpm2_getrandom -T device:$rm 16 --hex
	else
		nok "the root has a group tss"
	fi
	check "swtpm killed: the device goes away" vtpm_stop
else
	nok "swtpm attaches"
fi
udevadm control --exit
check "objects balanced" objects_balanced
check "modprobe -r tpm_safe" modprobe -r tpm_safe
finish
