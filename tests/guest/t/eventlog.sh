# SPDX-License-Identifier: GPL-2.0
# The firmware's event log, published by tpm_safe in securityfs:
# SeaBIOS's through the ACPI TPM2 table (TCPA for a TPM 1.2), or OVMF's
# through the EFI tables (run.sh --firmware uefi).  Where the kernel's own
# driver owns the TPM at boot (coexist), tpm_safe's file must be
# byte-identical to the one it published.  The log's replay of PCRs 0-7
# equals the TPM's (tpm2_eventlog's too, for TPM 2.0); a TPM 1.2 also gets
# ascii_bios_measurements.  A reader holding the file across an unbind gets
# ENODEV, and the open file holds the module; an O_PATH descriptor holds
# nothing and reopens to EIO, before and after the module is gone.
# Malformed logs (the test build's debugfs test_log stands in for the
# firmware's) are refused with one message each, and the chip registers
# all the same.
# Run it before anything that could extend PCRs 0-7 (hostile clients, the
# kernel selftests' PCR 1); it leaves the TPM with the kernel's driver.
. tests/guest/lib.sh
SEC=/sys/kernel/security
# a kernel built without securityfs has nowhere to publish a log (the
# debug kernels built before it was added to tests/debug/config.fragment)
if ! grep -qw securityfs /proc/filesystems; then
	echo "ok - eventlog # SKIP the kernel has no securityfs"
	finish
fi
mountpoint -q $SEC || mount -t securityfs securityfs $SEC
if [ "${TPM_FAMILY:-2}" = 1.2 ]; then
	BUS=pnp DEV=00:00 DRV=tpm_safe_tis FAM=1.2
else
	BUS=platform DEV=MSFT0101:00 DRV=tpm_safe_${IFACE:-tis} FAM=2
fi
D=/sys/bus/$BUS/drivers/$DRV
# the chip of $DEV, by name: a rebind need not get the same number (a
# debug kernel's delayed kobject release keeps the old one a while)
CHIPS=/sys/bus/$BUS/devices/$DEV/tpm_safe
chip() { ls $CHIPS 2>/dev/null | head -n 1; }
# ...and its log, as sh -c strings expand it when they run
LC="$SEC/\$(ls $CHIPS)/binary_bios_measurements"
FW=bios
[ -d /sys/firmware/efi ] && FW=uefi
[ "$FW" = uefi ] && SRC=EFI || SRC=ACPI
echo "# firmware: $FW, TPM $FAM on $BUS $DEV"

# the kernel's own driver of the device, registered in coexist mode (the
# exclusive guests keep it off): it gets the TPM (an earlier test may have
# left it free) and publishes its log; the TPM then moves to tpm_safe
# (loaded first: a free device would be taken at load)
case $BUS/${IFACE:-tis} in
pnp/*) kdrv=/sys/bus/pnp/drivers/tpm_tis ;;
*/crb) kdrv=$(ls -d /sys/bus/acpi/drivers/tpm_crb /sys/bus/platform/drivers/tpm_crb_acpi \
	2>/dev/null | head -n 1) ;;
*) kdrv=/sys/bus/platform/drivers/tpm_tis ;;
esac
[ -n "$kdrv" ] && [ -d "$kdrv" ] || kdrv=
check "module loads" load_module
bind() { echo -n $DEV > $D/bind && wait_for '[ -n "$(chip)" ]' 10; }
unbind() { echo -n $DEV > $D/unbind && wait_for '[ -z "$(chip)" ]' 10; }
builtin=
if [ -n "$kdrv" ]; then
	builtin=$kdrv
	[ -e $D/$DEV ] && unbind
	[ -e $kdrv/$DEV ] || check "the kernel's driver (${kdrv##*/}) gets $DEV" \
		sh -c "echo -n $DEV > $kdrv/bind"
	# its chip: the number may have moved on since boot
	kchip=
	for t in /sys/class/tpm/tpm[0-9]*; do
		[ "$(basename "$(readlink -f $t/device)")" = "$DEV" ] && kchip=${t##*/}
	done
	check "the kernel's driver (${kdrv##*/}, ${kchip:-no chip}) published the log" \
		cp $SEC/$kchip/binary_bios_measurements /tmp/log-builtin
	[ $FAM = 2 ] || check "...and its text form" \
		cp $SEC/$kchip/ascii_bios_measurements /tmp/log-builtin-ascii
	check "the TPM moves from ${kdrv##*/} to $DRV" sh -c \
		"echo -n $DEV > $kdrv/unbind && echo -n $DEV > $D/bind"
fi
check "$DRV bound $DEV" wait_for '[ -n "$(chip)" ]' 10
C=$(chip)
L=$SEC/$C/binary_bios_measurements
A=$SEC/$C/ascii_bios_measurements
# the registration line of this binding (the last one), not an earlier one
check "$C logs its event log with its source ($SRC)" sh -c \
	"dmesg | grep '$C: TPM .* on $DEV' | tail -n 1 | grep -q 'event log: [0-9]* events ($SRC)'"
check "binary_bios_measurements is published, mode 0440, root's" sh -c \
	"[ \"\$(stat -c '%a %U' $L)\" = '440 root' ]"
cp $L /tmp/log-safe 2>/dev/null
# ...and whose it is (the fault sweep checks it is published again)
echo $DEV > /tmp/log-safe.dev
if [ -n "$builtin" ]; then
	check "byte-identical to the kernel's driver's ($(stat -c %s /tmp/log-builtin 2>/dev/null) bytes)" \
		cmp /tmp/log-safe /tmp/log-builtin
else
	echo "# no kernel driver owned the TPM at boot (exclusive): no byte comparison"
fi
python3 tests/guest/eventlog.py replay /tmp/log-safe --family $FAM \
	--chip /sys/class/tpm_safe/$C || FAILS=$((FAILS + 1))
if [ $FAM = 2 ]; then
	python3 tests/guest/eventlog.py tools /tmp/log-safe /dev/$C ||
		FAILS=$((FAILS + 1))
	check "no ascii_bios_measurements for TPM 2.0" [ ! -e $A ]
else
	check "ascii_bios_measurements is published, mode 0440" sh -c \
		"[ \"\$(stat -c %a $A)\" = 440 ]"
	cp $A /tmp/log-ascii
	if [ -n "$builtin" ]; then
		check "ascii_bios_measurements byte-identical to the kernel's driver's" \
			cmp /tmp/log-ascii /tmp/log-builtin-ascii
	fi
	python3 tests/guest/eventlog.py ascii /tmp/log-safe /tmp/log-ascii ||
		FAILS=$((FAILS + 1))
fi
check "a reread gives the same bytes" cmp $L /tmp/log-safe
check "the file can be read in small pieces" sh -c \
	"dd if=$L bs=7 2>/dev/null | cmp - /tmp/log-safe"

# a reader holding the file: the module is pinned; across an unbind it
# gets ENODEV, then the chip's directory is gone
RC=/sys/module/tpm_safe/refcnt
r0=$(cat $RC)
exec 4< $L
check "an open log holds the module (refcnt $r0 -> $(cat $RC))" [ "$(cat $RC)" -eq $((r0 + 1)) ]
check "...so rmmod is refused" sh -c "! rmmod tpm_safe 2>/dev/null && [ -e $L ]"
exec 4<&-
check "closing it lets the module go (refcnt $(cat $RC))" [ "$(cat $RC)" -eq "$r0" ]
python3 tests/guest/eventlog.py slow $L $D/unbind $DEV || FAILS=$((FAILS + 1))
check "unbind removed $C's securityfs directory" sh -c \
	"[ ! -e $SEC/$C ] && [ ! -e /dev/$C ]"
check "rebind publishes it again, the same bytes" sh -c \
	"echo -n $DEV > $D/bind && cmp $LC /tmp/log-safe"
# a process holding the directory (its working directory, an open fd)
# across unbind and bind: the next chip publishes anew
exec 5< $SEC/$(chip)
check "unbind and bind with $(chip)/ held open: published again, the same bytes" sh -c \
	"echo -n $DEV > $D/unbind && echo -n $DEV > $D/bind && cmp $LC /tmp/log-safe"
exec 5<&-
# a reader and an O_PATH descriptor held across unbind and rmmod
python3 tests/guest/eventlog.py held $SEC/$(chip)/binary_bios_measurements $D/unbind $DEV ||
	FAILS=$((FAILS + 1))
check "module loads again" load_module
check "$DRV bound $DEV at load" wait_for '[ -n "$(chip)" ]' 10
check "...and published the same log" sh -c "cmp $LC /tmp/log-safe"
# a virtual TPM has no firmware log
if vtpm_start /tmp/el-vtpm; then
	check "a virtual TPM (tpmsafe$VT_NUM) answers and has no event log directory" sh -c \
		"[ -e /dev/tpmsafe$VT_NUM ] && [ ! -e $SEC/tpmsafe$VT_NUM ] && [ \$(ls $SEC | grep -c '^tpmsafe') -eq 1 ]"
	vtpm_stop
else
	nok "a virtual TPM attaches"
fi
check "objects balanced" objects_balanced
check "module unloads" unload_module

# malformed logs, through the test build
T=/sys/kernel/debug/tpm_safe/test_log
mkdir -p /tmp/badlogs
n=0
for v in $(python3 tests/guest/eventlog.py bad /tmp/log-safe --family $FAM /tmp/badlogs); do
	n=$((n + 1))
	eval "want_$v=1"
done
want=5
[ $FAM = 2 ] || want=2
check "malformed variants written: $n (want $want)" [ "$n" -eq "$want" ]
check "test build loads" insmod "${KO_TEST:?KO_TEST: the test build}"
wait_for '[ -n "$(chip)" ]' 10
check "test build: unbind" unbind
# answers: a command through the chip, in its family
answers() {
	if [ $FAM = 2 ]; then
		quick_rng /dev/$(chip)
	else
		grep -q '^PCR-00: ' /sys/class/tpm_safe/$(chip)/pcrs
	fi
}
# (quick_rng keeps its own _r)
# refused VARIANT WHAT: with VARIANT as test_log, a bind registers a chip
# that answers, publishes nothing and logs exactly one message, saying WHAT
refused() {
	_n0=$(dmesg | grep -c "tpmsafe[0-9]*: event log not published")
	cat /tmp/badlogs/$1 > $T || return 1
	bind || { echo "no chip"; return 1; }
	_rc=0
	if ! answers; then
		echo "the chip does not answer"; _rc=1
	elif [ -e $SEC/$(chip) ]; then
		echo "published"; _rc=1
	else
		_n1=$(dmesg | grep -c "tpmsafe[0-9]*: event log not published")
		if [ "$_n1" -ne $((_n0 + 1)) ]; then
			echo "$((_n1 - _n0)) messages"; _rc=1
		elif ! dmesg | grep "event log not published" | tail -n 1 | grep -q "$2"; then
			dmesg | tail -n 2; _rc=1
		fi
	fi
	unbind || { echo "unbind"; return 1; }
	return $_rc
}
check "truncated mid-event: refused, one message, the chip registers" \
	refused truncated "is cut off by the end of the area"
check "an event size past the area: refused, one message, the chip registers" \
	refused overrun "data bytes run past the area"
if [ $FAM = 2 ]; then
	check "an unknown digest algorithm: refused, one message, the chip registers" \
		refused badalg "algorithm 0x0099, which the Spec ID event does not list"
	check "a Spec ID event with no algorithm: refused, one message, the chip registers" \
		refused noalgs "the Spec ID event lists 0 algorithms"
	check "no Spec ID event: refused, one message, no fallback to the firmware's log" \
		refused nospecid "the test log does not open with a Spec ID event"
fi
check "the firmware's own log as test_log: published from it, the same bytes" sh -c \
	"cat /tmp/log-safe > $T && echo -n $DEV > $D/bind && cmp $LC /tmp/log-safe &&
	 dmesg | grep 'tpmsafe[0-9]*: TPM .* on $DEV' | tail -n 1 | grep -q 'events (test)' &&
	 echo -n $DEV > $D/unbind"
# the same log followed by 0xFF fill (unwritten flash): the same events
python3 -c "import sys; sys.stdout.buffer.write(open('/tmp/log-safe','rb').read() + b'\xff' * 4096)" > /tmp/log-ff
check "the log followed by 0xFF fill: published from it, without the fill" sh -c \
	"cat /tmp/log-ff > $T && echo -n $DEV > $D/bind && cmp $LC /tmp/log-safe &&
	 dmesg | grep 'tpmsafe[0-9]*: TPM .* on $DEV' | tail -n 1 | grep -q 'events (test)' &&
	 echo -n $DEV > $D/unbind"
check "an empty write clears test_log: the firmware's log again ($SRC)" sh -c \
	"python3 -c 'import os; fd = os.open(\"$T\", os.O_WRONLY); os.write(fd, b\"\")' &&
	 echo -n $DEV > $D/bind && cmp $LC /tmp/log-safe &&
	 dmesg | grep 'tpmsafe[0-9]*: TPM .* on $DEV' | tail -n 1 | grep -q 'events ($SRC)'"
check "objects balanced" objects_balanced
check "module unloads" unload_module
# the kernel's driver gets its TPM back
if [ -n "$builtin" ]; then
	check "the kernel's driver takes the TPM back" sh -c "echo -n $DEV > $builtin/bind"
fi
finish
