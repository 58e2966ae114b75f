# SPDX-License-Identifier: GPL-2.0
# Unbind/rebind tpm_safe_vtpm.M under load: blocking and O_NONBLOCK clients,
# sysfs readers, a hwrng reader, an open/close loop.
. tests/guest/lib.sh
check "module loads" load_module
python3 tests/guest/stress.py unbind --cycles "${UNBIND_CYCLES:-100}"
rc=$?
check "objects balanced" objects_balanced
sed 's/^/# objects: /' $OBJ
check "module unloads" unload_module
[ $rc -eq 0 ] && finish
exit 1
