#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench-scale SCALE_PROFILE=1, host side: the kernel's tick profile
(boot option profile=2, /proc/profile) of every busy round, by function.

usage: profile_report.py SHARE OUT.txt SERIES

SHARE holds what guest-scale.py left: scale.json (the rounds' command
counts), kallsyms, and profile-<path>-<round> (a u32 bucket size, then a
u32 tick count per bucket of kernel text from _stext).  Each path's rounds
are added up; the table gives each function's share of the path's kernel
ticks and its ticks per 1000 commands.  A tick in module text is dropped
(6.12 and 7.3) or, on 6.1 (SERIES), counted in the last bucket: that one
is reported on a line of its own, outside the total and the shares.  A
tick that fell while interrupts were off lands where they were turned
back on (finish_task_switch after a context switch,
_raw_spin_unlock_irqrestore after a wake-up)."""

import array
import bisect
import collections
import glob
import json
import os
import sys

TOP = 25
BEYOND = "(past the kernel's text: modules)"


def symbols(path):
    """(start addresses, names) of text symbols, sorted, and _stext"""
    syms, stext = [], None
    with open(path) as f:
        for line in f:
            fld = line.split()
            if len(fld) < 3:
                continue
            if fld[2] == "_stext":
                stext = int(fld[0], 16)
            if fld[1] in "tTwW" and len(fld) == 3:
                syms.append((int(fld[0], 16), fld[2]))
    if stext is None or not syms or syms[-1][0] == 0:
        sys.exit("profile_report: %s: no _stext, or addresses hidden" % path)
    syms.sort()
    return [a for a, _ in syms], [n for _, n in syms], stext


def ticks(path, addrs, names, stext, clamped):
    """ticks by function name in one profile file; clamped: its last
    bucket holds every tick past the kernel's text (BEYOND)"""
    buf = array.array("I")
    with open(path, "rb") as f:
        buf.frombytes(f.read())
    if sys.byteorder != "little":
        buf.byteswap()
    step, got, last = buf[0], collections.Counter(), len(buf) - 2
    for i, n in enumerate(buf[1:]):
        if not n:
            continue
        if i == last and clamped:
            got[BEYOND] += n
            continue
        j = bisect.bisect_right(addrs, stext + i * step) - 1
        got[names[j] if j >= 0 else "?"] += n
    return got


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: profile_report.py SHARE OUT.txt SERIES")
    share, out, series = sys.argv[1:4]
    clamped = series == "6.1"
    files = sorted(glob.glob(os.path.join(share, "profile-*")))
    if not files:
        sys.exit("profile_report: no profile in %s (boot without profile=2?)" % share)
    addrs, names, stext = symbols(os.path.join(share, "kallsyms"))
    ops = {}
    with open(os.path.join(share, "scale.json")) as f:
        for line in f:
            r = json.loads(line)
            if r.get("phase") == "busy-round":
                ops["%s-%d" % (r["path"], r["round"])] = r["ops"]
    # by path: ticks by function, and commands, over its rounds
    by_fn, cmds = collections.defaultdict(collections.Counter), collections.Counter()
    for p in files:
        rnd = os.path.basename(p)[len("profile-"):]
        if rnd not in ops:
            # the client answered nothing there: no command to count by
            print("profile_report: %s: no busy round of that name in scale.json, "
                  "left out" % p, file=sys.stderr)
            continue
        path = rnd.rsplit("-", 1)[0]
        by_fn[path].update(ticks(p, addrs, names, stext, clamped))
        cmds[path] += ops[rnd]
    if not by_fn:
        sys.exit("profile_report: no profile in %s matches a busy round" % share)
    lines = []
    for path, got in by_fn.items():
        n = cmds[path]
        beyond = got.pop(BEYOND, None)
        total = sum(got.values())
        lines.append("== %s: %d kernel ticks, %d commands, %.1f ticks per 1000 commands" % (
            path, total, n, 1000.0 * total / max(n, 1)))
        if beyond is not None:
            lines.append("%7d %6s %7.2f  %s" % (beyond, "", 1000.0 * beyond / max(n, 1), BEYOND))
        for name, t in got.most_common(TOP):
            lines.append("%7d %5.1f%% %7.2f  %s" % (t, 100.0 * t / max(total, 1),
                                                   1000.0 * t / max(n, 1), name))
        lines.append("")
    with open(out, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
