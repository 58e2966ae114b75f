#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Print the Debian archive this machine's apt already uses (the first
# .../debian URI of its sources), for the sources tpm_safe adds.
set -euo pipefail
m=$({ sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null
	sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) .*/\2/p' /etc/apt/sources.list \
		/etc/apt/sources.list.d/*.list 2>/dev/null; } |
	tr ' ' '\n' | grep -E '/debian/?$' | head -n 1 || true)
[ -n "$m" ] || { echo "debian-mirror: no Debian archive in apt's sources" >&2; exit 1; }
echo "${m%/}"
