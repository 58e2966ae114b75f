#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: for each kernel series (every installed one, or KVER=<series
# or release>), one guest boot measuring every path back to back, then the
# table, ratios, JSON and PNG under results/bench/<series>/.  The upstream
# drivers differ between series, so each kernel gets its own table.  Exits
# non-zero, naming the target, when a ratio misses its target.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
if [ -n "${KVER:-}" ]; then
	kvers=("$(scripts/kernels.sh resolve "$KVER")")
else
	mapfile -t kvers < <(scripts/kernels.sh list | cut -d' ' -f2)
fi
[ ${#kvers[@]} -gt 0 ] || { echo "bench: no kernel installed (make deps)" >&2; exit 1; }
rc=0
for kver in "${kvers[@]}"; do
	s=$(scripts/kernels.sh series-of "$kver")
	out=$top/results/bench/$s
	ko=$top/results/build-$kver/tpm_safe.ko
	make -s module KVER="$kver"
	mkdir -p "${ko%/*}"
	cp tpm_safe.ko "$ko"
	echo "== bench on $kver"
	if ! tests/qemu/run.sh --mode coexist --kver "$kver" --ko "$ko" --env "KO=$ko" \
		--out "$out" --timeout 3600 --env "BENCH_N=${BENCH_N:-1000}" bench; then
		echo "bench: the $kver guest failed" >&2
		rc=1
		continue
	fi
	python3 tests/bench/report.py "$out/share/bench.json" "$out" "$kver" || rc=1
	echo "results: $out/table.txt $out/bench.json $out/latency.png"
done
exit $rc
