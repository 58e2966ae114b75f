# SPDX-License-Identifier: GPL-2.0
# System sleep under load: /sys/power/pm_test (devices, platform) with
# freeze (and mem where offered), SLEEP_CYCLES times; the chips (a vtpm and
# the TIS TPM when tpm_safe_tis owns it) are fenced as suspended and work
# after every resume.
. tests/guest/lib.sh
check "module loads" load_module
vtpm_start /tmp/pm-sleep || { nok "swtpm attaches"; finish; }
echo "# /sys/power/state: $(cat /sys/power/state)"
echo 0 > /sys/module/suspend/parameters/pm_test_delay
states=freeze
grep -qw mem /sys/power/state && states="freeze mem"
python3 tests/guest/stress.py worker client > /tmp/c.out &
c=$!
python3 tests/guest/stress.py worker hwrng > /tmp/h.out &
h=$!
bad=0
n=0
i=0
while [ $i -lt ${SLEEP_CYCLES:-20} ]; do
	i=$((i + 1))
	for st in $states; do
		for lvl in devices platform; do
			n=$((n + 1))
			echo $lvl > /sys/power/pm_test
			if ! echo $st > /sys/power/state; then
				bad=$((bad + 1))
				echo "# cycle $i: $st/$lvl failed"
			fi
		done
	done
done
echo none > /sys/power/pm_test
kill -TERM $c $h
wait
echo "FIGURE system sleep: $n suspend/resume cycles ($states x devices,platform), client $(tail -n 1 /tmp/c.out), hwrng $(tail -n 1 /tmp/h.out)"
check "$n suspend/resume cycles under load" [ $bad -eq 0 ]
check "the vtpm works after them" $TPY check --dev /dev/tpmsafe$VT_NUM
for d in /sys/class/tpm_safe/tpmsafe*; do
	[ -e /dev/$(basename $d) ] && [ "$(basename $d)" != tpmsafe$VT_NUM ] &&
		check "$(basename $d) works after them" $TPY check --dev /dev/$(basename $d)
done
check "swtpm killed: the device goes away" vtpm_stop
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
