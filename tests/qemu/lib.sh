# SPDX-License-Identifier: GPL-2.0
# What the guest runners share (sourced by tests/qemu/run.sh and run-ram.sh,
# bash): the kernel a release boots, the initramfs's base, swtpm behind
# QEMU's TPM, the kernel command line every guest has, and the taint rule.
# Needs top (this tree).

# guest_kernel: unless kernel is set, kver (a release or a series) resolved
# to a release, its image as kernel, and the root it is installed in (the
# host's, or the trixie root for 7.3) as root, unless root is set
guest_kernel() {
	[ -z "$kernel" ] || return 0
	kver=$("$top/scripts/kernels.sh" resolve "$kver")
	kernel=$("$top/scripts/kernels.sh" image "$kver")
	root=${root:-$("$top/scripts/kernels.sh" root "$kver")}
}

# initramfs_base DIR INIT: busybox, and INIT as DIR/init
initramfs_base() {
	mkdir -p "$1/bin"
	cp /bin/busybox "$1/bin/busybox"
	cp "$2" "$1/init"
	chmod +x "$1/init"
}

# initramfs_pack DIR OUT: DIR as a gzipped newc cpio archive at OUT
initramfs_pack() {
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) > "$2"
}

# swtpm_start DIR TPM LEVEL: swtpm for QEMU's TPM (TPM 2 or 1.2): its
# state, control socket DIR/sock, log DIR/swtpm.log at LEVEL (20: every
# command) and pid file in DIR; returns once the socket is there
swtpm_start() {
	local t2=()
	[ "$2" = 2 ] && t2=(--tpm2)
	swtpm socket "${t2[@]}" --tpmstate "dir=$1" --ctrl "type=unixio,path=$1/sock" \
		--terminate --log "file=$1/swtpm.log,level=$3" --pid "file=$1/pid" -d || return 1
	for _ in $(seq 50); do
		[ -S "$1/sock" ] && return 0
		sleep 0.1
	done
	echo "swtpm: no socket $1/sock after 5 s" >&2
	return 1
}

# Every guest's kernel command line: the console on ttyS0 at every level;
# any warning, oops, soft lockup or hung task panics; sysrq for the host's
# dumps; 4-level paging (identify_cpu() clears the boot CPU's feature bits
# for a moment, LA57 reads as off, and KASAN's shadow bound, which follows
# pgtable_l5_enabled() at run time, then calls any 5-level direct-map
# address wild: a timer interrupt in that window panics the debug kernel
# in early boot).
GUEST_CMDLINE="console=ttyS0,115200 ignore_loglevel panic_on_warn=1 oops=panic panic=-1"
GUEST_CMDLINE="$GUEST_CMDLINE softlockup_panic=1 hung_task_panic=1 sysrq_always_enabled no5lvl"
# exclusive mode: the kernel's TIS and CRB drivers kept off at boot
EXCLUSIVE_CMDLINE="initcall_blacklist=init_tis,crb_acpi_driver_init"

# taint_allowed TAINT: nothing but O (out-of-tree, 4096) and E (unsigned,
# 8192)
taint_allowed() {
	[ $(($1 & ~(4096 | 8192))) -eq 0 ]
}
