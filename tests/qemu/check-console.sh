#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fail on any kernel splat in a guest console log; print the first one with
# context, its tpm_safe frames symbolised against the unstripped module.
# usage: check-console.sh [--verdict FILE] CONSOLE_LOG [MODULE.ko [KERNEL_LOG]]
#        check-console.sh --patterns
# KERNEL_LOG: the guest's own dmesg, saved at its end; it must be there and
# is checked the same way.  --verdict: FILE gets "clean" or "splat".
set -uo pipefail
verdict_file=
if [ "${1:-}" = --verdict ]; then
	verdict_file=$2
	shift 2
fi
console=$1
ko=${2:-}
klog=${3:-}
faddr2line=/usr/src/linux-source-6.1/scripts/faddr2line

# syzkaller's crash headers, plus taint and leak reports
pat='cut here|WARNING:|BUG:|kernel BUG at|Kernel panic|Oops:|general protection fault'
pat="$pat|Unable to handle kernel|UBSAN:|KASAN:|unreferenced object|blocked for more than"
pat="$pat|rcu_.* stall|soft lockup|list_add corruption|list_del corruption|refcount_t:"
pat="$pat|usercopy:|possible circular locking dependency|inconsistent lock state"
pat="$pat|sleeping function called from invalid context|ODEBUG:|possible recursive locking"
pat="$pat|Unable to handle|kfence:|INFO: task .* blocked|slab .* corrupt|Poison overwritten"
pat="$pat|Object already free|Redzone overwritten|lock held when returning to user space"
pat="$pat|suspicious RCU usage|Leaked|pagealloc: memory corruption|nobody cared"
pat="$pat|Disabling IRQ #|hard LOCKUP|printk messages dropped|cannot create duplicate filename"
pat="$pat|kmemleak: .*(disabled|[Cc]annot|fail)|kmemleak: Kernel memory leak detector disabled"
# kmemleak's warnings about its own object tree (kmemleak_warn())
pat="$pat|kmemleak: (Found object by alias|Freeing unknown object|Trying to color unknown object)"
pat="$pat|kmemleak: (Scan area larger than object|Unknown object at|Partially freeing unknown object)"

# Not a splat: under the fault sweep (failslab) kmemleak's own scan-area
# allocation may fail; it then scans the whole object, stays enabled, and
# finds no less (kmemleak-scan checks that it is still enabled).
benign='kmemleak: Cannot allocate a scan area, scanning the full object'
# --patterns: print the crash patterns (an extended regex) and stop
[ "$console" = --patterns ] && { echo "$pat"; exit 0; }

# check_log LOG WHAT: 0 when LOG holds no splat
check_log() {
	local log=$1 what=$2 first frames f
	[ -f "$log" ] || { echo "# FAIL: no $what $log"; return 1; }
	first=$(grep -naE "$pat" "$log" | grep -vF "$benign" | head -n 1 | cut -d: -f1)
	if [ -z "$first" ]; then
		return 0
	fi
	echo "# FAIL: kernel splat in the $what, first at line $first:"
	sed -n "$((first > 5 ? first - 5 : 1)),$((first + 60))p" "$log" | tr -d '\r' | sed 's/^/#   /'
	if [ -n "$ko" ] && [ -f "$ko" ] && [ -x "$faddr2line" ]; then
		frames=$(sed -n "$first,$((first + 80))p" "$log" |
			grep -oE '[A-Za-z0-9_.]+\+0x[0-9a-f]+/0x[0-9a-f]+ \[tpm_safe\]' |
			awk '{print $1}' | awk '!seen[$0]++')
		if [ -n "$frames" ]; then
			echo "# tpm_safe frames:"
			for f in $frames; do
				# init code has no exact size in the oops: retry without it
				"$faddr2line" "$ko" "$f" 2>/dev/null | grep -v '^skipping' ||
					"$faddr2line" "$ko" "${f%/*}" 2>/dev/null
			done | sed 's/^/#   /'
		fi
	fi
	return 1
}

splat=0 rc=0
check_log "$console" console || splat=1
if [ -n "$klog" ]; then
	if [ ! -s "$klog" ]; then
		echo "# FAIL: the guest saved no kernel log ($klog)"
		rc=1
	elif ! check_log "$klog" "kernel log"; then
		splat=1
	fi
fi
if [ -n "$verdict_file" ]; then
	if [ $splat = 0 ]; then echo clean; else echo splat; fi > "$verdict_file"
fi
[ $splat = 0 ] && exit $rc
exit 1
