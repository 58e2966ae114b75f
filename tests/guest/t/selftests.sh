# SPDX-License-Identifier: GPL-2.0
# Linux's own TPM 2.0 selftests (tools/testing/selftests/tpm2: SmokeTest,
# AsyncTest) pointed at a tpm_safe node.  Needs the chip set up by the
# caller: SELFTEST_DEV=/dev/tpmsafeN.  AsyncTest.test_flush_invalid_context
# needs a resource-manager node (/dev/tpmrmN), which tpm_safe does not have.
. tests/guest/lib.sh
# tests that must pass: SmokeTest's 9 and AsyncTest.test_async, the same in
# linux-source-6.1 (bookworm) and linux-source-7.3 (trixie)
SELFTESTS_EXPECTED=10
# the newest kernel source in the guest's root (6.1 on bookworm, 7.3 on trixie)
src=$(ls -d /usr/src/linux-source-*/tools/testing/selftests/tpm2 2>/dev/null | sort -V | tail -n 1)
if [ -z "$src" ] || [ ! -f "$src/tpm2.py" ] || [ ! -f "$src/tpm2_tests.py" ]; then
	nok "selftests: no tools/testing/selftests/tpm2 under /usr/src/linux-source-*"
	finish
fi
dir=/tmp/selftests-tpm2
rm -rf $dir && mkdir -p $dir
sed "s|/dev/tpm0|$SELFTEST_DEV|; s|/dev/tpmrm0|/nonexistent/tpmrm|" $src/tpm2.py > $dir/tpm2.py
cp $src/tpm2_tests.py $dir/
(cd $dir && python3 -m unittest -v tpm2_tests.SmokeTest tpm2_tests.AsyncTest.test_async) \
	> $dir/out 2>&1
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
echo "# skipped: AsyncTest.test_flush_invalid_context (needs /dev/tpmrmN)"
tail -n 3 $dir/out | sed 's/^/# /'
check "selftests: unittest exits 0 (${src%/tools/*})" [ $rc -eq 0 ]
check "selftests: $passed passed, at least $SELFTESTS_EXPECTED expected" \
	[ "$passed" -ge $SELFTESTS_EXPECTED ]
finish
