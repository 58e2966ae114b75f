#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Debian package, on this machine (bookworm) and in the trixie root:
# make deb (lintian clean), apt install of an older version and the
# upgrade to this one (in the trixie root; dkms builds for every kernel with headers, one
# module per kernel), what it installs (sources, udev rule, modprobe.d,
# man page), a guest on each kernel under test modprobing what it built
# (udev's modes, a tss member on the rm node, a non-member refused), DKMS
# autoinstall when a kernel's headers are installed again, a kernel
# outside the supported range turned away without failing apt,
# and apt purge (nothing left, dkms status empty).  TAP on stdout; the
# last line checks that every step ran.  Leaves nothing installed.
# usage: tests/deb.sh
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
prev=0.0.1
out=$top/results/deb-test
root=$(scripts/trixie-root.sh --print-dir)
export DEBIAN_FRONTEND=noninteractive
n=0
expect=0

ok() { echo "ok - $*"; n=$((n + 1)); }
nok() { echo "not ok - $*"; n=$((n + 1)); }
check() {
	local d=$1 o
	shift
	if o=$("$@" 2>&1); then ok "$d"; else nok "$d"; echo "$o" | tail -n 15 | sed 's/^/#   /'; fi
}

# where: "" (this machine) or the trixie root
run_in() {
	if [ -n "$1" ]; then
		shift
		scripts/in-root.sh "$@"
	else
		shift
		"$@"
	fi
}

# kernels with headers there (supported ones: 6.1 and later)
kernels() {
	run_in "$1" sh -c 'for b in /lib/modules/*/build; do [ -d "$b" ] && basename "${b%/build}"; done' |
		sort -V | awk -F. '$1 > 6 || ($1 == 6 && $2 >= 1)'
}

# status WHERE VERSION: every kernel has VERSION installed, and no other
status_is() {
	local s k bad=0
	s=$(run_in "$1" dkms status -m tpm_safe 2>/dev/null)
	for k in $(kernels "$1"); do
		[[ $s == *"tpm_safe/$2, $k, x86_64: installed"* ]] || { echo "$k: not installed"; bad=1; }
		[ "$(run_in "$1" find "/lib/modules/$k" -name 'tpm_safe.ko*' | grep -c .)" = 1 ] ||
			{ echo "$k: not one module"; bad=1; }
	done
	[ "$(echo "$s" | grep -c .)" = "$(kernels "$1" | grep -c .)" ] || { echo "extra lines"; bad=1; }
	[ $bad = 0 ] || echo "$s"
	return $bad
}

files_in() {
	run_in "$1" sh -c "
		test -f /usr/src/tpm_safe-$ver/dkms.conf &&
		grep -q 'tpmsaferm.*MODE=\"0660\", GROUP=\"tss\"' /usr/lib/udev/rules.d/60-tpm-safe.rules &&
		grep -q 'tpmsafe\[.*MODE=\"0600\"' /usr/lib/udev/rules.d/60-tpm-safe.rules &&
		test -f /usr/share/man/man4/tpm_safe.4.gz &&
		test -f /etc/modprobe.d/tpm_safe.conf &&
		! grep -v '^#' /etc/modprobe.d/tpm_safe.conf | grep -q . &&
		for p in \$(modinfo -F parm /lib/modules/*/updates/dkms/tpm_safe.ko* | cut -d: -f1 | sort -u); do
			grep -q \"^#options tpm_safe.* \$p=\" /etc/modprobe.d/tpm_safe.conf || { echo \"parameter \$p not listed\"; exit 1; }
		done"
}

autoinstalls() {
	run_in "$1" apt-get install -y -q --reinstall "linux-headers-$2" >/dev/null || return 1
	[ -n "$(run_in "$1" dkms status -m tpm_safe -v "$ver" -k "$2" | grep installed)" ]
}

# unsupported_skipped: the install's log shows dkms turning $old away, and
# nothing of it is in dkms status or under its modules
unsupported_skipped() {
	grep -q "BUILD_EXCLUSIVE" "$out/install.log" &&
		grep -q "$old" "$out/install.log" &&
		[[ $(dkms status -m tpm_safe) != *"$old"* ]] &&
		[ ! -e "/lib/modules/$old/updates" ] ||
		{ tail -n 40 "$out/install.log"; dkms status -m tpm_safe; return 1; }
}

# guest_kernels WHERE: the kernels under test whose root is WHERE's
guest_kernels() {
	local r=/
	[ -z "$1" ] || r=$root
	scripts/kernels.sh list | awk -v r="$r" '$3 == r { print $2 }'
}

# guest_modprobe KVER: a guest on KVER, its root the one the package went
# into, modprobes the module the package built and uses it through udev's
# nodes as a member of tss and not
guest_modprobe() {
	tests/qemu/run.sh --kver "$1" --mode coexist --out "$out/guest-$1" --timeout 600 \
		--env DKMS_RULES=/usr/lib/udev/rules.d/60-tpm-safe.rules \
		--env "DKMS_VERSION=$ver" dkms-modprobe
}

gone_in() {
	run_in "$1" sh -c "
		[ -z \"\$(dkms status -m tpm_safe 2>/dev/null)\" ] &&
		! ls -d /usr/src/tpm_safe-* 2>/dev/null &&
		[ -z \"\$(find /lib/modules -name 'tpm_safe.ko*')\" ] &&
		! ls /usr/lib/udev/rules.d/60-tpm-safe.rules /etc/modprobe.d/tpm_safe.conf \
			/usr/share/man/man4/tpm_safe.4.gz 2>/dev/null"
}

# a clean start: nothing of a make dkms-install or of an earlier run
old=5.10.0-99-unsupported
rm -rf "/lib/modules/$old"
trap 'rm -rf "/lib/modules/$old"' EXIT
scripts/dkms-install.sh --remove >/dev/null 2>&1
for w in "" root; do
	run_in "$w" sh -c 'dpkg -s tpm-safe-dkms >/dev/null 2>&1 && apt-get purge -y -q tpm-safe-dkms >/dev/null 2>&1; true'
done
rm -rf "$out"
mkdir -p "$out"

expect=$((expect + 2))
check "make deb: tpm-safe-dkms_${ver}_all.deb, lintian without errors or warnings" \
	make -s deb DEB_OUT="$out"
check "an older package to upgrade from (${prev})" \
	env TPMSAFE_DEB_VERSION=$prev scripts/make-deb.sh "$out/prev"
echo "# package: $(stat -c %s "$out/tpm-safe-dkms_${ver}_all.deb" 2>/dev/null) bytes"

for w in "" root; do
	where=${w:+the trixie root}
	where=${where:-this machine}
	ks=$(kernels "$w" | tr '\n' ' ')
	[ -n "$ks" ] && ok "$where: kernels with headers: $ks" || nok "$where: no kernel with headers"
	# the upgrade from an older package in the trixie root (three kernels);
	# this machine installs this one directly: dkms builds for each of
	# its six kernels, and twice took about three minutes more
	if [ -n "$w" ]; then
		expect=$((expect + 8))
		t0=$SECONDS
		check "$where: apt install the $prev package" \
			run_in "$w" apt-get install -y -q "$out/prev/tpm-safe-dkms_${prev}_all.deb"
		echo "# $where: install $prev: $((SECONDS - t0)) s"
		check "$where: dkms built and installed $prev for every kernel" status_is "$w" $prev
		t0=$SECONDS
		check "$where: apt install the $ver package (upgrade)" \
			run_in "$w" apt-get install -y -q "$out/tpm-safe-dkms_${ver}_all.deb"
		echo "# $where: upgrade to $ver: $((SECONDS - t0)) s"
		check "$where: after the upgrade, $ver alone, one module per kernel" status_is "$w" "$ver"
	else
		expect=$((expect + 7))
		t0=$SECONDS
		# with a kernel outside the supported range among those with
		# headers (a headers directory of its name: dkms decides by the
		# name alone)
		mkdir -p "/lib/modules/$old/build/include"
		check "$where: apt install the $ver package (a $old kernel there too)" \
			sh -c "apt-get install -y -q '$out/tpm-safe-dkms_${ver}_all.deb' > '$out/install.log' 2>&1"
		echo "# $where: install $ver: $((SECONDS - t0)) s"
		check "$where: $old skipped as unsupported (BUILD_EXCLUSIVE), nothing built or installed for it" \
			unsupported_skipped
		rm -rf "/lib/modules/$old"
		check "$where: dkms built and installed $ver for every kernel, one module each" \
			status_is "$w" "$ver"
	fi
	check "$where: sources, udev rule (rm 0660 tss, raw 0600), man page, modprobe.d listing every parameter" \
		files_in "$w"
	gk=$(guest_kernels "$w")
	expect=$((expect + 1))
	[ -n "$gk" ] && ok "$where: kernels to boot: $(echo $gk)" || nok "$where: no kernel to boot"
	for k in $gk; do
		expect=$((expect + 1))
		t0=$SECONDS
		check "$where: a guest on $k: modprobe $ver, udev's modes, a tss member uses the rm node, a non-member is refused" \
			guest_modprobe "$k"
		echo "# $where: guest on $k: $((SECONDS - t0)) s"
	done
	# DKMS autoinstall: a kernel's headers installed (again) build the module
	k=$(kernels "$w")
	k=${k%%$'\n'*}
	run_in "$w" dkms remove "tpm_safe/$ver" -k "$k" >/dev/null 2>&1
	check "$where: linux-headers-$k installed again: the module built for it by itself" \
		autoinstalls "$w" "$k"
	t0=$SECONDS
	run_in "$w" apt-get purge -y -q tpm-safe-dkms >/dev/null 2>&1
	echo "# $where: purge: $((SECONDS - t0)) s"
	check "$where: apt purge leaves no module, source, rule, man page or dkms entry" gone_in "$w"
done

[ $n -eq $expect ] && echo "ok - all $expect package checks ran" ||
	echo "not ok - $n of $expect package checks ran"
