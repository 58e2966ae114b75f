#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# One client of a resource-manager node, for SECONDS: tpm2-tools in a loop
# (createprimary, create, load, sign, verifysignature, a PCR-policy-sealed
# object unsealed through a policy session).  Prints "rounds N failures F"
# and the first failure's output.
# usage: rm_client.sh DEV SECONDS WORKDIR
dev=$1 secs=$2 d=$3
T="-T device:$dev"
mkdir -p "$d"
rounds=0 fails=0
end=$(( $(date +%s) + secs ))
round() {
	tpm2_createprimary $T -C o -G ecc -c $d/p.ctx &&
	tpm2_create $T -C $d/p.ctx -G ecc -u $d/k.pub -r $d/k.priv &&
	tpm2_load $T -C $d/p.ctx -u $d/k.pub -r $d/k.priv -c $d/k.ctx &&
	echo "round $rounds" > $d/msg &&
	tpm2_sign $T -c $d/k.ctx -g sha256 -o $d/sig $d/msg &&
	tpm2_verifysignature $T -c $d/k.ctx -g sha256 -m $d/msg -s $d/sig &&
	tpm2_startauthsession $T -S $d/t.ctx &&
	tpm2_policypcr $T -S $d/t.ctx -l sha256:0 -L $d/pol &&
	tpm2_flushcontext $T $d/t.ctx &&
	echo "secret $rounds" > $d/secret &&
	tpm2_create $T -C $d/p.ctx -L $d/pol -i $d/secret -u $d/s.pub -r $d/s.priv &&
	tpm2_load $T -C $d/p.ctx -u $d/s.pub -r $d/s.priv -c $d/s.ctx &&
	tpm2_startauthsession $T --policy-session -S $d/ps.ctx &&
	tpm2_policypcr $T -S $d/ps.ctx -l sha256:0 &&
	tpm2_unseal $T -c $d/s.ctx -p session:$d/ps.ctx -o $d/out &&
	tpm2_flushcontext $T $d/ps.ctx &&
	cmp -s $d/secret $d/out
}
while [ "$(date +%s)" -lt $end ]; do
	if round > $d/log 2>&1; then
		rounds=$((rounds + 1))
	else
		fails=$((fails + 1))
		[ -e $d/first-failure ] || cp $d/log $d/first-failure
	fi
done
echo "rounds $rounds failures $fails"
[ -e $d/first-failure ] && tail -n 5 $d/first-failure | sed 's/^/# /'
exit 0
