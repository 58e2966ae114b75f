# SPDX-License-Identifier: GPL-2.0
# Coexistence (built-in tpm_tis bound at boot): loading tpm_safe touches
# nothing; the QEMU TPM moves to tpm_safe_tis and back through the sysfs
# driver files and driver_override; 20 alternating cycles, each proving the
# new owner works; the latency of both drivers on the same device.
. tests/guest/lib.sh
DEV=MSFT0101:00
P=/sys/bus/platform
owner() { basename "$(readlink $P/devices/$DEV/driver 2>/dev/null)"; }
# the built-in driver's node: tpm0 at boot, a new number after a rebind
# (IMA keeps a reference on the first chip, so its number stays taken)
tis_node() { echo /dev/$(basename $P/devices/$DEV/tpm/tpm[0-9]*); }
to_safe() { echo -n $DEV > $P/drivers/tpm_tis/unbind && echo -n $DEV > $P/drivers/tpm_safe_tis/bind; }
to_tis() { echo -n $DEV > $P/drivers/tpm_safe_tis/unbind && echo -n $DEV > $P/drivers/tpm_tis/bind; }

check "built-in tpm_tis owns $DEV at boot" sh -c "[ \"$(owner)\" = tpm_tis ]"
check "module loads next to it" load_module
check "tpm_tis still owns $DEV" sh -c "[ \"\$(basename \$(readlink $P/devices/$DEV/driver))\" = tpm_tis ]"
check "no tpmsafe chip was created" sh -c "! ls /dev/tpmsafe[0-9]* 2>/dev/null"
check "/dev/tpm0 still works" tpm2_getrandom -T device:/dev/tpm0 8 --hex
latency "500 commands on /dev/tpm0 (tpm_tis)" 500 /dev/tpm0 \
	--label "FIGURE built-in tpm_tis" --json /tmp/results/latency.json

check "unbind from tpm_tis, bind to tpm_safe_tis" to_safe
check "tpm_safe_tis owns $DEV" sh -c "[ \"\$(basename \$(readlink $P/devices/$DEV/driver))\" = tpm_safe_tis ]"
check "/dev/tpm0 is gone" sh -c "[ ! -e /dev/tpm0 ]"
check "tpm2_getrandom on /dev/tpmsafe0" tpm2_getrandom -T device:/dev/tpmsafe0 8 --hex
check "tpm2_pcrread on /dev/tpmsafe0" tpm2_pcrread -T device:/dev/tpmsafe0 sha256:0,1
check "tpm2_createprimary on /dev/tpmsafe0" tpm2_createprimary -T device:/dev/tpmsafe0 -C o -c /tmp/p.ctx
check "tpm2_flushcontext on /dev/tpmsafe0" tpm2_flushcontext -T device:/dev/tpmsafe0 -t
check "sysfs PCR through tpm_safe_tis" sh -c "grep -qxE '[0-9A-F]{64}' /sys/class/tpm_safe/tpmsafe0/pcr-sha256/0"
latency "500 commands on /dev/tpmsafe0 (tpm_safe_tis)" 500 /dev/tpmsafe0 \
	--label "FIGURE tpm_safe_tis polling" --json /tmp/results/latency.json

check "back: unbind from tpm_safe_tis, bind to tpm_tis" to_tis
check "the built-in driver's node works again ($(tis_node))" tpm2_getrandom -T "device:$(tis_node)" 8 --hex

check "driver_override: tpm_safe_tis takes $DEV" sh -c "
	echo -n $DEV > $P/drivers/tpm_tis/unbind &&
	echo tpm_safe_tis > $P/devices/$DEV/driver_override &&
	echo -n $DEV > $P/drivers_probe &&
	[ \"\$(basename \$(readlink $P/devices/$DEV/driver))\" = tpm_safe_tis ]"
check "driver_override: tpmsafe0 works" $TPY check --dev /dev/tpmsafe0
check "driver_override: tpm_tis takes it back" sh -c "
	echo > $P/devices/$DEV/driver_override &&
	echo -n $DEV > $P/drivers/tpm_safe_tis/unbind &&
	echo -n $DEV > $P/drivers_probe &&
	[ \"\$(basename \$(readlink $P/devices/$DEV/driver))\" = tpm_tis ]"
check "driver_override: the built-in node works" $TPY check --dev "$(tis_node)"

bad=0
i=0
while [ $i -lt ${MOVE_CYCLES:-20} ]; do
	i=$((i + 1))
	to_safe && $TPY check --dev /dev/tpmsafe0 >/dev/null 2>&1 || { bad=$((bad + 1)); echo "# cycle $i: tpm_safe_tis failed"; }
	to_tis && $TPY check --dev $(tis_node) >/dev/null 2>&1 || { bad=$((bad + 1)); echo "# cycle $i: tpm_tis failed"; }
done
check "$i cycles alternating tpm_tis and tpm_safe_tis, every owner works" [ $bad -eq 0 ]
check "objects balanced" objects_balanced
check "module unloads, tpm_tis keeps the device" sh -c "rmmod tpm_safe && [ \"\$(basename \$(readlink $P/devices/$DEV/driver))\" = tpm_tis ]"
finish
