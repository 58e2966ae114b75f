# SPDX-License-Identifier: GPL-2.0
# Exclusive mode: systemd's own TPM client on the rm node.  A LUKS2 volume
# (a loop file) gets a TPM2 key slot from systemd-cryptenroll, bound to
# PCR 7, and systemd-cryptsetup unlocks it with the TPM alone (headless, no
# passphrase).  On a virtual TPM, again after the chip is unbound and bound
# (swtpm keeps its state) and after a pm_test=freezer sleep cycle; on the TIS chip,
# again after the sleep cycle.  Each unlock reads back the pattern written
# through the first, and the raw node shows nothing left in the TPM.
. tests/guest/lib.sh
DEV=MSFT0101:00
P=/sys/bus/platform/devices/$DEV
VOL=tpmsafe-luks
CS=/lib/systemd/systemd-cryptsetup
W=/tmp/cryptenroll
EXPECT_UNLOCKS=5

check "module loads" load_module
S=$(echo $P/tpm_safe/tpmsafe*)
N=${S##*tpmsafe}
check "tpm_safe_tis bound $DEV (tpmsafe$N)" [ -e "$S" ]
check "loop, dm_crypt and xts load" modprobe -a loop dm_crypt xts
rm -rf $W
mkdir -p $W
printf %s "tpmsafe test passphrase" > $W/pass
head -c 4096 /dev/urandom > $W/pattern
unlocks=0
exec 9>&1

# tmo CMD...: CMD with a deadline; past it, the kernel stacks of the tasks
# in tpm_safe or in the TPM clients (on the test's own output), then killed
tmo() {
	"$@" &
	_p=$!
	if wait_for "! kill -0 $_p 2>/dev/null" $((120 * TIME_SCALE)); then
		wait $_p
		return
	fi
	{
		echo "# $1 still running after $((120 * TIME_SCALE)) s"
		for _t in /proc/[0-9]*/task/[0-9]*; do
			case "$(cat $_t/comm 2>/dev/null)" in
			systemd-crypt* | cryptsetup | swtpm) ;;
			*) grep -q tpms_ $_t/stack 2>/dev/null || continue ;;
			esac
			echo "# task ${_t##*/} $(cat $_t/comm) $(cut -d' ' -f3 $_t/stat)"
			sed 's/^/#   /' $_t/stack
		done
		sed 's/^/# spaces: /' /sys/kernel/debug/tpm_safe/spaces
	} >&9 2>&1
	kill -9 $_p
	return 124
}

empty() {
	python3 tests/guest/rm.py empty --raw /dev/tpmsafe$1
}

# format LABEL: a fresh LUKS2 volume on a loop device; sets LOOP
format() {
	truncate -s 32M $W/$1.img
	LOOP=$(losetup -f --show $W/$1.img)
	check "$1: LUKS2 volume on $LOOP" tmo cryptsetup luksFormat --batch-mode \
		--type luks2 --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
		--key-file $W/pass "$LOOP"
}

# enroll LABEL NUM: a TPM2 key slot through /dev/tpmsafermNUM
enroll() {
	check "$1: systemd-cryptenroll --tpm2-device=/dev/tpmsaferm$2 --tpm2-pcrs=7" \
		tmo env PASSWORD="$(cat $W/pass)" systemd-cryptenroll \
		--tpm2-device=/dev/tpmsaferm$2 --tpm2-pcrs=7 "$LOOP"
	check "$1: the header has a systemd-tpm2 token" \
		sh -c "cryptsetup luksDump $LOOP | grep -q systemd-tpm2"
	check "$1: nothing left in the TPM after enrolling" empty $2
}

# unlock LABEL NUM [first]: systemd-cryptsetup attach with the TPM alone,
# the pattern written (first) or read back, detach
unlock() {
	if ! tmo $CS attach $VOL "$LOOP" - tpm2-device=/dev/tpmsaferm$2,headless=true \
		> $W/attach.out 2>&1 || [ ! -b /dev/mapper/$VOL ]; then
		nok "$1: systemd-cryptsetup attach unlocks with /dev/tpmsaferm$2"
		sed 's/^/#   /' $W/attach.out | tail -n 10
		return
	fi
	ok "$1: systemd-cryptsetup attach unlocks with /dev/tpmsaferm$2"
	unlocks=$((unlocks + 1))
	if [ "${3:-}" = first ]; then
		check "$1: pattern written" \
			tmo dd if=$W/pattern of=/dev/mapper/$VOL bs=4096 count=1 oflag=direct
	else
		check "$1: the volume holds the pattern written before" tmo sh -c \
			"dd if=/dev/mapper/$VOL bs=4096 count=1 iflag=direct 2>/dev/null |
			cmp -s - $W/pattern"
	fi
	check "$1: detach" tmo $CS detach $VOL
	check "$1: nothing left in the TPM after unlocking" empty $2
}

# sleep_cycle: one pm_test=freezer s2idle cycle: the sleep notifiers (a
# virtual TPM held suspended) and the freezer run; the devices are not
# suspended (the 9p root would not survive it: the TIS chip's
# TPM2_Shutdown(STATE) with spaces is in the sleep guest, run-ram.sh)
sleep_cycle() {
	_old=$(sed 's/.*\[\([a-z]*\)\].*/\1/' /sys/power/pm_test)
	_delay=$(cat /sys/module/suspend/parameters/pm_test_delay)
	echo 0 > /sys/module/suspend/parameters/pm_test_delay
	echo freezer > /sys/power/pm_test &&
		echo freeze > /sys/power/state
	_rc=$?
	echo "$_old" > /sys/power/pm_test
	echo "$_delay" > /sys/module/suspend/parameters/pm_test_delay
	return $_rc
}

# a virtual TPM: enroll, unlock; unbind/bind; sleep
if vtpm_start $W/vtpm; then
	ok "swtpm attached (tpmsafe$VT_NUM)"
	format vtpm
	enroll vtpm $VT_NUM
	unlock vtpm $VT_NUM first
	VD=tpm_safe_vtpm.$VT_DEVID
	check "vtpm: unbind $VD" sh -c \
		"echo -n $VD > /sys/bus/platform/drivers/tpm_safe_vtpm/unbind"
	check "vtpm: /dev/tpmsaferm$VT_NUM gone" wait_for "[ ! -e /dev/tpmsaferm$VT_NUM ]" 10
	check "vtpm: bind $VD" sh -c \
		"echo -n $VD > /sys/bus/platform/drivers/tpm_safe_vtpm/bind"
	S=$(echo /sys/bus/platform/devices/$VD/tpm_safe/tpmsafe*)
	VT_NUM=${S##*tpmsafe}
	check "vtpm: the rm node is back (tpmsaferm$VT_NUM)" \
		wait_for "[ -c /dev/tpmsaferm$VT_NUM ]" 10
	unlock "vtpm after unbind/bind" $VT_NUM
	check "vtpm: pm_test=freezer sleep cycle" tmo sleep_cycle
	unlock "vtpm after sleep" $VT_NUM
	losetup -d "$LOOP"
	check "vtpm: swtpm killed, device gone" vtpm_stop
else
	nok "swtpm attached"
fi

# the TIS chip: enroll, unlock; sleep
format tis
enroll tis $N
unlock tis $N first
check "tis: pm_test=freezer sleep cycle" tmo sleep_cycle
unlock "tis after sleep" $N
losetup -d "$LOOP"

echo "FIGURE cryptenroll: $unlocks TPM-only unlocks"
check "all $EXPECT_UNLOCKS unlocks ran ($unlocks)" [ $unlocks = $EXPECT_UNLOCKS ]
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
