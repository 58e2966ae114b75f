# SPDX-License-Identifier: GPL-2.0
# Linux's own TPM 2.0 selftests (tools/testing/selftests/tpm2: SmokeTest,
# SpaceTest, AsyncTest) pointed at a tpm_safe chip: /dev/tpm0 becomes
# SELFTEST_DEV=/dev/tpmsafeN and /dev/tpmrm0 its rm node /dev/tpmsafermN.
. tests/guest/lib.sh
# tests that must pass: SmokeTest's 9, SpaceTest's 4 and AsyncTest's 2,
# the same in linux-source-6.1 (bookworm) and linux-source-7.3 (trixie)
SELFTESTS_EXPECTED=15
SELFTEST_RM=/dev/tpmsaferm${SELFTEST_DEV#/dev/tpmsafe}
# the newest kernel source in the guest's root (6.1 on bookworm, 7.3 on trixie)
src=$(ls -d /usr/src/linux-source-*/tools/testing/selftests/tpm2 2>/dev/null | sort -V | tail -n 1)
if [ -z "$src" ] || [ ! -f "$src/tpm2.py" ] || [ ! -f "$src/tpm2_tests.py" ]; then
	nok "selftests: no tools/testing/selftests/tpm2 under /usr/src/linux-source-*"
	finish
fi
dir=/tmp/selftests-tpm2
rm -rf $dir && mkdir -p $dir
sed "s|/dev/tpm0|$SELFTEST_DEV|; s|/dev/tpmrm0|$SELFTEST_RM|" $src/tpm2.py > $dir/tpm2.py
cp $src/tpm2_tests.py $dir/
(cd $dir && python3 -m unittest -v tpm2_tests.SmokeTest tpm2_tests.SpaceTest \
	tpm2_tests.AsyncTest) > $dir/out 2>&1
rc=$?
grep -E ' \.\.\. ' $dir/out | while read -r name cls dots result rest; do
	case $result in
	ok) echo "ok - selftest $name $cls" ;;
	*) echo "not ok - selftest $name $cls: $result $rest" ;;
	esac
done
# the lines above are printed from a subshell: count again here
passed=$(awk '/ \.\.\. / && $4 == "ok"' $dir/out | wc -l)
failed=$(awk '/ \.\.\. / && $4 != "ok"' $dir/out | wc -l)
FAILS=$((FAILS + failed))
tail -n 3 $dir/out | sed 's/^/# /'
check "selftests: unittest exits 0 (${src%/tools/*})" [ $rc -eq 0 ]
check "selftests: $passed passed, at least $SELFTESTS_EXPECTED expected" \
	[ "$passed" -ge $SELFTESTS_EXPECTED ]
finish
