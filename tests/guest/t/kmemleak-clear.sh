# SPDX-License-Identifier: GPL-2.0
# Debug kernel: forget every allocation made so far, so that the scan at
# the end reports only what the tests leaked.
. tests/guest/lib.sh
K=/sys/kernel/debug/kmemleak
check "kmemleak is available" test -w $K
check "kmemleak clear" sh -c "echo clear > $K"
finish
