#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: for each kernel series (every installed one, or KVER=<series
# or release>), one guest boot measuring every path back to back (and one
# with -device tpm-crb for the CRB rows, one with a TPM 1.2), then the
# table, ratios, JSON and PNG under results/bench/<series>/.  The upstream
# drivers differ between series, so each kernel gets its own table.  Exits
# non-zero, naming the target, when a ratio misses its target.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
mapfile -t kvers < <(scripts/kernels.sh chosen "${KVER:-}")
[ ${#kvers[@]} -gt 0 ] || { echo "bench: no kernel installed (make deps)" >&2; exit 1; }
# the one client every path is timed with; it runs in every guest root
client=$top/results/bench/lat_client
mkdir -p "${client%/*}"
gcc -static -O2 -Wall -pthread -o "$client" tests/bench/lat_client.c
# the allocator as users have it: no slub_debug (every test boot has it);
# no hwrng fill thread reading TPMs between the client's commands
plain="slub_debug=- page_poison=0 rng_core.default_quality=0"
rc=0
for kver in "${kvers[@]}"; do
	s=$(scripts/kernels.sh series-of "$kver")
	out=$top/results/bench/$s
	ko=$top/results/build-$kver/tpm_safe.ko
	make -s module KVER="$kver"
	mkdir -p "${ko%/*}"
	cp tpm_safe.ko "$ko"
	echo "== bench on $kver"
	# the TIS and TPM 1.2 rows on the system's QEMU (7.2), as the
	# anchors in the testbed notes
	if ! tests/qemu/run.sh --qemu qemu-system-x86_64 --mode coexist --kver "$kver" \
		--ko "$ko" --env "KO=$ko" \
		--out "$out" --timeout 3600 --env "BENCH_N=${BENCH_N:-1000}" --env "LAT_CLIENT=$client" \
		--append "$plain" tests/bench/guest.sh; then
		echo "bench: the $kver guest failed" >&2
		rc=1
		continue
	fi
	# the CRB rows: a boot of their own (one TPM device per QEMU), on QEMU
	# 10 as the CRB test guests
	if ! tests/qemu/run.sh --mode coexist --iface crb --kver "$kver" --ko "$ko" \
		--qemu /var/cache/tpm_safe/qemu-bpo/usr/bin/qemu-system-x86_64 \
		--env "KO=$ko" --out "$out-crb" --timeout 1800 --env "BENCH_N=${BENCH_N:-1000}" --env "LAT_CLIENT=$client" \
		--append "$plain" tests/bench/guest-crb.sh; then
		echo "bench: the $kver CRB guest failed" >&2
		rc=1
	fi
	# the TPM 1.2 rows: swtpm without --tpm2
	if ! tests/qemu/run.sh --qemu qemu-system-x86_64 --mode coexist --tpm 1.2 \
		--kver "$kver" --ko "$ko" \
		--env "KO=$ko" --out "$out-tpm12" --timeout 1800 --env "BENCH_N=${BENCH_N:-1000}" --env "LAT_CLIENT=$client" \
		--append "$plain" \
		tests/bench/guest-tpm12.sh; then
		echo "bench: the $kver TPM 1.2 guest failed" >&2
		rc=1
	fi
	cat "$out/share/bench.json" "$out-crb/share/bench.json" "$out-tpm12/share/bench.json" \
		> "$out/bench-all.json" 2>/dev/null || true
	python3 tests/bench/report.py "$out/bench-all.json" "$out" "$kver" || rc=1
	echo "results: $out/table.txt $out/bench.json $out/latency.png"
done
exit $rc
