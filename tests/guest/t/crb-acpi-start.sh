# SPDX-License-Identifier: GPL-2.0
# CRB with an ACPI start method (TPM2 start method 8): after writing START
# the driver calls the firmware's start _DSM for every command, honours its
# answer, and leaves locality and power to the firmware (no locality
# request, no cmdReady, no goIdle).  QEMU's TPM2 table always says 7: the
# test build takes 8 (crb_test_sm=8), and the guest runs with run.sh
# --crb-acpi-start, whose SSDT (tests/qemu/crb-acpi-start.asl) gives the
# device the _DSM a firmware would.  QEMU ignores a START written with no
# locality assigned, so only the _DSM starts commands: it requests
# locality 0, writes START and gives the locality back, each seen in
# QEMU's trace; it answers 1 (failure) for a TPM2_ReadClock, unstarted.
. tests/guest/lib.sh
DEV=MSFT0101:00
PW=/sys/bus/platform/devices/$DEV
DRV=/sys/bus/platform/drivers/tpm_safe_crb
cnt() { cat $PW/$1; }
# qw LINE REG VAL: QEMU's traced CRB writes of VAL (hex, a regex) to REG
# (hex offset) after line LINE of its trace
qw() { tail -n +$(($1 + 1)) $R/qemu-trace.log | grep -c "CRB write 0x0*$2 len:4 val: 0x$3\$"; }
failed() { dmesg | grep -c "tpm_safe_crb $DEV: ACPI start method failed"; }
ssdt() { grep -l CRBSTART /sys/firmware/acpi/tables/SSDT* 2>/dev/null | head -n 1; }

check "the firmware's tables hold the start _DSM's SSDT (run.sh --crb-acpi-start): $(ssdt)" \
	[ -n "$(ssdt)" ]
no_builtin() { crb_release_builtin && ! builtin_crb $DEV; }
check "no built-in driver owns $DEV" no_builtin
check "QEMU's trace of the CRB writes is there" [ -e $R/qemu-trace.log ]
t0=$(wc -l < $R/qemu-trace.log)
f0=$(failed)
check "the test build loads with start method 8" \
	insmod "${KO_TEST:?KO_TEST: the test build}" crb_test_sm=8 hwrng=0
check "...tpm_safe_crb bound $DEV" crb_bound
crb_chip
check "the probe names start method 8" sh -c "echo '$PROBE' | grep -q 'start method 8, '"
tpm_smoke_set $NODE
latency "300 commands on $NODE (ACPI start)" 300 $NODE \
	--label "FIGURE tpm_safe_crb ACPI start method"
# every command went through the _DSM: as many starts by it (locality
# requests, each given back) as commands sent
req=$(qw $t0 8 1) rel=$(qw $t0 8 2) n=$(cat $S/stats/commands)
echo "FIGURE tpm_safe_crb ACPI start method: $n commands, $req _DSM starts"
check "each of the $n commands started by the _DSM, once ($req locality requests, $rel given back)" \
	[ "$req" -eq "$n" -a "$req" -eq "$rel" ]

# the firmware's failure: EIO to the caller, one message of the backend's,
# nothing started, the chip serves on
c0=$(cat $S/stats/commands) e0=$(cat $S/stats/err_io) q0=$(qw $t0 8 1)
check "a command the _DSM fails (TPM2_ReadClock): EIO" \
	$TPY send $NODE 0x181 --expect EIO
check "...one message ($f0 -> $(failed))" [ "$(failed)" -eq $((f0 + 1)) ]
check "...counted: one command, one I/O error ($c0 -> $(cat $S/stats/commands), $e0 -> $(cat $S/stats/err_io))" \
	[ "$(cat $S/stats/commands)" -eq $((c0 + 1)) -a "$(cat $S/stats/err_io)" -eq $((e0 + 1)) ]
check "...and never started ($q0 -> $(qw $t0 8 1) locality requests)" [ "$(qw $t0 8 1)" -eq "$q0" ]
c1=$(cat $S/stats/commands)
# runtime suspends counted before this command: one comes after it
s0=$(cnt rpm_suspends)
check "...the next commands are answered" $TPY check --dev $NODE
check "...through the _DSM ($q0 -> $(qw $t0 8 1) requests, $c1 -> $(cat $S/stats/commands) commands)" \
	[ $(( $(qw $t0 8 1) - q0 )) -eq $(( $(cat $S/stats/commands) - c1 )) ]

# power is the firmware's: runtime suspend sends no goIdle, resume no cmdReady
check "idle: runtime-suspended (autosuspend 200 ms)" \
	wait_for "[ \"\$(cat $PW/power/runtime_status)\" = suspended ] && [ \"\$(cnt rpm_suspends)\" -gt $s0 ]" 5
r0=$(cnt rpm_resumes)
check "...a command after it is answered" $TPY check --dev $NODE
check "...after a runtime resume ($r0 -> $(cnt rpm_resumes))" [ "$(cnt rpm_resumes)" -gt "$r0" ]
check "no goIdle or cmdReady counted ($(cnt go_idles), $(cnt cmd_readys))" \
	[ "$(cnt go_idles)" -eq 0 -a "$(cnt cmd_readys)" -eq 0 ]
check "...and QEMU saw no write to the request register ($(qw $t0 40 '[0-9a-f]*'))" \
	[ "$(qw $t0 40 '[0-9a-f]*')" -eq 0 ]

check "unbind" sh -c "echo -n $DEV > $DRV/unbind"
shutdown_last unbind
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
