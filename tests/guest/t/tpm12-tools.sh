# SPDX-License-Identifier: GPL-2.0
# TPM 1.2 with TrouSerS: tcsd on /dev/tpmsafeN bound over /dev/tpm0, and
# tpm-tools through it: tpm_version, tpm_selftest, tpm_takeownership,
# tpm_getpubek (the key sysfs pubek showed before ownership), a
# tpm_sealdata/tpm_unsealdata round trip; sysfs owned and pubek follow.
. tests/guest/lib.sh
DEV=00:00
check "module loads" load_module
check "tpm_safe_tis bound $DEV" wait_for "[ -e /sys/bus/pnp/drivers/tpm_safe_tis/$DEV ]" 10
S=$(echo /sys/bus/pnp/devices/$DEV/tpm_safe/tpmsafe*)
NODE=/dev/${S##*/}
check "sysfs owned is 0 before tpm_takeownership" [ "$(cat $S/owned)" = 0 ]
# the modulus sysfs shows while the TPM is unowned, in one hex string
pubek_hex() { sed -n '/^Modulus:$/,$p' | tail -n +2 | tr -d ' \n\t' | tr a-f A-F; }
ek=$(pubek_hex < $S/pubek)
check "sysfs pubek shows a 2048-bit modulus" [ ${#ek} = 512 ]

# tcsd opens /dev/tpm0, as user tss, with its state in /tmp
touch /dev/tpm0
mount --bind $NODE /dev/tpm0
chown tss:tss /dev/tpm0
mkdir -p /tmp/tcsd
chown tss:tss /tmp/tcsd
printf 'port = 30003\nsystem_ps_file = /tmp/tcsd/system.data\n' > /tmp/tcsd.conf
chown root:tss /tmp/tcsd.conf
chmod 0640 /tmp/tcsd.conf
# tcsd listens on localhost
ip link set lo up 2>/dev/null || busybox ip link set lo up
tcsd -f -c /tmp/tcsd.conf > /tmp/tcsd.log 2>&1 &
TCSD=$!
check "tcsd answers (tpm_version)" wait_for "tpm_version > /tmp/version 2>&1" 30
kill -0 $TCSD 2>/dev/null || sed 's/^/# tcsd: /' /tmp/tcsd.log
tr -cd '[:print:]\n' < /tmp/version | sed 's/^/# /'
check "tpm_version: chip version 1.2, vendor IBM" sh -c \
	"grep -q 'Chip Version:.*1\.2\.' /tmp/version && grep -q 'TPM Vendor ID:.*IBM' /tmp/version"
fw=$(sed -n 's/.*Chip Version: *1\.2\.\([0-9]*\)\.\([0-9]*\).*/\1.\2/p' /tmp/version)
maker=$(sed -n 's/.*Manufacturer Info: *\([0-9a-f]*\).*/\1/p' /tmp/version)
check "sysfs caps as tpm_version reports (manufacturer 0x$maker, firmware $fw)" sh -c \
	"[ -n '$fw' ] && grep -qx 'Manufacturer: 0x$maker' $S/caps &&
	 grep -qx 'TCG version: 1.2' $S/caps && grep -qx 'Firmware version: $fw' $S/caps"
check "tpm_selftest" sh -c "tpm_selftest > /tmp/selftest 2>&1 && grep -q 'TPM Test Results' /tmp/selftest"
check "tpm_takeownership -y -z" tpm_takeownership -y -z
check "sysfs owned is 1 now" [ "$(cat $S/owned)" = 1 ]
# the flags as TrouSerS reads them (owner authorized): 1 for true
flag() { sed -n "s/^ *$1: *//p" $2 | sed 's/true/1/; s/false/0/'; }
tpm_setenable --status -z > /tmp/enable 2>&1
tpm_setactive --status -z > /tmp/active 2>&1
dis=$(flag 'Disabled status' /tmp/enable)
pdeact=$(flag 'Persistent Deactivated Status' /tmp/active)
vdeact=$(flag 'Volatile Deactivated Status' /tmp/active)
echo "# TrouSerS: disabled=$dis deactivated=$pdeact temp_deactivated=$vdeact"
check "sysfs enabled, active, temp_deactivated as TrouSerS reports them" sh -c \
	"[ -n '$dis$pdeact$vdeact' ] && [ \$(cat $S/enabled) = \$((1 - ${dis:-9})) ] &&
	 [ \$(cat $S/active) = \$((1 - ${pdeact:-9})) ] && [ \$(cat $S/temp_deactivated) = '$vdeact' ]"
check "sysfs pubek: EIO once owned" sh -c "! cat $S/pubek 2> /tmp/pubek.err && grep -q 'Input/output error' /tmp/pubek.err"
tpm_getpubek -z > /tmp/getpubek 2>&1
sed 's/^/# /' /tmp/getpubek | head -n 8
got=$(sed -n '/Public Key:/,$p' /tmp/getpubek | tail -n +2 | tr -d ' \n\t' | tr a-f A-F)
check "tpm_getpubek -z: the key sysfs pubek showed before ownership" [ "$got" = "$ek" ]
head -c 100 /dev/urandom > /tmp/secret
check "tpm_sealdata -z" tpm_sealdata -z -i /tmp/secret -o /tmp/sealed
check "tpm_unsealdata -z gives the data back" sh -c \
	"tpm_unsealdata -z -i /tmp/sealed -o /tmp/unsealed && cmp /tmp/secret /tmp/unsealed"
kill $TCSD
wait $TCSD
umount /dev/tpm0
rm -f /dev/tpm0
check "the node answers after tcsd" python3 tests/guest/tpm12.py getrandom $NODE
check "objects balanced" objects_balanced
check "module unloads" unload_module
finish
