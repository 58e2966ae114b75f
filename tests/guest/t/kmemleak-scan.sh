# SPDX-License-Identifier: GPL-2.0
# Debug kernel: after every other test, no leaked object was allocated by
# tpm_safe.  kmemleak reports objects older than 5 s, so the scan waits for
# that age (kmemleak has no event for it).  The module is unloaded by now:
# its frames print as bare addresses in the module area, not as tpm_safe
# symbols, so a leak is ours when its backtrace names tpm_safe or holds a
# module-area address (tpm_safe is the only module this kernel loads).
. tests/guest/lib.sh
K=/sys/kernel/debug/kmemleak
if [ ! -w $K ]; then
	nok "kmemleak is available ($K)"
	finish
fi
sleep 6
check "kmemleak scan" sh -c "echo scan > $K"
check "kmemleak second scan" sh -c "echo scan > $K"
report=$(cat $K)
if dmesg | grep -q 'kmemleak: .*disabled'; then
	nok "kmemleak still enabled: $(dmesg | grep 'kmemleak: .*disabled' | head -n 1)"
else
	ok "kmemleak still enabled"
fi
ours=$(echo "$report" | awk '
	function judge() { if (e ~ /tpm_safe|tpms_|(0x|<)ffffffff[c-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]/) print e }
	/^unreferenced object/ { judge(); e = "" }
	{ e = e "\n" $0 }
	END { judge() }')
total=$(echo "$report" | grep -c '^unreferenced object')
echo "# kmemleak: $total suspected leaks in all"
echo "FIGURE kmemleak: $total suspected leaks in all"
if [ -z "$ours" ]; then
	ok "kmemleak: no leak from tpm_safe"
else
	nok "kmemleak: leaks from tpm_safe"
	echo "$ours" | head -n 60 | sed 's/^/#   /'
fi
finish
