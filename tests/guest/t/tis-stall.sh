# SPDX-License-Identifier: GPL-2.0
# swtpm (behind QEMU's TIS) SIGSTOPped mid-command: the command fails with
# ETIME within its duration and is cancelled; after SIGCONT the chip works;
# unbind and module unload while a command is stuck finish within the
# timeouts, never hang.
. tests/guest/lib.sh
DEV=MSFT0101:00
DRV=/sys/bus/platform/drivers/tpm_safe_tis
S=/sys/class/tpm_safe/tpmsafe0
check "module loads" load_module irq=${TIS_IRQ:-0}
check "chip works" $TPY check --dev /dev/tpmsafe0

# a blocking GetRandom (2 s duration) against a stopped TPM
cat > /tmp/one.py <<'PY'
import errno, os, sys, time
sys.path.insert(0, "tests/guest")
import tpmsafe as T
t = time.monotonic()
try:
    fd = os.open(sys.argv[1], os.O_RDWR)
    T.check_rsp(T.transact(fd, T.get_random(16)))
    r = "ok"
except OSError as e:
    r = errno.errorcode[e.errno]
print("%s %d" % (r, (time.monotonic() - t) * 1000))
PY

host_req stop || nok "host stops swtpm"
set -- $(python3 /tmp/one.py /dev/tpmsafe0)
echo "# stalled command: $1 after $2 ms"
echo "FIGURE stalled command: $1 after $2 ms"
check "stalled command fails with ETIME" [ "$1" = ETIME ]
check "...within its duration plus slack (<= 4000 ms)" [ "$2" -le 4000 ]
host_req cont || nok "host continues swtpm"
check "after SIGCONT the chip works" $TPY check --dev /dev/tpmsafe0
check "err_timeout counted" sh -c "[ \$(cat $S/stats/err_timeout) -ge 1 ]"

# unbind while a command is stuck
host_req stop
before=$(cat $S/stats/commands)
python3 /tmp/one.py /dev/tpmsafe0 > /tmp/stuck.out &
wait_for "[ \$(cat $S/stats/commands) -gt $before ]" 10
t0=$(date +%s%N)
echo -n $DEV > $DRV/unbind
ms=$(ms_since $t0)
wait
echo "FIGURE unbind with a stuck command: $ms ms; client got $(cat /tmp/stuck.out)"
check "unbind with a stuck command returns (${ms} ms <= 10000)" [ "$ms" -le 10000 ]
check "the stuck client got EPIPE" grep -q '^EPIPE' /tmp/stuck.out
host_req cont
check "rebind after SIGCONT" sh -c "echo -n $DEV > $DRV/bind"
check "chip works after rebind" $TPY check --dev /dev/tpmsafe0

# module unload while a command is stuck (the client holds the file open:
# rmmod refuses while it is open, then succeeds once it is closed)
host_req stop
before=$(cat $S/stats/commands)
python3 /tmp/one.py /dev/tpmsafe0 > /tmp/stuck.out &
wait_for "[ \$(cat $S/stats/commands) -gt $before ]" 10
check "rmmod while a file is open fails cleanly (EBUSY)" sh -c "! rmmod tpm_safe 2>/dev/null"
wait
echo "# client got $(cat /tmp/stuck.out)"
t0=$(date +%s%N)
check "rmmod with the TPM still stalled returns" unload_module
ms=$(ms_since $t0)
echo "FIGURE rmmod with a stalled TPM: $ms ms"
check "...within the timeouts ($ms ms <= 10000)" [ "$ms" -le 10000 ]
host_req cont
check "the device is free again" sh -c "[ ! -e /sys/bus/platform/devices/$DEV/driver ]"
finish
