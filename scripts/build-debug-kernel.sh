#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-debug-kernel.sh - build (or reuse) the tpm_safe "debug kernel tier"
# kernel: Debian's linux-source-<series> configured with x86_64_defconfig +
# kvm_guest.config + tests/debug/config.fragment (KASAN, lockdep, UBSAN,
# kmemleak, debugobjects, fault injection, ...) + the series' own fragment
# tests/debug/config-<series>.fragment if there is one, built out of tree.
# Series 6.1 takes bookworm's linux-source-6.1; 7.3 takes linux-source-7.3
# from the trixie root (scripts/trixie-root.sh).  Both build with the host's
# compiler, and so does the module built against them.
#
# The O= build tree is cached in
#   ${TPMSAFE_CACHE:-/var/cache/tpm_safe}/debug-kernel-<key>/
# where <key> = first 16 hex chars of sha256(fragments + this script +
# linux-source package version).  The tree is usable for external
# module builds:  make -C <dir> M=/path/to/module modules
# and boots with  <dir>/arch/x86/boot/bzImage.
#
# Usage: build-debug-kernel.sh [--series 6.1|7.3] [--print-dir | --check | -h]
#   --series S    the kernel series (default 7.3, the newest)
#   (no option)   build if not cached; print the cache dir and build time
#   --print-dir   print the cache dir path (built or not) and exit 0
#   --check       exit 0 if the cached build is complete, 1 otherwise
#
# Environment:
#   TPMSAFE_CACHE      cache root (default /var/cache/tpm_safe)
#   TPMSAFE_KSRC       kernel source (default: the series' linux-source)
#   TPMSAFE_NICE       nice level for the build (default 10)
#   TPMSAFE_JOBS       make -j value (default $(nproc))

set -euo pipefail
set -o errtrace	# let the ERR trap (log tail on failure) fire inside functions

SCRIPT_PATH=$(readlink -f "${BASH_SOURCE[0]}")
REPO_ROOT=$(cd "$(dirname "$SCRIPT_PATH")/.." && pwd)
FRAGMENT="$REPO_ROOT/tests/debug/config.fragment"
CACHE_ROOT=${TPMSAFE_CACHE:-/var/cache/tpm_safe}
NICE_LEVEL=${TPMSAFE_NICE:-10}
JOBS=${TPMSAFE_JOBS:-$(nproc)}

die() { echo "build-debug-kernel: error: $*" >&2; exit 1; }
log() { echo "build-debug-kernel: $*" >&2; }

usage() {
	sed -n '/^# Usage:/,/^# *TPMSAFE_JOBS/s/^# \{0,1\}//p' "$SCRIPT_PATH"
}

mode=build
series=7.3
while [[ $# -gt 0 ]]; do
	case "$1" in
		--series) series=${2:-}; shift 2 ;;
		--print-dir) mode=print-dir; shift ;;
		--check) mode=check; shift ;;
		-h|--help) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
	esac
done

case $series in
	6.1) root="" ;;
	7.3) root=$("$REPO_ROOT/scripts/trixie-root.sh" --print-dir) ;;
	*) die "no debug kernel for series '$series' (6.1 or 7.3)" ;;
esac
KSRC_PKG=linux-source-$series
KSRC=${TPMSAFE_KSRC:-$root/usr/src/linux-source-$series}
SERIES_FRAGMENT="$REPO_ROOT/tests/debug/config-$series.fragment"
FRAGMENTS=("$FRAGMENT")
[[ -f $SERIES_FRAGMENT ]] && FRAGMENTS+=("$SERIES_FRAGMENT")

[[ -r $FRAGMENT ]] || die "config fragment not found: $FRAGMENT"
pkg_version=$(dpkg-query ${root:+--admindir="$root/var/lib/dpkg"} \
	-W -f='${Version}' "$KSRC_PKG" 2>/dev/null) ||
	die "package $KSRC_PKG is not installed (scripts/install-deps.sh)"
[[ -n $pkg_version ]] || die "package $KSRC_PKG is not installed"

key=$( { cat "${FRAGMENTS[@]}" "$SCRIPT_PATH"; printf '%s\n' "$pkg_version"; } |
	sha256sum | cut -c1-16)
OUT="$CACHE_ROOT/debug-kernel-$series-$key"

case $mode in
	print-dir) echo "$OUT"; exit 0 ;;
	check) [[ -e $OUT/.done ]] && exit 0 || exit 1 ;;
esac

if [[ -e $OUT/.done ]]; then
	echo "$OUT"
	exit 0
fi

[[ -f $KSRC/Makefile ]] || die "kernel source not found in $KSRC"
# An O= build refuses to run from a configured source tree; check early.
[[ ! -e $KSRC/.config && ! -d $KSRC/include/config ]] ||
	die "$KSRC is not clean (has .config); out-of-tree builds need a pristine source"

mkdir -p "$OUT"
# Serialise concurrent builders of the same key.
exec 9>"$OUT/.lock"
if ! flock -n 9; then
	log "another build of $OUT is running; waiting for it"
	flock 9
	if [[ -e $OUT/.done ]]; then
		echo "$OUT"
		exit 0
	fi
fi

BUILD_LOG="$OUT/build.log"
: >"$BUILD_LOG"
start=$SECONDS

kmake() {
	nice -n "$NICE_LEVEL" make -C "$KSRC" O="$OUT" "$@" >>"$BUILD_LOG" 2>&1
}

on_fail() {
	local rc=$?
	echo "build-debug-kernel: FAILED (rc=$rc) after $((SECONDS - start))s; tail of $BUILD_LOG:" >&2
	tail -n 60 "$BUILD_LOG" >&2 || true
	exit "$rc"
}
trap on_fail ERR

log "kernel source: $KSRC ($KSRC_PKG $pkg_version)"
log "build dir:     $OUT"
log "build log:     $BUILD_LOG"

# --- configure ----------------------------------------------------------
log "configuring (x86_64_defconfig + kvm_guest.config + fragment)"
kmake x86_64_defconfig
kmake kvm_guest.config
nice -n "$NICE_LEVEL" "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$OUT" \
	"$OUT/.config" "${FRAGMENTS[@]}" >>"$BUILD_LOG" 2>&1
kmake olddefconfig

# --- verify the fragment stuck ----------------------------------------------
# merge_config.sh only warns when a requested value is overridden by
# Kconfig dependencies; turn that into a hard failure.
missing=()
while IFS= read -r line; do
	if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
		sym=${BASH_REMATCH[1]}
		if ! grep -qxF -- "$line" "$OUT/.config"; then
			actual=$(grep -E "^(# )?${sym}[= ]" "$OUT/.config" || true)
			missing+=("$line  (got: ${actual:-<absent>})")
		fi
	elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
		sym=${BASH_REMATCH[1]}
		if actual=$(grep -E "^${sym}=" "$OUT/.config"); then
			missing+=("$line  (got: $actual)")
		fi
	fi
done < <(cat "${FRAGMENTS[@]}")
if ((${#missing[@]})); then
	trap - ERR
	{
		echo "build-debug-kernel: error: these fragment settings did not stick after olddefconfig:"
		printf '  %s\n' "${missing[@]}"
		echo "(check their Kconfig dependencies; full log: $BUILD_LOG)"
	} >&2
	exit 1
fi
log "all $(cat "${FRAGMENTS[@]}" | grep -cE '^(CONFIG_|# CONFIG_.* is not set)') fragment settings verified"

# --- build ----------------------------------------------------------------
# External modules (make -C $OUT M=... modules) need the prepared tree
# (modules_prepare: generated headers, scripts/mod/modpost) plus
# Module.symvers, which modpost writes while building the `modules` target
# (it contains vmlinux's exports even when there are almost no =m modules).
log "building bzImage + modules (-j$JOBS, nice $NICE_LEVEL); this takes a while"
kmake -j"$JOBS" bzImage modules_prepare modules

[[ -f $OUT/arch/x86/boot/bzImage ]] || { echo "bzImage missing" >>"$BUILD_LOG"; false; }
[[ -s $OUT/Module.symvers ]] || { echo "Module.symvers missing" >>"$BUILD_LOG"; false; }
trap - ERR

release=$(cat "$OUT/include/config/kernel.release")
elapsed=$((SECONDS - start))
echo "$release" >"$OUT/.done"
log "kernel release: $release"
log "build time:     ${elapsed}s"
echo "$OUT"
