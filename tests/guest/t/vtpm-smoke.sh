# SPDX-License-Identifier: GPL-2.0
# The vtpm backend end to end: swtpm attaches through /dev/tpmsafe-vtpmx,
# tpm2-tools, sysfs and the hwrng work, removal leaves nothing behind.
. tests/guest/lib.sh
set -u

check "module loads" load_module
check "vtpmx node is 0600" sh -c '[ "$(stat -c %a /dev/tpmsafe-vtpmx)" = 600 ]'
if ! vtpm_start /tmp/vtpm-smoke; then
	nok "swtpm attaches and registers"
	finish
fi
ok "swtpm attaches and registers tpmsafe$VT_NUM"
D=/dev/tpmsafe$VT_NUM
S=/sys/class/tpm_safe/tpmsafe$VT_NUM

check "node is 0600" sh -c "[ \"\$(stat -c %a $D)\" = 600 ]"
tpm_smoke_set $D

check "sysfs tpm_version_major is 2" sh -c "[ \"\$(cat $S/tpm_version_major)\" = 2 ]"
check "sysfs pcr-sha256/0 is a digest" sh -c "cat $S/pcr-sha256/0 | grep -qxE '[0-9A-F]{64}'"
check "sysfs PCRs 0-23 in every bank, digests of the bank's size" $TPY pcr-banks $S
check "sysfs timeouts and durations" sh -c "grep -qE '^[0-9]+ [0-9]+ [0-9]+ [0-9]+\$' $S/timeouts && grep -qE '^[0-9 ]+\$' $S/durations"
check "sysfs stats count commands" sh -c "[ \$(cat $S/stats/commands) -gt 5 ]"
check "parent is tpm_safe_vtpm.$VT_DEVID" sh -c \
	"[ \"\$(basename \$(readlink -f $S/device))\" = tpm_safe_vtpm.$VT_DEVID ]"

rng=tpm-safe-rng-$VT_NUM
check "hwrng $rng offered" grep -qw "$rng" /sys/class/misc/hw_random/rng_available
check "hwrng $rng selected" sh -c "echo $rng > /sys/class/misc/hw_random/rng_current"
check "hwrng reads 64 bytes" sh -c "[ \$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | wc -c) = 64 ]"

r=$($TPY second-open $D)
check "second open is EBUSY ($r)" [ "$r" = EBUSY ]

check "swtpm killed: the device goes away" vtpm_stop
check "node removed" sh -c "[ ! -e $D ]"
check "hwrng $rng withdrawn" sh -c "! grep -qw $rng /sys/class/misc/hw_random/rng_available"
check "objects balanced" objects_balanced
cat $OBJ | sed 's/^/# objects: /'
check "module unloads" unload_module
finish
