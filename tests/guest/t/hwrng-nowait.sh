# SPDX-License-Identifier: GPL-2.0
# Exclusive mode: a hwrng read that may not wait (an O_NONBLOCK /dev/hwrng
# reader; before Linux 6.10 also the switch to the next generator when the
# current one is unregistered) never waits for the chip's command in
# flight: the TIS chip and a fake server's virtual TPM are both hwrngs, the
# virtual TPM's ReadClock is held unanswered, and the read, then the TIS
# unbind, must return at once.  Bounds scale with TIME_SCALE.
. tests/guest/lib.sh
check "module loads (irq=${TIS_IRQ:-0})" load_module irq=${TIS_IRQ:-0}
python3 tests/guest/hwrng_nowait.py
rc=$?
check "objects balanced" objects_balanced
check "module unloads" unload_module
[ $rc -eq 0 ] && finish
exit 1
