#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The main job: install the dependencies, build, install through DKMS, and
# show the driver serving a TPM.  On a machine that can load modules and
# runs the kernel we built for, that happens here; otherwise inside a QEMU
# guest booting the stock Debian kernel.  KVER=<series or release> picks the
# kernel (default: the running one, else the newest installed series).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# the 6.1 kernel only, unless another series is asked for
case ${KVER:-} in "" | 6.1 | 6.1.*) scripts/install-deps.sh min ;; *) scripts/install-deps.sh ;; esac
if [ -n "${KVER:-}" ]; then
	kver=$(scripts/kernels.sh resolve "$KVER")
elif [ -d "/lib/modules/$(uname -r)/build" ]; then
	kver=$(uname -r)
else
	kver=$(scripts/kernels.sh newest)
fi
make -s module KVER="$kver"
scripts/dkms-install.sh "$kver"
if [ "$(uname -r)" = "$kver" ] && [ -e /proc/modules ]; then
	echo "== this machine runs $kver: demonstrating here"
	echo "== the manual: man -l scripts/man/tpm_safe.4 (installed as tpm_safe(4) by make deb's package)"
	export MODE=host TPM=2
	mkdir -p /tmp/results && : > /tmp/results/plan
	exec sh tests/guest/demo.sh
fi
echo "== this machine runs $(uname -r), not $kver: demonstrating in a QEMU guest"
rc=0
tests/qemu/run.sh --kver "$kver" --out "$top/results/demo" --timeout 300 tests/guest/demo.sh || rc=$?
echo "== guest console of the demo:"
grep -v '^#' "$top/results/demo/share/guest.log" | grep -vE '^(ok|not ok) ' || true
echo "== the manual: man -l scripts/man/tpm_safe.4 (installed as tpm_safe(4) by make deb's package)"
exit $rc
