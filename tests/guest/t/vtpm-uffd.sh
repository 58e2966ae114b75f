# SPDX-License-Identifier: GPL-2.0
# A virtual TPM server whose read() or write() buffer faults until the test
# resolves it (userfaultfd): a SIGKILLed client and an unbind finish within
# a bound all the same, and the chip serves again after
# (tests/guest/vtpm_uffd.py).  No hwrng: only the test's client sends.
. tests/guest/lib.sh
check "module loads" load_module hwrng=0
python3 tests/guest/vtpm_uffd.py || FAILS=$((FAILS + 1))
check "objects balanced" objects_balanced
sed 's/^/# objects: /' $OBJ
check "module unloads" unload_module
finish
