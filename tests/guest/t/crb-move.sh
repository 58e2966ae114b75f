# SPDX-License-Identifier: GPL-2.0
# Coexistence with -device tpm-crb (the kernel's CRB driver bound at boot:
# tpm_crb on the ACPI bus up to 6.12, tpm_crb_acpi on the platform bus
# later): loading tpm_safe touches nothing; the TPM moves to tpm_safe_crb
# and back through the sysfs driver files and driver_override; 20
# alternating cycles, each proving the new owner works; the latency of
# both drivers on the same device.
. tests/guest/lib.sh
DEV=MSFT0101:00
P=/sys/bus/platform
B=$(builtin_crb $DEV)
owner() { basename "$(readlink $P/devices/$DEV/driver 2>/dev/null)"; }
# the built-in driver's node: tpm0 at boot, a new number after a rebind
builtin_node() { echo /dev/$(basename $B/$DEV/tpm/tpm[0-9]*); }
builtin_owns() { [ -e "$B/$DEV" ]; }
safe_owns() { [ "$(owner)" = tpm_safe_crb ]; }
to_safe() { echo -n $DEV > $B/unbind && echo -n $DEV > $P/drivers/tpm_safe_crb/bind; }
to_builtin() { echo -n $DEV > $P/drivers/tpm_safe_crb/unbind && echo -n $DEV > $B/bind; }

check "a built-in CRB driver owns $DEV at boot (${B:-none})" [ -n "$B" ]
check "module loads next to it" load_module
check "the built-in driver still owns $DEV" builtin_owns
check "no tpmsafe chip was created" sh -c "! ls /dev/tpmsafe[0-9]* 2>/dev/null"
check "/dev/tpm0 still works" tpm2_getrandom -T device:/dev/tpm0 8 --hex
latency "500 commands on /dev/tpm0 (${B##*/})" 500 /dev/tpm0 \
	--label "FIGURE built-in ${B##*/}" --json /tmp/results/latency.json
# 6.1 and 6.12: the ACPI device is bound, the platform one is free
if [ "${B#/sys/bus/acpi/}" != "$B" ]; then
	in_use() { dmesg | grep -c "$DEV: in use by ${B##*/}; unbind it there first"; }
	u0=$(in_use)
	e=$(write_errno $P/drivers/tpm_safe_crb/bind $DEV)
	check "binding tpm_safe_crb meanwhile: ENODEV ($e), one message naming ${B##*/}" \
		[ "$e" = ENODEV -a "$(in_use)" -eq $((u0 + 1)) ]
fi

check "unbind from ${B##*/}, bind to tpm_safe_crb" to_safe
check "tpm_safe_crb owns $DEV" safe_owns
check "/dev/tpm0 is gone" sh -c "[ ! -e /dev/tpm0 ]"
check "tpm2_getrandom on /dev/tpmsafe0" tpm2_getrandom -T device:/dev/tpmsafe0 8 --hex
check "tpm2_pcrread on /dev/tpmsafe0" tpm2_pcrread -T device:/dev/tpmsafe0 sha256:0,1
check "tpm2_createprimary on /dev/tpmsafe0" tpm2_createprimary -T device:/dev/tpmsafe0 -C o -c /tmp/p.ctx
check "tpm2_flushcontext on /dev/tpmsafe0" tpm2_flushcontext -T device:/dev/tpmsafe0 -t
check "sysfs PCR through tpm_safe_crb" sh -c "grep -qxE '[0-9A-F]{64}' /sys/class/tpm_safe/tpmsafe0/pcr-sha256/0"
latency "500 commands on /dev/tpmsafe0 (tpm_safe_crb)" 500 /dev/tpmsafe0 \
	--label "FIGURE tpm_safe_crb polling" --json /tmp/results/latency.json

check "back: unbind from tpm_safe_crb, bind to ${B##*/}" to_builtin
check "the built-in driver's node works again ($(builtin_node))" tpm2_getrandom -T "device:$(builtin_node)" 8 --hex

override_safe() {
	echo -n $DEV > $B/unbind &&
	echo tpm_safe_crb > $P/devices/$DEV/driver_override &&
	echo -n $DEV > $P/drivers_probe && safe_owns
}
override_back() {
	echo > $P/devices/$DEV/driver_override &&
	echo -n $DEV > $P/drivers/tpm_safe_crb/unbind &&
	echo -n $DEV > $B/bind && builtin_owns
}
check "driver_override: tpm_safe_crb takes $DEV" override_safe
check "driver_override: tpmsafe0 works" $TPY check --dev /dev/tpmsafe0
check "one GetRandom from the shell works there too (the cycles' check)" quick_rng /dev/tpmsafe0
check "driver_override cleared: ${B##*/} takes it back" override_back
check "the built-in node works ($(builtin_node))" $TPY check --dev "$(builtin_node)"

bad=0
i=0
while [ $i -lt ${MOVE_CYCLES:-20} ]; do
	i=$((i + 1))
	to_safe && quick_rng /dev/tpmsafe0 || { bad=$((bad + 1)); echo "# cycle $i: tpm_safe_crb failed"; }
	to_builtin && quick_rng $(builtin_node) || { bad=$((bad + 1)); echo "# cycle $i: ${B##*/} failed"; }
done
check "$i cycles alternating ${B##*/} and tpm_safe_crb, every owner works" [ $bad -eq 0 -a $i -eq ${MOVE_CYCLES:-20} ]
check "objects balanced" objects_balanced
check "module unloads, ${B##*/} keeps the device" sh -c "rmmod tpm_safe && [ -e $B/$DEV ]"
finish
