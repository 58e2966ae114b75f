# SPDX-License-Identifier: GPL-2.0
# Runtime PM of a virtual TPM's platform device, inside the fence: idle ->
# suspended, a command resumes it, the standard knobs work, no command ever
# reaches a suspended backend, failing resumes are recoverable, unbind while
# suspended and while a resume is in progress.
. tests/guest/lib.sh
check "module loads" load_module
vtpm_start /tmp/pm-runtime || { nok "swtpm attaches"; finish; }
D=/dev/tpmsafe$VT_NUM
PD=/sys/bus/platform/devices/tpm_safe_vtpm.$VT_DEVID
DRV=/sys/bus/platform/drivers/tpm_safe_vtpm
status() { cat $PD/power/runtime_status; }

check "autosuspend_delay_ms defaults to 200" sh -c "[ \$(cat $PD/power/autosuspend_delay_ms) = 200 ]"
check "autosuspend_delay_ms set to 50" sh -c "echo 50 > $PD/power/autosuspend_delay_ms"
check "idle longer than the delay: suspended" wait_for "[ \"\$(status)\" = suspended ]" 5
r0=$(cat $PD/rpm_resumes)
check "a command works from suspended" $TPY check --dev $D
check "...and resumed the device" sh -c "[ \$(cat $PD/rpm_resumes) -gt $r0 ]"
check "suspended again after the delay" wait_for "[ \"\$(status)\" = suspended ]" 5
check "power/control set to on" sh -c "echo on > $PD/power/control"
check "power/control=on: active" sh -c "[ \"\$(cat $PD/power/runtime_status)\" = active ]"
latency "300 commands with control=on" 300 $D \
	--label "FIGURE runtime PM control=on (never suspends)"
check "power/control auto, autosuspend 0 ms" sh -c \
	"echo auto > $PD/power/control && echo 0 > $PD/power/autosuspend_delay_ms"
latency "300 commands at autosuspend 0 ms" 300 $D \
	--label "FIGURE runtime PM autosuspend 0 ms (resume per command)"

# 1000 commands at 0 ms autosuspend with sysfs and hwrng readers
s0=$(cat $PD/rpm_suspends)
r0=$(cat $PD/rpm_resumes)
python3 tests/guest/stress.py worker sysfs > /tmp/w1.out &
w1=$!
python3 tests/guest/stress.py worker hwrng > /tmp/w2.out &
w2=$!
# each prints "ready" once its SIGTERM handler is in place: a worker
# stopped before that would leave no count
check "the sysfs and hwrng readers are ready" \
	wait_for "grep -qx ready /tmp/w1.out && grep -qx ready /tmp/w2.out" $((30 * TIME_SCALE))
check "1000 commands at autosuspend 0 ms with sysfs and hwrng readers" \
	python3 tests/bench/latency.py --dev $D --n 1000 --label "# load"
kill -TERM $w1 $w2
wait
echo "FIGURE runtime PM under load: $(( $(cat $PD/rpm_suspends) - s0 )) suspends, $(( $(cat $PD/rpm_resumes) - r0 )) resumes; readers: sysfs $(tail -n 1 /tmp/w1.out) hwrng $(tail -n 1 /tmp/w2.out)"
# nothing is unbound here: the readers must only have succeeded
# (each prints its counts last, as JSON: only {"ok": N} with N > 0)
check "the sysfs and hwrng readers read, and never failed ($(tail -n 1 /tmp/w1.out), $(tail -n 1 /tmp/w2.out))" \
	sh -c "tail -n 1 /tmp/w1.out | grep -qxE '\{\"ok\": [1-9][0-9]*\}' &&
		tail -n 1 /tmp/w2.out | grep -qxE '\{\"ok\": [1-9][0-9]*\}'"
check "no command reached the backend while suspended" sh -c "[ \$(cat $PD/io_while_suspended) = 0 ]"

# hook_limit NAME BAD GOOD: BAD is refused with ERANGE, GOOD is taken
hook_limit() {
	_e=$(write_errno $PD/$1 $2)
	[ "$_e" = ERANGE ] || { echo "$1=$2: $_e"; return 1; }
	_e=$(write_errno $PD/$1 $3)
	[ "$_e" = OK ] && [ "$(cat $PD/$1)" = "$3" ] || { echo "$1=$3: $_e, reads $(cat $PD/$1)"; return 1; }
}
check "test hook resume_delay_ms refuses 10001 (ERANGE), takes 10000" hook_limit resume_delay_ms 10001 10000
check "test hook fail_resumes refuses 2^31 (ERANGE)" hook_limit fail_resumes 2147483648 0
check "test hook fail_sleep_resumes refuses 2^31 (ERANGE)" hook_limit fail_sleep_resumes 2147483648 0
check "resume_delay_ms back to 0" hook_limit resume_delay_ms 10001 0

# a failing resume: the command gets EIO, the next one works
check "autosuspend 50 ms again" sh -c "echo 50 > $PD/power/autosuspend_delay_ms"
check "suspended before a failing resume" wait_for "[ \"\$(status)\" = suspended ]" 5
check "one resume set to fail" sh -c "echo 1 > $PD/fail_resumes"
check "a command whose resume fails gets EIO" $TPY send $D 0x17B 0008 --expect EIO
check "the next command resumes and works" $TPY check --dev $D

# unbind while runtime-suspended
check "suspended before the unbind" wait_for "[ \"\$(status)\" = suspended ]" 5
check "unbind while runtime-suspended" sh -c "echo tpm_safe_vtpm.$VT_DEVID > $DRV/unbind"
check "bind again" sh -c "echo tpm_safe_vtpm.$VT_DEVID > $DRV/bind"
check "works after rebind" $TPY check --dev $D

# unbind while a resume is in progress (resumes made slow)
check "autosuspend 50 ms after the rebind" sh -c "echo 50 > $PD/power/autosuspend_delay_ms"
check "suspended before a slow resume" wait_for "[ \"\$(status)\" = suspended ]" 5
check "resumes made to take 2 s" sh -c "echo 2000 > $PD/resume_delay_ms"
python3 tests/guest/tpmsafe.py check --dev $D > /tmp/resuming.out 2>&1 &
# the state seen by the wait itself: a second read may come after the
# resume on a busy guest; the client's python can take seconds to start
if wait_for "[ \"\$(status)\" = resuming ]" 30; then
	ok "a resume is in progress"
else
	nok "a resume is in progress (status $(status))"
fi
t0=$(date +%s%N)
check "unbind while resuming" sh -c "echo tpm_safe_vtpm.$VT_DEVID > $DRV/unbind"
echo "FIGURE unbind during a 2000 ms resume: $(ms_since $t0) ms"
wait
echo "# the client during that unbind: $(tail -n 1 /tmp/resuming.out)"
check "bind again" sh -c "echo tpm_safe_vtpm.$VT_DEVID > $DRV/bind"
echo 0 > $PD/resume_delay_ms
check "works after rebind" $TPY check --dev $D
check "swtpm killed: the device goes away" vtpm_stop
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
