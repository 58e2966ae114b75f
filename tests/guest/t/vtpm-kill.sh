# SPDX-License-Identifier: GPL-2.0
# swtpm SIGKILLed at random points (registration, idle, mid-command) with
# clients, sysfs and hwrng readers active.
. tests/guest/lib.sh
check "module loads" load_module
stress_run kill --cycles "${KILL_CYCLES:-50}"
