# SPDX-License-Identifier: GPL-2.0
# System sleep (pm_test=freezer) entered while ten virtual TPM servers are
# slow to answer: the chips are all held before any command in flight is
# waited for, so entry takes about one command's duration, not ten
# (tests/guest/vtpm_sleep_drain.py).  No hwrng: only the test's clients send.
. tests/guest/lib.sh
check "module loads" load_module hwrng=0
python3 tests/guest/vtpm_sleep_drain.py || FAILS=$((FAILS + 1))
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
