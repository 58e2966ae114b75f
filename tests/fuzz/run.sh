#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the libFuzzer target (src/buf.c with ASan and UBSan) and run it for
# SECONDS (default 60).  TAP output.
# usage: tests/fuzz/run.sh [SECONDS]
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
secs=${1:-60}
dir=$top/tests/fuzz/build
mkdir -p "$dir/corpus"
cc=$(command -v clang-14 || command -v clang)
if ! "$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-I"$top/tests/fuzz" -o "$dir/fuzz_buf" "$top/tests/fuzz/fuzz_buf.c" 2> "$dir/build.log"; then
	echo "not ok 1 - fuzz target builds"
	sed 's/^/#   /' "$dir/build.log" | tail -n 20
	exit 1
fi
echo "ok 1 - fuzz target builds (src/buf.c, ASan+UBSan)"
# seeds: a GetRandom command and its answer, a PCR bank capability answer
printf '\200\001\000\000\000\014\000\000\001\173\000\020' > "$dir/corpus/getrandom"
printf '\200\001\000\000\000\034\000\000\000\000\000\020%016d' 0 > "$dir/corpus/random-rsp"
printf '\200\001\000\000\000\033\000\000\000\000\000\000\000\000\005\000\000\000\001\000\013\003\377\377\377' > "$dir/corpus/pcrs-rsp"
if (cd "$dir" && ./fuzz_buf -max_total_time="$secs" -max_len=4200 corpus > fuzz.log 2>&1); then
	runs=$(grep -aoE 'Done [0-9]+ runs' "$dir/fuzz.log" | grep -oE '[0-9]+')
	echo "ok 2 - fuzzed for ${secs}s: ${runs:-?} inputs, no crash"
	echo "FIGURE fuzz: ${runs:-?} inputs in ${secs}s"
else
	echo "not ok 2 - fuzzer found a crash"
	tail -n 30 "$dir/fuzz.log" | sed 's/^/#   /'
	exit 1
fi
