# SPDX-License-Identifier: GPL-2.0
# /dev/tpmsafeN: every bad input and every state gets its documented errno.
. tests/guest/lib.sh
check "module loads" load_module
python3 tests/guest/errno_matrix.py
rc=$?
check "objects balanced" objects_balanced
check "module unloads" unload_module
[ $rc -eq 0 ] && finish
exit 1
