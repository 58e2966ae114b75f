#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench-scale: for each kernel series (every installed one, or
# KVER=<series or release>), one coexist guest boot with SCALE_N (256)
# virtual TPMs on the kernel's tpm_vtpm_proxy and then on tpm_safe_vtpm
# (tests/bench/guest-scale.py), then the table, ratios, JSON and PNG under
# results/bench/<series>/.  Exits non-zero, naming the target, when one
# is missed.  SCALE_PROFILE=1: the boot also has profile=2, and every busy
# round's kernel tick profile is summed up by function in profile.txt
# (tests/bench/profile_report.py).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
mapfile -t kvers < <(scripts/kernels.sh chosen "${KVER:-}")
[ ${#kvers[@]} -gt 0 ] || { echo "bench-scale: no kernel installed (make deps)" >&2; exit 1; }
# the client runs in every guest root: static
client=$top/results/bench-scale/scale_client
mkdir -p "${client%/*}"
gcc -static -O2 -Wall -pthread -o "$client" tests/bench/scale_client.c
# the allocator as users have it, no hwrng fill thread: as make bench
plain="slub_debug=- page_poison=0 rng_core.default_quality=0"
if [ "${SCALE_PROFILE:-0}" = 1 ]; then
	plain="$plain profile=2"
fi
rc=0
for kver in "${kvers[@]}"; do
	s=$(scripts/kernels.sh series-of "$kver")
	out=$top/results/bench/$s-scale
	ko=$top/results/build-$kver/tpm_safe.ko
	make -s module KVER="$kver"
	mkdir -p "${ko%/*}"
	cp tpm_safe.ko "$ko"
	echo "== bench-scale on $kver"
	# 256 servers and their TPM state: more memory than the test guests
	if ! tests/qemu/run.sh --mode coexist --kver "$kver" --ko "$ko" --env "KO=$ko" \
		--mem 6144 --out "$out" --timeout 3600 --env TEST_TIMEOUT=3300 \
		--append "$plain" --env SCALE_PLAIN=1 \
		--env "SCALE_N=${SCALE_N:-256}" --env "SCALE_CLIENT=$client" tests/bench/guest-scale.py; then
		echo "bench-scale: the $kver guest failed" >&2
		rc=1
	fi
	# what it measured before or after a failed check still counts
	if [ -s "$out/share/scale.json" ]; then
		python3 tests/bench/scale_report.py "$out/share/scale.json" "$out" "$kver" || rc=1
		if [ "${SCALE_PROFILE:-0}" = 1 ]; then
			python3 tests/bench/profile_report.py "$out/share" "$out/profile.txt" "$s" || rc=1
		fi
		echo "results: $out/scale-table.txt $out/scale.json $out/scale.png"
	else
		echo "bench-scale: the $kver guest recorded nothing" >&2
		rc=1
	fi
	# 16 MiB a profiled round, and the symbols: the summary is what stays
	rm -f "$out"/share/profile-* "$out"/share/kallsyms
done
exit $rc
