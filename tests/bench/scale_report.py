#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench-scale: the guest's scale.json into a table, ratios against
the kernel's tpm_vtpm_proxy with their targets, a summary JSON and a
gnuplot PNG (seconds per phase, both paths side by side).
usage: scale_report.py SCALE_JSON OUT_DIR KERNEL"""

import json
import os
import subprocess
import sys

UP, SAFE, BASE = "vtpm_proxy", "tpm_safe_vtpm", "swtpm-socketpair"


def main():
    src, out, kernel = sys.argv[1], sys.argv[2], sys.argv[3]
    rows = [json.loads(line) for line in open(src) if line.strip()]
    by = {(r["path"], r["phase"]): r for r in rows}

    def get(path, phase, key):
        r = by.get((path, phase))
        return None if r is None else r.get(key)

    def driver_mem(path, key):
        """a chip's kernel memory less its server's own (the baseline)"""
        v, b = get(path, "create", key), get(BASE, "create", key)
        return None if v is None or b is None else v - b

    n = get(SAFE, "create", "wanted") or get(SAFE, "create", "chips") or \
        get(UP, "create", "wanted")
    metrics = [
        ("registered, all (s)", lambda p: get(p, "create", "create_s")),
        ("creations per second", lambda p: get(p, "create", "creations_s")),
        ("kernel memory per chip, slab+vmalloc (B)",
         lambda p: driver_mem(p, "kmem_bytes_per_chip")),
        ("busy: aggregate ops/s", lambda p: get(p, "busy", "ops_s")),
        ("busy: median (ms)", lambda p: get(p, "busy", "median_ms")),
        ("busy: p99 (ms)", lambda p: get(p, "busy", "p99_ms")),
        ("busy: commands failed, all rounds", lambda p: get(p, "busy", "errors")),
        ("busy: context switches per command", lambda p: get(p, "busy", "ctxt_per_op")),
        ("busy: IPIs per command", lambda p: get(p, "busy", "ipi_per_op")),
        ("busy: system ms per command", lambda p: get(p, "busy", "sys_ms_per_op")),
        ("sleep: notifiers (s)", lambda p: get(p, "sleep", "notifier_s")),
        ("sleep: whole transition (s)", lambda p: get(p, "sleep", "transition_s")),
        ("kill all: every chip gone (s)", lambda p: get(p, "kill", "gone_s")),
        ("kill all: to module unloaded (s)", lambda p: get(p, "kill", "total_s")),
        ("unbind all: every chip gone (s)", lambda p: get(p, "unbind", "gone_s")),
    ]
    # the baseline's column: its servers with no driver in between, on
    # unix sockets (a reference, not a bound: a socket write allocates and
    # queues an skb, and a character device's copy can cost less; memory:
    # it is the zero)
    fmt = "%-42s %14s %14s %8s %17s"
    lines = ["kernel %s, %s virtual TPMs" % (kernel, n),
             fmt % ("", UP, SAFE, "ratio", "no driver (" + BASE + ")")]
    table = {}
    for name, f in metrics:
        u, s = f(UP), f(SAFE)
        b = f(BASE) if "memory" not in name else None
        ratio = round(s / u, 2) if u and s is not None else None
        table[name] = {UP: u, SAFE: s, "ratio": ratio, BASE: b}
        lines.append(fmt % (name, "-" if u is None else u, "-" if s is None else s,
                            "-" if ratio is None else ratio, "-" if b is None else b))
    # the no-driver servers on sockets, over upstream
    for name in ("creations per second", "busy: aggregate ops/s"):
        u, b = table[name][UP], table[name][BASE]
        if u and b:
            lines.append("no driver over upstream, %s: %.2f" % (name, b / u))
    for p in (UP, SAFE):
        r = by.get((p, "create"), {})
        if r.get("wanted") and r.get("chips") != r.get("wanted"):
            lines.append("%s registered %s of %s chips (the other servers gave up):"
                         " its rows are over those" % (p, r.get("chips"), r.get("wanted")))
    for p in (UP, SAFE):
        r = by.get((p, "busy"), {})
        if r.get("rounds_ops_s"):
            lines.append("%s busy rounds, ops/s: %s (the median round is its row)" % (
                p, " ".join("%.1f" % v for v in r["rounds_ops_s"])))
    b = by.get((BASE, "create"), {})
    lines.append("baseline: %s swtpm on socketpairs, slab+vmalloc %s B each "
                 "(taken out of the memory row)" % (
                     b.get("chips"), b.get("kmem_bytes_per_chip")))

    # targets: (what, value, test, wanted)
    rate = table["creations per second"]["ratio"]
    mem = table["kernel memory per chip, slab+vmalloc (B)"]["ratio"]
    ops = table["busy: aggregate ops/s"]["ratio"]
    kill = get(SAFE, "kill", "gone_s")
    unbind = get(SAFE, "unbind", "gone_s")
    targets = [("creation rate over upstream's", rate, lambda v: v >= 2, ">= 2"),
               ("kernel memory per chip over upstream's", mem, lambda v: v <= 1, "<= 1"),
               ("busy ops/s over upstream's", ops, lambda v: v >= 2, ">= 2"),
               ("kill all: every chip gone, s", kill, lambda v: v < 2, "< 2"),
               ("unbind all: every chip gone, s", unbind, lambda v: v < 2, "< 2")]
    missed = []
    lines.append("")
    for what, v, test, want in targets:
        good = v is not None and test(v)
        if not good:
            missed.append("%s = %s, target %s" % (what, v, want))
        lines.append("  %-42s %8s  %s" % (what, v, "met (%s)" % want if good else
                                         "MISSED (target %s)" % want))
    lines.append("targets missed on %s: %d of %d" % (kernel, len(missed), len(targets))
                 if missed else "targets met on %s: all %d" % (kernel, len(targets)))
    text = "\n".join(lines)
    print(text)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "scale-table.txt"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(out, "scale.json"), "w") as f:
        json.dump({"kernel": kernel, "chips": n, "table": table, "rows": rows,
                   "targets_missed": missed}, f, indent=1)

    # seconds per phase, the two paths side by side
    dat = os.path.join(out, "scale-phases.dat")
    with open(dat, "w") as f:
        for name in ("registered, all (s)", "sleep: whole transition (s)",
                     "kill all: every chip gone (s)", "kill all: to module unloaded (s)",
                     "unbind all: every chip gone (s)"):
            u, s = table[name][UP], table[name][SAFE]
            f.write('"%s" %s %s\n' % (name.replace(" (s)", ""), u if u is not None else 0,
                                      s if s is not None else 0))
    gp = ("set terminal png size 1100,600 noenhanced; set output '%s';"
          "set title '%s virtual TPMs, kernel %s'; set style data histograms;"
          "set style histogram clustered gap 1; set style fill solid 0.8 border -1;"
          "set ylabel 'seconds'; set xtics rotate by -20; set grid y;"
          "plot '%s' using 2:xtic(1) title '%s', '' using 3 title '%s'" % (
              os.path.join(out, "scale.png"), n, kernel, dat, UP, SAFE))
    subprocess.run(["gnuplot", "-e", gp], check=False)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
