# SPDX-License-Identifier: GPL-2.0
# System sleep (pm_test=freezer) begun with a virtual TPM command in flight,
# and the task that began it SIGKILLed while the sleep notifier waits for
# that command: the wait goes on, the command gets its answer, the freezer
# does not fail (tests/guest/vtpm_sleep_kill.py).  No hwrng: only the
# test's client sends.
. tests/guest/lib.sh
check "module loads" load_module hwrng=0
python3 tests/guest/vtpm_sleep_kill.py || FAILS=$((FAILS + 1))
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
