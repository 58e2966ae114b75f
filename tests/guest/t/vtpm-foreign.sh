# SPDX-License-Identifier: GPL-2.0
# A platform device that is not a virtual TPM, bound to tpm_safe_vtpm through
# driver_override: the bind fails with ENODEV and one log line, no oops; the
# device and the driver are as before.  pcspkr has no platform data (the
# old probe dereferenced it as a virtual TPM pointer); failing that, the
# first platform device without a driver is tried.
. tests/guest/lib.sh
P=/sys/bus/platform
DRV=$P/drivers/tpm_safe_vtpm
check "module loads" load_module

pick=""
orig=""
if [ -e $P/devices/pcspkr ]; then
	pick=pcspkr
	if [ -e $P/devices/pcspkr/driver ]; then
		orig=$(basename "$(readlink -f $P/devices/pcspkr/driver)")
		echo pcspkr > $P/drivers/$orig/unbind
	fi
else
	for d in "$P"/devices/*; do
		n=${d##*/}
		case $n in
		tpm_safe_vtpm.*|MSFT0101*|*" "*) continue ;;
		esac
		[ -e "$d/driver" ] || [ ! -e "$d/driver_override" ] || { pick=$n; break; }
	done
fi
if [ -z "$pick" ]; then
	nok "a platform device that is not a virtual TPM to try"
	finish
fi
F=$P/devices/$pick
echo "# trying $pick (its driver: ${orig:-none})"
old=$(cat "$F/driver_override")
msg="$pick: not a virtual TPM of /dev/tpmsafe-vtpmx: refusing to bind"
n0=$(dmesg | grep -c "$msg")
echo tpm_safe_vtpm > "$F/driver_override"
# the errno of the write to bind (a shell's echo does not tell it)
got=$(write_errno "$DRV/bind" "$pick" 2>&1)
check "binding $pick to tpm_safe_vtpm fails with ENODEV (got $got)" [ "$got" = ENODEV ]
check "$pick is bound to no driver" [ ! -e "$F/driver" ]
n1=$(dmesg | grep -c "$msg")
check "one log line names $pick ($((n1 - n0)) logged)" [ "$((n1 - n0))" -eq 1 ]
# restore: an empty write clears driver_override
echo > "$F/driver_override"
check "driver_override of $pick restored ($(cat "$F/driver_override"))" \
	[ "$(cat "$F/driver_override")" = "$old" ]
if [ -n "$orig" ]; then
	echo "$pick" > "$P/drivers/$orig/bind"
	check "$pick rebound to $orig" [ -e "$F/driver" ]
fi

# the driver still serves its own devices
if vtpm_start /tmp/vtpm-foreign; then
	check "a virtual TPM still binds and serves" $TPY check --dev /dev/tpmsafe$VT_NUM
	check "swtpm killed: the device goes away" vtpm_stop
else
	nok "swtpm attaches"
fi
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
