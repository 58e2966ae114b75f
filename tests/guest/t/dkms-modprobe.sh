# SPDX-License-Identifier: GPL-2.0
# The module a user gets: the one dkms installed under updates/dkms, found
# by depmod and loaded with modprobe; it serves a TPM and unloads.
. tests/guest/lib.sh
kver=$(uname -r)
path=$(modinfo -n tpm_safe 2>/dev/null)
case $path in
/lib/modules/$kver/updates/dkms/tpm_safe.ko* | /usr/lib/modules/$kver/updates/dkms/tpm_safe.ko*)
	ok "modinfo resolves tpm_safe to updates/dkms ($path)" ;;
*) nok "modinfo resolves tpm_safe to updates/dkms ($path)" ;;
esac
check "it is signed by the DKMS key" sh -c "modinfo -F signer tpm_safe | grep -q ."
check "modprobe tpm_safe" modprobe tpm_safe
check "loaded module is the dkms one" sh -c \
	"[ \"\$(cat /sys/module/tpm_safe/version)\" = \"\$(modinfo -F version tpm_safe)\" ]"
# udev, with the rule dkms-install put in place, sets the nodes' modes
RULES=/etc/udev/rules.d/60-tpm-safe.rules
check "the udev rule is installed ($RULES)" [ -f $RULES ]
/lib/systemd/systemd-udevd --daemon > /dev/null 2>&1
check "systemd-udevd runs" wait_for "udevadm control --ping" 10
# mode_of NODE: its mode, owner and group, once udev has seen it
mode_of() { udevadm settle -t 10; stat -c '%a %U %G' "$1"; }
if vtpm_start /tmp/dkms; then
	ok "swtpm attaches"
	m=$(mode_of /dev/tpmsaferm$VT_NUM)
	check "/dev/tpmsaferm$VT_NUM: 0660 root tss ($m)" [ "$m" = "660 root tss" ]
	m=$(mode_of /dev/tpmsafe$VT_NUM)
	check "/dev/tpmsafe$VT_NUM: 0600 root root ($m)" [ "$m" = "600 root root" ]
	check "tpm2_getrandom through /dev/tpmsafe$VT_NUM" \
		tpm2_getrandom -T device:/dev/tpmsafe$VT_NUM 16 --hex
	check "tpm2_getrandom through /dev/tpmsaferm$VT_NUM" \
		tpm2_getrandom -T device:/dev/tpmsaferm$VT_NUM 16 --hex
	check "swtpm killed: the device goes away" vtpm_stop
else
	nok "swtpm attaches"
fi
udevadm control --exit
check "objects balanced" objects_balanced
check "modprobe -r tpm_safe" modprobe -r tpm_safe
finish
