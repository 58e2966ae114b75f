#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main job: install the dependencies, build, install through DKMS, and
# show the driver serving a TPM.  On a machine that can load modules and
# runs the kernel we built for, that happens here; otherwise inside a QEMU
# guest booting the stock Debian kernel.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/install-deps.sh min
kver=${KVER:-$(ls -d /usr/src/linux-headers-*-amd64 | sed 's|.*/linux-headers-||' |
	grep -v -- '-rt-\|-cloud-' | sort -V | tail -n 1)}
make -s module KVER="$kver"
scripts/dkms-install.sh "$kver"
if [ "$(uname -r)" = "$kver" ] && [ -e /proc/modules ]; then
	echo "== this machine runs $kver: demonstrating here"
	export MODE=host TPM=2
	mkdir -p /tmp/results && : > /tmp/results/plan
	exec sh tests/guest/t/demo.sh
fi
echo "== this machine runs $(uname -r), not $kver: demonstrating in a QEMU guest"
rc=0
tests/qemu/run.sh --kver "$kver" --out "$top/results/demo" --timeout 300 demo || rc=$?
echo "== guest console of the demo:"
grep -v '^#' "$top/results/demo/share/guest.log" | grep -vE '^(ok|not ok) ' || true
exit $rc
