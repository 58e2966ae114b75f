# SPDX-License-Identifier: GPL-2.0
# Exclusive mode, nothing bound to the QEMU TIS device: probing with irq=5
# while another locality holds the TPM, and locality 0 has an interrupt
# status raised that it cannot clear (QEMU's line stays raised).  The probe
# fails with EBUSY and one log line each time, leaves no handler on the
# line, no locality request pending, and the line usable: once the other
# locality lets go, a bind uses the interrupt and the line delivers.
# The TPM is set up from /dev/mem (tpmsafe.py tis-reg), which maps the TIS
# registers only while no driver holds their region.
. tests/guest/lib.sh
DEV=MSFT0101:00
P=/sys/bus/platform/devices/$DEV
DRV=/sys/bus/platform/drivers/tpm_safe_tis
IRQ=5
REG="$TPY tis-reg"

# bind_op bind|unbind: write the device to the driver's file; prints OK or
# the errno's name
bind_op() { write_errno "$DRV/$1" "$DEV"; }
no_handler() { ! irq_in_use $IRQ; }
# irq_count: calls on line IRQ, every CPU
irq_count() {
	awk -v l="$IRQ:" '$1 == l { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i }
		END { print n + 0 }' /proc/interrupts
}
# mark NAME: a marker in the kernel log; log_since NAME PATTERN: how many
# kernel log lines after that marker match PATTERN
mark() { echo "tis-irqprobe: $1" > /dev/kmsg; }
log_since() { dmesg | sed -n "/tis-irqprobe: $1\$/,\$p" | grep -c "$2"; }
NOT_GRANTED="$DEV: locality 0 not granted"

if [ -e $P/driver ] || grep -q '^tpm_safe ' /proc/modules; then
	nok "exclusive mode, tpm_safe not loaded, nothing bound to $DEV ($(readlink $P/driver))"
	finish
fi
if out=$($REG setup 2>&1); then
	ok "setup: locality 1 holds the TPM, locality 0's interrupt status raised ($out)"
else
	nok "setup: locality 1 holds the TPM, locality 0's interrupt status raised"
	echo "$out" | sed 's/^/#   /'
	finish
fi

# 1. the probe at module load, then a bind
mark busy
check "module loads (irq=$IRQ)" load_module irq=$IRQ
check "the probe failed: $DEV unbound" sh -c "[ ! -e $P/driver ]"
check "no tpm_safe_tis handler on IRQ $IRQ after the failed probe" no_handler
check "one log line: locality 0 not granted" [ "$(log_since busy "$NOT_GRANTED")" = 1 ]
check "the failed probe withdrew its locality request" $REG no-request-0
check "locality 1 still holds the TPM" $REG held-by-1
r=$(bind_op bind)
check "a bind while locality 1 holds the TPM fails with EBUSY ($r)" [ "$r" = EBUSY ]
check "no tpm_safe_tis handler on IRQ $IRQ after the failed bind" no_handler
check "...one more log line" [ "$(log_since busy "$NOT_GRANTED")" = 2 ]
check "...no locality request left" $REG no-request-0

# 2. locality 1 lets go (locality 0's status still raised): the bind works,
# finds the interrupt working, and the line delivers
check "locality 1 lets go: no locality active" $REG release-1
mark free
r=$(bind_op bind)
check "bind with irq=$IRQ ($r)" [ "$r" = OK ]
S=$(echo $P/tpm_safe/tpmsafe*)
NODE=/dev/${S##*/}
check "the chip is there ($NODE)" [ -e "$S" ]
check "the probe uses IRQ $IRQ" [ "$(log_since free "$DEV: using IRQ $IRQ")" = 1 ]
check "/proc/interrupts shows tpm_safe_tis on IRQ $IRQ" irq_in_use $IRQ
c0=$(irq_count)
check "chip works" $TPY check --dev $NODE
c1=$(irq_count)
check "IRQ $IRQ delivers: its count grew with the commands ($c0 -> $c1)" [ "$c1" -gt "$c0" ]
check "no storm and no lost interrupts reported" sh -c \
	"! dmesg | grep -E 'tpm_safe_tis.*(storm|interrupts lost)'"
r=$(bind_op unbind)
check "unbind ($r)" [ "$r" = OK ]
check "no tpm_safe_tis handler on IRQ $IRQ after the unbind" no_handler
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
