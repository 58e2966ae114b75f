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
if vtpm_start /tmp/dkms; then
	ok "swtpm attaches"
	check "tpm2_getrandom through /dev/tpmsafe$VT_NUM" \
		tpm2_getrandom -T device:/dev/tpmsafe$VT_NUM 16 --hex
	check "swtpm killed: the device goes away" vtpm_stop
else
	nok "swtpm attaches"
fi
check "objects balanced" objects_balanced
check "modprobe -r tpm_safe" modprobe -r tpm_safe
finish
