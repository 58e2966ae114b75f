# SPDX-License-Identifier: GPL-2.0
# What `make demo` shows: the dkms-installed driver serving a TPM.
. tests/guest/lib.sh
show() { echo "\$ $*"; "$@" 2>&1 | sed 's/^/  /'; }
show modinfo -F filename tpm_safe
check "modprobe tpm_safe" modprobe tpm_safe
show ls -l /dev/tpmsafe-vtpmx
echo "\$ swtpm chardev --tpm2 --fd N --tpmstate dir=/tmp/demo (opened on /dev/tpmsafe-vtpmx)"
if ! vtpm_start /tmp/demo; then
	nok "swtpm attaches"
	finish
fi
ok "swtpm attaches as /dev/tpmsafe$VT_NUM"
show ls -l /dev/tpmsafe$VT_NUM /dev/tpmsaferm$VT_NUM
check "tpm2_getrandom" tpm2_getrandom -T device:/dev/tpmsafe$VT_NUM 16 --hex
echo "# the resource manager: many programs at once, each its own handles"
check "tpm2_createprimary through /dev/tpmsaferm$VT_NUM" \
	tpm2_createprimary -T device:/dev/tpmsaferm$VT_NUM -C o -c /tmp/demo-prim.ctx
show tpm2_getcap -T device:/dev/tpmsaferm$VT_NUM handles-transient
show tpm2_getrandom -T device:/dev/tpmsafe$VT_NUM 16 --hex; echo
show tpm2_pcrread -T device:/dev/tpmsafe$VT_NUM sha256:0,1
show ls /sys/class/tpm_safe/tpmsafe$VT_NUM
show cat /sys/class/tpm_safe/tpmsafe$VT_NUM/pcr-sha256/0
show grep . /sys/class/tpm_safe/tpmsafe$VT_NUM/stats/commands
echo "\$ echo tpm_safe_vtpm.$VT_DEVID > /sys/bus/platform/drivers/tpm_safe_vtpm/unbind; ... bind"
echo tpm_safe_vtpm.$VT_DEVID > /sys/bus/platform/drivers/tpm_safe_vtpm/unbind
echo tpm_safe_vtpm.$VT_DEVID > /sys/bus/platform/drivers/tpm_safe_vtpm/bind
check "works again after unbind and bind" tpm2_getrandom -T device:/dev/tpmsafe$VT_NUM 8 --hex
check "swtpm killed: the device goes away" vtpm_stop
check "modprobe -r tpm_safe" modprobe -r tpm_safe
show sh -c "dmesg | grep -E 'tpm_safe|tpmsafe'"
finish
