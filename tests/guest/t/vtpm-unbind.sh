# SPDX-License-Identifier: GPL-2.0
# Unbind/rebind tpm_safe_vtpm.M under load: blocking and O_NONBLOCK clients,
# sysfs readers, a hwrng reader, an open/close loop.
. tests/guest/lib.sh
check "module loads" load_module
stress_run unbind --cycles "${UNBIND_CYCLES:-100}"
