# SPDX-License-Identifier: GPL-2.0
# The shortest lifecycle: load, attach a swtpm, use it, detach, unload.
. tests/guest/lib.sh
check "module loads" load_module
if vtpm_start /tmp/load-unload; then
	ok "swtpm attaches"
	check "a command works" $TPY check --dev /dev/tpmsafe$VT_NUM
	R=/sys/class/misc/hw_random/rng_available
	check "hwrng tpm-safe-rng-$VT_NUM offered" grep -qw tpm-safe-rng-$VT_NUM $R
	# hwrng=0 at run time: chips registered from now on offer none
	first_pid=$VT_PID first_devid=$VT_DEVID first=$VT_NUM
	echo 0 > /sys/module/tpm_safe/parameters/hwrng
	if vtpm_start /tmp/load-unload2; then
		check "hwrng=0: the next chip (tpmsafe$VT_NUM) offers no hwrng, tpm-safe-rng-$first stays" \
			sh -c "! grep -qw tpm-safe-rng-$VT_NUM $R && grep -qw tpm-safe-rng-$first $R"
		check "second swtpm killed: its device goes away" vtpm_stop
	else
		nok "second swtpm attaches"
	fi
	echo 1 > /sys/module/tpm_safe/parameters/hwrng
	VT_PID=$first_pid VT_DEVID=$first_devid
	check "swtpm killed: the device goes away" vtpm_stop
else
	nok "swtpm attaches"
fi
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
