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

failed=0
ok() { echo "ok - $*"; n=$((n + 1)); }
nok() { echo "not ok - $*"; n=$((n + 1)); failed=$((failed + 1)); }
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
		ps=\$(modinfo -F parm /lib/modules/*/updates/dkms/tpm_safe.ko* | cut -d: -f1 | sort -u) || exit 1
		[ -n \"\$ps\" ] || { echo 'no parameter found in the installed modules'; exit 1; }
		for p in \$ps; do
			grep -q \"^#options tpm_safe.* \$p=\" /etc/modprobe.d/tpm_safe.conf || { echo \"parameter \$p not listed\"; exit 1; }
			zcat /usr/share/man/man4/tpm_safe.4.gz | sed -n '/^.SH MODULE PARAMETERS/,/^.SH ERRORS/p' | grep -qw \"\$p\" || { echo \"parameter \$p not in the manual\"; exit 1; }
		done"
}

# installed_for WHERE KVER: dkms has $ver installed for KVER
installed_for() {
	[[ $(run_in "$1" dkms status -m tpm_safe -v "$ver" -k "$2" 2>/dev/null) == *": installed"* ]]
}

autoinstalls() {
	run_in "$1" dkms remove "tpm_safe/$ver" -k "$2" >/dev/null || return 1
	! installed_for "$1" "$2" || { echo "still installed for $2 after dkms remove"; return 1; }
	run_in "$1" apt-get install -y -q --reinstall "linux-headers-$2" >/dev/null || return 1
	installed_for "$1" "$2"
}

# a kernel outside the supported range, among those with headers: a
# headers directory of its name (dkms decides by the name alone)
old=5.10.0-99-unsupported
# old_dir WHERE: its modules directory there
old_dir() { echo "${1:+$root}/lib/modules/$old"; }

# install_logged WHERE DEB: apt install DEB there, its output in install.log
install_logged() {
	run_in "$1" apt-get install -y -q "$2" > "$out/install.log" 2>&1 ||
		{ tail -n 30 "$out/install.log"; return 1; }
}

# unsupported_skipped WHERE: the install's log has dkms turning $old away
# (BUILD_EXCLUSIVE, in the message naming it: trixie's dkms wraps it over
# lines), and nothing of it is in dkms status or under its modules
unsupported_skipped() {
	grep -A 2 -F "/$old/" "$out/install.log" | grep "BUILD_EXCLUSIVE" > /dev/null &&
		[[ $(run_in "$1" dkms status -m tpm_safe) != *"$old"* ]] &&
		[ ! -e "$(old_dir "$1")/updates" ] ||
		{ tail -n 40 "$out/install.log"; run_in "$1" dkms status -m tpm_safe; return 1; }
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
		! dpkg-query -W tpm-safe-dkms 2>/dev/null &&
		[ -z \"\$(dkms status -m tpm_safe 2>/dev/null)\" ] &&
		! ls -d /usr/src/tpm_safe-* 2>/dev/null &&
		[ -z \"\$(find /lib/modules -name 'tpm_safe.ko*')\" ] &&
		! ls /usr/lib/udev/rules.d/60-tpm-safe.rules /etc/modprobe.d/tpm_safe.conf \
			/usr/share/man/man4/tpm_safe.4.gz 2>/dev/null"
}

# a clean start: nothing of a make dkms-install or of an earlier run
rm -rf "$(old_dir "")" "$(old_dir root)"
trap 'rm -rf "$(old_dir "")" "$(old_dir root)"' EXIT
scripts/dkms-install.sh --remove >/dev/null 2>&1
for w in "" root; do
	run_in "$w" sh -c 'dpkg -s tpm-safe-dkms >/dev/null 2>&1 && apt-get purge -y -q tpm-safe-dkms >/dev/null 2>&1; true'
done
rm -rf "$out"
mkdir -p "$out"

# what must run: 2 package builds; per root 9 checks (kernels, install,
# $old turned away, status, files, kernels to boot, autoinstall, purge,
# gone) and one guest per kernel under test there; in the trixie root the
# upgrade and its status (2 more)
nguests=$(scripts/kernels.sh list | grep -c .)
expect=$((2 + 9 + 9 + 2 + nguests))
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
	# the first install builds for every kernel with headers, $old among
	# them: in the trixie root (three kernels) the older package's, then
	# the upgrade; this machine installs this one directly (dkms builds
	# for each of its six kernels; twice took about three minutes more)
	first=$out/tpm-safe-dkms_${ver}_all.deb v1=$ver
	[ -z "$w" ] || first=$out/prev/tpm-safe-dkms_${prev}_all.deb v1=$prev
	mkdir -p "$(old_dir "$w")/build/include"
	t0=$SECONDS
	check "$where: apt install the $v1 package (a $old kernel there too)" \
		install_logged "$w" "$first"
	echo "# $where: install $v1: $((SECONDS - t0)) s"
	check "$where: $old turned away as unsupported (BUILD_EXCLUSIVE) without failing apt, nothing built for it" \
		unsupported_skipped "$w"
	rm -rf "$(old_dir "$w")"
	if [ -n "$w" ]; then
		check "$where: dkms built and installed $prev for every kernel" status_is "$w" $prev
		t0=$SECONDS
		check "$where: apt install the $ver package (upgrade)" \
			run_in "$w" apt-get install -y -q "$out/tpm-safe-dkms_${ver}_all.deb"
		echo "# $where: upgrade to $ver: $((SECONDS - t0)) s"
		check "$where: after the upgrade, $ver alone, one module per kernel" status_is "$w" "$ver"
	else
		check "$where: dkms built and installed $ver for every kernel, one module each" \
			status_is "$w" "$ver"
	fi
	check "$where: sources, udev rule (rm 0660 tss, raw 0600), man page, modprobe.d and manual listing every parameter" \
		files_in "$w"
	gk=$(guest_kernels "$w")
	[ -n "$gk" ] && ok "$where: kernels to boot: $(echo $gk)" || nok "$where: no kernel to boot"
	for k in $gk; do
		t0=$SECONDS
		check "$where: a guest on $k: modprobe $ver, udev's modes, a tss member uses the rm node, a non-member is refused" \
			guest_modprobe "$k"
		echo "# $where: guest on $k: $((SECONDS - t0)) s"
	done
	# DKMS autoinstall: a kernel's headers installed (again) build the module
	k=$(kernels "$w")
	k=${k%%$'\n'*}
	check "$where: dkms remove for $k, then linux-headers-$k installed again: the module built for it by itself" \
		autoinstalls "$w" "$k"
	t0=$SECONDS
	check "$where: apt purge tpm-safe-dkms" run_in "$w" apt-get purge -y -q tpm-safe-dkms
	echo "# $where: purge: $((SECONDS - t0)) s"
	check "$where: after the purge no package, module, source, rule, man page or dkms entry" gone_in "$w"
done

[ $n -eq $expect ] && echo "ok - all $expect package checks ran" ||
	echo "not ok - $n of $expect package checks ran"
[ $n -eq $expect ] && [ $failed -eq 0 ]
