#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make deb: build tpm-safe-dkms_<version>_all.deb (dh-dkms) from this tree
# and check it with lintian.  The version is dkms.conf's; the packaging
# files are scripts/debian/.  Output: results/deb/ (the .deb, lintian.txt).
# Fails when lintian reports an error or a warning (an override would go in
# scripts/debian/tpm-safe-dkms.lintian-overrides, with its reason).
# usage: scripts/make-deb.sh [OUTDIR]
#   TPMSAFE_DEB_VERSION=V   package version V instead (dkms.conf's copy too)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
# another version (the tests build an older one to upgrade from)
over=${TPMSAFE_DEB_VERSION:-}
out=${1:-$top/results/deb}
need=(debhelper dh-dkms dpkg-dev lintian fakeroot)
missing=()
for p in "${need[@]}"; do
	[[ $(dpkg-query -W -f '${Status}' "$p" 2>/dev/null) == *"ok installed" ]] ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -z "${TPMSAFE_KEEP_DEB_BUILD:-}" ] || trap - EXIT
d=$work/tpm-safe-$ver
mkdir -p "$d/scripts" "$out"
"$top/scripts/dkms-sources.sh" "$d"
cp "$top/README.md" "$d/"
(cd "$top/scripts" && cp -r udev modprobe man "$d/scripts/")
cp -r "$top/scripts/debian" "$d/debian"
if [ -n "$over" ]; then
	sed -i "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$over\"/" "$d/dkms.conf"
	mv "$d" "$work/tpm-safe-$over"
	d=$work/tpm-safe-$over
	ver=$over
fi
# the changelog: this version, dated by the last commit (reproducible)
when=$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)
maint=$(sed -n 's/^Maintainer: //p' "$d/debian/control")
cat > "$d/debian/changelog" <<CHANGES
tpm-safe ($ver) unstable; urgency=medium

  * tpm_safe $ver.

 -- $maint  $(date -R -u -d "@$when")
CHANGES
export SOURCE_DATE_EPOCH=$when
(cd "$d" && dpkg-buildpackage -b -us -uc > "$work/build.log" 2>&1) || {
	tail -n 30 "$work/build.log" >&2
	echo "make-deb: dpkg-buildpackage failed" >&2
	exit 1
}
deb=tpm-safe-dkms_${ver}_all.deb
cp "$work/$deb" "$out/"
# lintian exits 1 for tags at its fail-on level (judged below, warnings
# too) and 2 or more when it could not check the package
lrc=0
lintian --info --display-info "$work"/*.changes > "$out/lintian.txt" 2>&1 || lrc=$?
if [ $lrc -gt 1 ]; then
	tail -n 20 "$out/lintian.txt" >&2
	echo "make-deb: lintian did not run (exit $lrc)" >&2
	exit 1
fi
echo "make-deb: $out/$deb ($(stat -c %s "$out/$deb") bytes)"
sed 's/^/make-deb: lintian: /' "$out/lintian.txt"
if grep -q '^[EW]: ' "$out/lintian.txt"; then
	echo "make-deb: lintian reports errors or warnings" >&2
	exit 1
fi
