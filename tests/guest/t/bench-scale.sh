# SPDX-License-Identifier: GPL-2.0
# make bench-scale, guest side (coexist mode): SCALE_N (256) virtual TPMs
# on the kernel's tpm_vtpm_proxy, then on tpm_safe_vtpm, each served by
# its own swtpm (tests/guest/scale.py); figures in scale.json.
. tests/guest/lib.sh
ulimit -n 4096
mkdir -p /tmp/scale
python3 tests/guest/scale.py || FAILS=$((FAILS + 1))
check "results recorded" test -s /tmp/results/scale.json
finish
