#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of the QEMU test bed: runs the planned tests, writes TAP to
# /tmp/results/tap, and the positive marker PASS to /tmp/results/verdict
# only after every test passed and the kernel is untainted but for O/E.
R=/tmp/results
# the plan's variables (run.sh --env) reach every test and its programs
set -a
. "$R/plan"
set +a
tap=$R/tap
: > "$tap"
: > "$R/figures"
n=0
failed=0

echo "# guest: kernel $(uname -r), mode $MODE, TPM $TPM, tests: $TESTS"
for test in $TESTS; do
	# a test by its name (tests/guest/t/NAME.sh or NAME.py), or a guest
	# program by its path (the demo, the benchmarks' guest sides)
	case $test in
	*/*) file=$test ;;
	*) file=tests/guest/t/$test.sh
	   [ -f "$file" ] || file=tests/guest/t/$test.py ;;
	esac
	case $file in *.py) run=python3 ;; *) run=sh ;; esac
	t=${test##*/}
	t=${t%.*}
	out=/tmp/test-$t.out
	start=$(date +%s)
	timeout -k 5 "${TEST_TIMEOUT:-600}" $run "$file" > "$out" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	cat "$out"
	results=0
	while IFS= read -r line; do
		case "$line" in
		"ok "*|"not ok "*)
			n=$((n + 1))
			results=$((results + 1))
			case "$line" in
			"not ok "*)
				failed=$((failed + 1))
				echo "not ok $n - $t: ${line#not ok - }" >> "$tap" ;;
			*) echo "ok $n - $t: ${line#ok - }" >> "$tap" ;;
			esac ;;
		"FIGURE "*) echo "$t: ${line#FIGURE }" >> "$R/figures" ;;
		esac
	done < "$out"
	# a test that failed, or that asserted nothing, is a failure
	if [ "$rc" -ne 0 ] || [ "$results" -eq 0 ]; then
		n=$((n + 1))
		failed=$((failed + 1))
		if [ "$rc" -ne 0 ]; then
			echo "not ok $n - $t: exited $rc after ${secs}s" >> "$tap"
		else
			echo "not ok $n - $t: exited 0 with no TAP line" >> "$tap"
		fi
		grep -v '^ok ' "$out" | tail -n 15 | sed 's/^/# /' >> "$tap"
	fi
	echo "# $t: ${secs}s" >> "$tap"
done
sed -i "1i 1..$n" "$tap"

# the kernel log as the guest saw it, checked on the host like the console
dmesg > "$R/dmesg" 2>&1
taint=$(cat /proc/sys/kernel/tainted)
echo "$taint" > "$R/taint"
bad=$((taint & ~(4096 | 8192)))
if [ "$failed" -eq 0 ] && [ "$bad" -eq 0 ] && [ "$n" -gt 0 ]; then
	echo PASS > "$R/verdict"
else
	echo "FAIL: $failed of $n failed, taint $taint" > "$R/verdict"
fi
sync
