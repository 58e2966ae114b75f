# SPDX-License-Identifier: GPL-2.0
# Shared helpers for guest tests (sourced), also by the RAM guest's init
# (tests/qemu/ram-init).  Tests print TAP lines "ok - what" / "not ok -
# what" (NTAP counts them, FAILS the failures), diagnostics "# ...", figures
# "FIGURE ...", each after TAP_PREFIX (the RAM guest's "TAP ": its console
# mixes them with the kernel's).
R=/tmp/results
# the plan's variables (run.sh --env) reach the tests' own programs too
if [ -f "$R/plan" ]; then
	set -a
	. "$R/plan"
	set +a
fi
# bounds of liveness checks grow with it on slow kernels
export TIME_SCALE="${TIME_SCALE:-1}"
TPY="python3 tests/guest/tpmsafe.py"
OBJ=/sys/kernel/debug/tpm_safe/objects
FAILS=0
NTAP=0

ok() { NTAP=$((NTAP + 1)); echo "${TAP_PREFIX:-}ok - $*"; }
nok() { NTAP=$((NTAP + 1)); FAILS=$((FAILS + 1)); echo "${TAP_PREFIX:-}not ok - $*"; }
# check DESC CMD...: one TAP line from a command's exit status
check() {
	desc=$1
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		nok "$desc"
		echo "$out" | tail -n 10 | sed "s/^/${TAP_PREFIX:-}#   /"
	fi
}
finish() { [ "$FAILS" -eq 0 ]; exit $?; }

# Load the module: from dkms (modprobe) or the build tree (insmod).
load_module() {
	if [ "${LOAD:-insmod}" = modprobe ]; then
		modprobe tpm_safe "$@"
	else
		insmod "${KO:-tpm_safe.ko}" "$@"
	fi
}

unload_module() {
	rmmod tpm_safe
}

# wait_for COND_CMD [SECONDS]: poll a condition with a deadline (no event
# exists for a sysfs node appearing or going away without udev).
# (uptime in hundredths: the whole SECONDS, never less)
wait_for() {
	read _up _ < /proc/uptime
	_end=$(( ${_up%.*} * 100 + 1${_up#*.} - 100 + ${2:-10} * 100 ))
	while :; do
		eval "$1" && return 0
		read _up _ < /proc/uptime
		[ $(( ${_up%.*} * 100 + 1${_up#*.} - 100 )) -lt "$_end" ] || return 1
		sleep 0.02
	done
}

# vtpm_start STATE_DIR: attach a swtpm; sets VT_NUM VT_PID VT_DEVID.
vtpm_start() {
	set -- $($TPY launch --state "$1")
	VT_NUM=$1
	VT_PID=$2
	VT_DEVID=$3
	[ "$VT_NUM" != none ]
}

# vtpm_stop: kill the swtpm and wait for its device to disappear.
vtpm_stop() {
	kill -9 "$VT_PID" 2>/dev/null
	wait_for "[ ! -e /sys/bus/platform/devices/tpm_safe_vtpm.$VT_DEVID ]" 20
}

# Every object the module created was destroyed, but for the chips still
# registered (a TIS TPM bound to tpm_safe_tis) and their virtual TPMs.
# Releases may be deferred (DEBUG_KOBJECT_RELEASE: up to 4 s): wait 10 s.
objects_balanced() {
	wait_for "objects_balanced_now >/dev/null" 10 || objects_balanced_now
}

objects_balanced_now() {
	chips=$(ls -d /sys/class/tpm_safe/tpmsafe* 2>/dev/null | wc -l)
	vtpms=$(ls -d /sys/bus/platform/devices/tpm_safe_vtpm.* 2>/dev/null | wc -l)
	awk -v chips="$chips" -v vtpms="$vtpms" '
		{ live = ($1 == "chip") ? chips : ($1 == "vtpm") ? vtpms : 0 }
		$2 - $3 != live { bad = 1; print "# leak: " $0 " (live " live ")" }
		END { exit bad }' "$OBJ"
}

dmesg_clean() {
	! dmesg | grep -E 'WARNING:|BUG:|Oops|KASAN|refcount_t|circular locking|unreferenced object'
}

# host_req stop|cont|lastcmd: ask the host to SIGSTOP/SIGCONT the swtpm
# behind QEMU's TPM, or for the last command it read (code and two bytes,
# printed: needs the run's swtpm log at level 20, see tests/qemu/run.sh),
# and wait for its answer.
HOST_REQS=0
host_req() {
	HOST_REQS=$((HOST_REQS + 1))
	_id=$$-$HOST_REQS-$(date +%s%N)
	echo "$1" > $R/.host-req.$_id && mv $R/.host-req.$_id $R/host-req.$_id &&
		wait_for "[ -f $R/host-ack.$_id ]" 10 || return 1
	[ "$1" != lastcmd ] || cat $R/host-ack.$_id
}

# shutdown_last NAME: TPM2_Shutdown(CLEAR) was the last command the TPM
# behind QEMU's device read (after NAME's unbind)
shutdown_last() {
	_last=$(host_req lastcmd)
	check "$1: the TPM's last command was TPM2_Shutdown(CLEAR) (${_last:-none})" \
		[ "$_last" = "00000145 0000" ]
}

# latency DESC N DEV ARGS...: a tests/bench/latency.py run of N commands on
# DEV, its output printed (FIGURE lines as they are, the rest as comments),
# and one TAP line DESC: it exited 0 and reports N commands done
latency() {
	_desc=$1 _n=$2 _dev=$3
	shift 3
	_out=$(python3 tests/bench/latency.py --dev "$_dev" --n "$_n" "$@" 2>&1)
	_rc=$?
	echo "$_out" | sed '/^FIGURE /!s/^/# /'
	if [ $_rc -eq 0 ] && echo "$_out" | grep -q ": $_n commands, "; then
		ok "$_desc"
	else
		nok "$_desc"
		echo "#   latency.py exited $_rc"
	fi
}

# bench_setup: what make bench's figures stand on, checked, not assumed:
# the allocator as users have it, without the debugging every test boot
# has (slub_debug=-); no hwrng fill thread (rng_core.default_quality=0:
# no TPM's GetRandom between the client's commands); and every client and
# server on CPU 0 only (the
# script re-runs itself under taskset: under single-threaded TCG a wake-up
# across vCPUs waits for the other vCPU's turn, so the scheduler's
# placement, not the path, would set the figures).  Call it first.
bench_setup() {
	[ -n "${BENCH_PINNED:-}" ] || BENCH_PINNED=1 exec taskset -c 0 sh "$0"
	check "every client and server on CPU 0 (mask $(taskset -p $$ | sed 's/.*: //'))" \
		sh -c "taskset -p $$ | grep -q ': 1\$'"
	check "no allocator debugging in this boot (slub_debug=-)" sh -c \
		'[ "$(cat /sys/kernel/slab/kmalloc-64/store_user /sys/kernel/slab/kmalloc-64/sanity_checks)" = "0
0" ]'
	check "no hwrng fill thread (rng_core default_quality 0)" \
		grep -qx 0 /sys/module/rng_core/parameters/default_quality
}

# bench_lat ARGS...: a tests/bench/latency.py run for make bench, timed by
# the C client in $LAT_CLIENT (none there: a failure), its output as
# comments, and one TAP line: it exited 0
bench_lat() {
	_out=$(python3 tests/bench/latency.py --client "${LAT_CLIENT:-/none}" "$@" 2>&1)
	_rc=$?
	echo "$_out" | sed 's/^/# /'
	if [ $_rc -eq 0 ]; then
		ok "latency.py $*"
	else
		nok "latency.py $* (exit $_rc)"
	fi
}

# irq_in_use IRQ: /proc/interrupts shows tpm_safe_tis on the line of IRQ
irq_in_use() { grep -qE "^ *$1:.*tpm_safe_tis" /proc/interrupts; }

# ms_since START_NS: milliseconds since a `date +%s%N` value
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# pcr_extended OLD DATA FILE: the sysfs PCR FILE holds sha256(OLD || DATA)
# (hex digests), and so differs from OLD
pcr_extended() { $TPY pcr-extended "$@"; }

# tpm_smoke_set DEV: tpm2-tools smoke set, raw commands and Linux's TPM 2.0
# selftests against one node.
tpm_smoke_set() {
	T="-T device:$1"
	_pcr16=/sys/class/tpm_safe/${1#/dev/}/pcr-sha256/16
	_ext=0000000000000000000000000000000000000000000000000000000000000001
	check "tpm2_getrandom" tpm2_getrandom $T 8 --hex
	check "tpm2_selftest" tpm2_selftest $T --fulltest
	check "tpm2_getcap properties-fixed" tpm2_getcap $T properties-fixed
	check "tpm2_pcrread" tpm2_pcrread $T sha256:16
	_old=$(cat $_pcr16)
	check "tpm2_pcrextend" tpm2_pcrextend $T 16:sha256=$_ext
	check "sysfs pcr-sha256/16 is sha256(before || data) after the extend" \
		pcr_extended "$_old" $_ext $_pcr16
	check "tpm2_createprimary" tpm2_createprimary $T -C o -c /tmp/prim.ctx
	check "tpm2_flushcontext" tpm2_flushcontext $T -t
	check "raw commands (getrandom, pcr_read, 1 KiB hash)" $TPY check --dev $1
	SELFTEST_DEV=$1 sh tests/guest/selftests.sh ||
		nok "Linux TPM 2.0 selftests on $1 (exit status)"
}

# builtin_crb DEV: the sysfs folder of the kernel's CRB driver bound to DEV
# (an ACPI driver, tpm_crb, up to 6.12; a platform driver, tpm_crb_acpi,
# later), or nothing
builtin_crb() {
	for _d in /sys/bus/acpi/devices/$1/driver /sys/bus/platform/devices/$1/driver; do
		[ -e "$_d" ] || continue
		_d=$(readlink -f "$_d")
		case "${_d##*/}" in tpm_safe_*) ;; *) echo "$_d"; return 0 ;; esac
	done
	return 1
}

# write_errno FILE VALUE: write VALUE to FILE in one write(); print OK or
# the errno's name (dash's echo says "I/O error" for every failure)
write_errno() { $TPY write-errno "$1" "$2"; }

# quick_rng NODE: one TPM2_GetRandom(8) from a shell (no interpreter to
# start): the response must be 20 bytes, success, 8 random bytes
quick_rng() {
	exec 3<>"$1" || return 1
	printf '\200\001\000\000\000\014\000\000\001\173\000\010' >&3 || { exec 3<&-; return 1; }
	_r=$(dd bs=4096 count=1 <&3 2>/dev/null | od -An -tx1 | tr -d ' \n')
	exec 3<&-
	case $_r in 80010000001400000000*) [ ${#_r} -eq 40 ] ;; *) return 1 ;; esac
}

# crb_release_builtin: a guest with -device tpm-crb boots with the kernel's
# CRB driver bound (coexist): it lets the device go, so that the test starts
# as with the built-in driver kept off
crb_release_builtin() {
	[ "${IFACE:-tis}" = crb ] || return 0
	_b=$(builtin_crb MSFT0101:00) || return 0
	echo -n MSFT0101:00 > $_b/unbind
}

# crb_bound: tpm_safe_crb holds MSFT0101:00
crb_bound() {
	[ "$(basename "$(readlink /sys/bus/platform/devices/MSFT0101:00/driver)")" = tpm_safe_crb ]
}

# crb_chip: the chip tpm_safe_crb made for MSFT0101:00: its sysfs folder
# (S), node (NODE) and probe line (PROBE, printed)
crb_chip() {
	S=$(echo /sys/bus/platform/devices/MSFT0101:00/tpm_safe/tpmsafe*)
	NODE=/dev/${S##*/}
	PROBE=$(dmesg | grep "MSFT0101:00: ${S##*/}: CRB device" | tail -n 1)
	echo "# probe: $PROBE"
}
