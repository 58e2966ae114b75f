#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: one guest boot measuring every path back to back, then the
# table, ratios, JSON and PNG under results/bench/.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
make -s module
out=$top/results/bench
tests/qemu/run.sh --mode coexist --out "$out" --timeout 3600 \
	--env "BENCH_N=${BENCH_N:-1000}" bench
python3 tests/bench/report.py "$out/share/bench.json" "$out"
echo "results: $out/table.txt $out/bench.json $out/latency.png"
