# SPDX-License-Identifier: GPL-2.0
# Debug kernel: after every other test, no leaked object was allocated by
# tpm_safe (kmemleak reports objects older than 5 s: wait for that age).
. tests/guest/lib.sh
K=/sys/kernel/debug/kmemleak
sleep 6
echo scan > $K
echo scan > $K
report=$(cat $K)
ours=$(echo "$report" | awk '/^unreferenced object/ { if (e ~ /tpm_safe|tpms_/) print e; e = "" } { e = e "\n" $0 } END { if (e ~ /tpm_safe|tpms_/) print e }')
total=$(echo "$report" | grep -c '^unreferenced object')
echo "# kmemleak: $total suspected leaks in all"
if [ -z "$ours" ]; then
	ok "kmemleak: no leak from tpm_safe"
else
	nok "kmemleak: leaks from tpm_safe"
	echo "$ours" | head -n 60 | sed 's/^/#   /'
fi
finish
