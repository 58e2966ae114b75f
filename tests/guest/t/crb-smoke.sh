# SPDX-License-Identifier: GPL-2.0
# QEMU's -device tpm-crb, the kernel's CRB driver off the device (kept off
# at boot, or unbound): tpm_safe_crb binds it by itself at load
# (tpm_safe_tis declines it); tpm2-tools and Linux's TPM
# 2.0 selftests on /dev/tpmsafe0; a command longer than the CRB buffer is
# refused whole (E2BIG); runtime PM sends goIdle when idle and cmdReady
# before the next command, and a loaded object survives it.
. tests/guest/lib.sh
DEV=MSFT0101:00
PW=/sys/bus/platform/devices/$DEV
status() { cat $PW/power/runtime_status; }
cnt() { cat $PW/$1; }
no_builtin() { crb_release_builtin && ! builtin_crb $DEV; }
check "no built-in driver owns $DEV (kept off or unbound)" no_builtin
declined() { dmesg | grep -c 'tpm_safe_tis MSFT0101:00: TPM2 start method 7 is not TIS/MMIO'; }
d0=$(declined)
check "module loads" load_module hwrng=0
check "tpm_safe_crb bound $DEV by itself" crb_bound
crb_chip
# QEMU: one 3968-byte buffer at 0xFED40080, start method 7
check "the probe names start method 7 and one 3968-byte buffer" sh -c \
	"echo '$PROBE' | grep -q 'start method 7, command 3968 / response 3968 bytes (one buffer), polling'"
check "tpm_safe_tis declined it at this load (start method 7 is not TIS)" \
	[ "$(declined)" -eq $((d0 + 1)) ]
tpm_smoke_set $NODE
latency "3000 commands on $NODE (crb)" 3000 $NODE \
	--label "FIGURE tpm_safe_crb polling" --json /tmp/results/latency.json

# a command longer than the buffer but within the 4096 bytes of the node
c0=$(cat $S/stats/commands)
check "a 4000-byte command on a 3968-byte buffer: E2BIG, nothing sent" \
	$TPY send $NODE 0x17B --size 4000 --expect E2BIG --at write
check "...no command counted ($c0 -> $(cat $S/stats/commands))" [ "$(cat $S/stats/commands)" = "$c0" ]
check "...and the chip works" $TPY check --dev $NODE

# runtime PM: goIdle when idle, cmdReady before the next command
# QEMU's own trace of the control area's request register (CTRL_REQ, 0x40):
# goIdle is a write of 2, cmdReady a write of 1
qreq() { grep -c "CRB write 0x0*40 len:4 val: 0x$1\$" $R/qemu-trace.log; }
s0=$(cnt rpm_suspends) g0=$(cnt go_idles) qg0=$(qreq 2)
check "tpm2_createprimary leaves a transient object loaded" \
	tpm2_createprimary -T device:$NODE -C o -c /tmp/crb-prim.ctx
h=$(tpm2_getcap -T device:$NODE handles-transient | sed -n 's/^- \(0x[0-9A-Fa-f]*\)$/\1/p' | head -n 1)
check "its handle is listed (${h:-none})" [ -n "$h" ]
check "idle: runtime-suspended with goIdle taken (autosuspend 200 ms)" \
	wait_for "[ \"\$(status)\" = suspended ] && [ \"\$(cnt go_idles)\" -gt $g0 ]" 5
check "...QEMU saw the goIdle write ($qg0 -> $(qreq 2))" [ "$(qreq 2)" -gt "$qg0" ]
c0=$(cnt cmd_readys) r0=$(cnt rpm_resumes) qc0=$(qreq 1)
check "the object survives goIdle: TPM2_ReadPublic($h) answers" \
	$TPY send $NODE 0x173 "$(printf %08x "$h")"
# cmdReady is counted only when the TPM reported idle: the goIdle held
check "...after a resume and a cmdReady (TPM was idle)" \
	[ "$(cnt rpm_resumes)" -gt "$r0" -a "$(cnt cmd_readys)" -gt "$c0" ]
check "...QEMU saw the cmdReady write ($qc0 -> $(qreq 1))" [ "$(qreq 1)" -gt "$qc0" ]
check "tpm2_flushcontext" tpm2_flushcontext -T device:$NODE -t
echo on > $PW/power/control
check "control=on: active" [ "$(status)" = active ]
g1=$(cnt go_idles) qg1=$(qreq 2)
$TPY check --dev $NODE > /dev/null
check "...a command with the device kept active sends no goIdle" \
	[ "$(cnt go_idles)" = "$g1" -a "$(qreq 2)" = "$qg1" ]
echo auto > $PW/power/control
s0=$(cnt rpm_suspends) r0=$(cnt rpm_resumes) g0=$(cnt go_idles) c0=$(cnt cmd_readys)
echo 0 > $PW/power/autosuspend_delay_ms
latency "300 commands, goIdle after each" 300 $NODE \
	--label "FIGURE tpm_safe_crb runtime PM at every command"
echo "FIGURE tpm_safe_crb runtime PM at every command: $(( $(cnt rpm_suspends) - s0 )) suspends, $(( $(cnt go_idles) - g0 )) goIdle, $(( $(cnt rpm_resumes) - r0 )) resumes, $(( $(cnt cmd_readys) - c0 )) cmdReady"
# a suspend the next command's resume overtakes is dropped (no goIdle, and
# the cmdReady finds the TPM ready), so how many pairs there are depends on
# timing; a counted cmdReady needs a goIdle before it, always
g=$(( $(cnt go_idles) - g0 )) c=$(( $(cnt cmd_readys) - c0 ))
check "...goIdle and cmdReady sent ($g, $c), no cmdReady counted without a goIdle before it" \
	[ $g -ge 1 -a $c -ge 1 -a $c -le $((g + 1)) ]
# each command from a runtime-suspended device: exactly one pair each
g0=$(cnt go_idles) c0=$(cnt cmd_readys)
check "50 commands, each after the device suspended" python3 -c "
import os, sys
sys.path.insert(0, 'tests/guest')
import tpmsafe as T
st = '$PW/power/runtime_status'
fd = os.open('$NODE', os.O_RDWR)
for i in range(50):
    if not T.wait_until(lambda: open(st).read().strip() == 'suspended', 10):
        sys.exit('not runtime-suspended before command %d' % i)
    T.check_rsp(T.transact(fd, T.get_random(8)))
"
wait_for "[ \"\$(status)\" = suspended ]" 10
check "...50 goIdle and 50 cmdReady, one pair per command ($(( $(cnt go_idles) - g0 )), $(( $(cnt cmd_readys) - c0 )))" \
	[ $(( $(cnt go_idles) - g0 )) -ge 50 -a $(( $(cnt cmd_readys) - c0 )) -ge 50 ]
echo 200 > $PW/power/autosuspend_delay_ms
echo "# runtime PM of $DEV: $(cnt rpm_suspends) suspends, $(cnt go_idles) goIdle, $(cnt rpm_resumes) resumes, $(cnt cmd_readys) cmdReady"
check "unbind" sh -c "echo -n $DEV > /sys/bus/platform/drivers/tpm_safe_crb/unbind"
shutdown_last unbind
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
