# SPDX-License-Identifier: GPL-2.0
# A CRB control area that firmware got wrong is refused at probe with one
# message and ENODEV, and nothing is created; the sane layout then binds.
# QEMU's layout is always sane: the test build of the module (KO_TEST,
# built with TPMS_TEST=y) replaces the buffer addresses and sizes it reads
# with crb_test_layout=cmd_pa:cmd_size:rsp_pa:rsp_size.  QEMU: resource
# 0xFED40000+0x1000, control area 0xFED40040+0x30, one buffer 0xFED40080+0xF80.
. tests/guest/lib.sh
crb_release_builtin
DEV=MSFT0101:00
PW=/sys/bus/platform/devices/$DEV
DRV=/sys/bus/platform/drivers/tpm_safe_crb
# every line the driver (or the driver core about it) logs for the device,
# but the test build's own "test layout" line
bugs() { dmesg | grep "tpm_safe_crb $DEV: " | grep -vc ": test layout: "; }
no_chip() { ! ls -d /sys/class/tpm_safe/tpmsafe[0-9]* >/dev/null 2>&1 && [ ! -e $PW/driver ]; }

n0=$(bugs)
check "test build loads with a buffer outside the resource" \
	insmod "${KO_TEST:?KO_TEST: the test build}" crb_test_layout=fed41000:f80:fed41000:f80
check "...refused with one message" [ "$(bugs)" -eq $((n0 + 1)) ]
check "...naming the buffer outside the device's memory" sh -c \
	"dmesg | grep -q '$DEV: command buffer \[0xfed41000+0xf80\] is outside the device.s memory'"
check "...no chip, device unbound" no_chip
check "module unloads" unload_module

# refused LAYOUT WHAT: the test build loaded with LAYOUT creates no chip
# and logs exactly one message containing WHAT; binding again fails with
# ENODEV and exactly one more (counted in a file: check runs it in a
# subshell)
: > /tmp/refused
refused() {
	_before=$(bugs)
	insmod "$KO_TEST" crb_test_layout=$1 || return 1
	[ "$(bugs)" -eq $((_before + 1)) ] || { echo "$(( $(bugs) - _before )) messages at load"; return 1; }
	dmesg | grep "$DEV: .*firmware bug, not used" | tail -n 1 | grep -q "$2" || {
		dmesg | tail -n 3; return 1; }
	no_chip || { echo "a chip or a driver"; return 1; }
	# the layout was read after cmdReady: the refused probe's last
	# request to the TPM (QEMU's trace of CTRL_REQ) is goIdle (2)
	grep "CRB write 0x0*40 len:4 val: " $R/qemu-trace.log | tail -n 1 | grep -q "val: 0x2$" || {
		echo "last request: $(grep "CRB write 0x0*40 len:4" $R/qemu-trace.log | tail -n 1)"; return 1; }
	_e=$(write_errno $DRV/bind $DEV)
	[ "$_e" = ENODEV ] || { echo "bind: $_e"; return 1; }
	[ "$(bugs)" -eq $((_before + 2)) ] || { echo "$(( $(bugs) - _before )) messages after bind"; return 1; }
	no_chip || return 1
	rmmod tpm_safe || return 1
	echo "$1" >> /tmp/refused
}
check "a command buffer of size 0: ENODEV, one message" \
	refused fed40080:0:fed40080:f80 "command buffer at 0xfed40080 has size 0"
check "a response buffer of 8 bytes (no room for a header)" \
	refused fed40080:f80:fed40800:8 "response buffer at 0xfed40800 has size 8"
check "command and response buffers overlapping" \
	refused fed40080:800:fed40100:800 "buffers overlap"
check "a buffer over the control area" \
	refused fed40060:100:fed40060:100 "overlaps the control area"
check "a buffer past the end of the resource" \
	refused fed40800:1000:fed40800:1000 "outside the device.s memory"
check "a response buffer outside, the command inside" \
	refused fed40080:800:fed50000:800 "response buffer .* outside"
check "a buffer over the locality registers" \
	refused fed40000:40:fed40080:f80 "overlaps the control area or the locality registers"
check "a buffer whose end wraps around 2^64" \
	refused ffffffffffffff80:100:ffffffffffffff80:100 "command buffer .* outside"
n=$(wc -l < /tmp/refused)
check "$n of 8 layouts refused" [ "$n" -eq 8 ]

check "the test build with the layout QEMU gives binds" insmod "$KO_TEST"
check "...and works" $TPY check --dev /dev/tpmsafe0
check "unbind" sh -c "echo -n $DEV > $DRV/unbind"
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
