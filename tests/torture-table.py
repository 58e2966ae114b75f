#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The torture summary: one row per scenario and guest run, from the
FIGURE lines and TAP of results/*/share: cycles, commands issued, failures
by errno, max time to unbind, splats, leaks."""

import glob
import json
import os
import re
import sys

top = sys.argv[1] if len(sys.argv) > 1 else "results"


def loads(s):
    try:
        return json.loads(s)
    except ValueError:
        return {}


rows = []
for d in sorted(glob.glob(os.path.join(top, "guest-*"))):
    fig = os.path.join(d, "share", "figures")
    tap = os.path.join(d, "share", "tap")
    if not os.path.exists(fig) or not os.path.exists(tap):
        continue
    run = os.path.basename(d)[6:]
    taptext = open(tap).read()
    # the host's console check (serial console and the saved dmesg)
    cv = os.path.join(d, "console-verdict")
    splats = int(open(cv).read().strip() == "splat") if os.path.exists(cv) else "?"
    leaks = len(re.findall(r"not ok .*objects balanced", taptext))
    per = {}
    for line in open(fig):
        test, _, text = line.partition(": ")
        per.setdefault(test, []).append(text.strip())
    for test, lines in per.items():
        r = {"scenario": "%s/%s" % (run, test), "cycles": "-", "commands": 0,
             "failed": {}, "max_unbind_ms": "-", "splats": splats, "leaks": leaks}
        for t in lines:
            m = re.search(r"cycles=(\d+)", t) or re.search(r"(\d+) (?:load|suspend)", t)
            if m:
                r["cycles"] = int(m.group(1))
            m = re.search(r"max=([\d.]+)", t)
            if m and "unbind" in t:
                r["max_unbind_ms"] = m.group(1)
            m = re.search(r"unbind with a stuck command: (\d+) ms", t)
            if m:
                r["max_unbind_ms"] = m.group(1)
            m = re.search(r"(clients|hostile clients)[^:]*: (\{.*\})", t)
            if m:
                for k, v in loads(m.group(2)).items():
                    r["commands"] += v
                    if k != "ok":
                        r["failed"][k] = r["failed"].get(k, 0) + v
        if r["commands"] or r["cycles"] != "-" or r["max_unbind_ms"] != "-":
            rows.append(r)

print("%-34s %7s %9s %9s %s" % ("scenario", "cycles", "attempts", "max unbind",
                                 "splats leaks  failed by errno"))
for r in rows:
    print("%-34s %7s %9s %9s ms %3s %5d  %s" % (
        r["scenario"], r["cycles"], r["commands"], r["max_unbind_ms"],
        r["splats"], r["leaks"],
        " ".join("%s=%d" % kv for kv in sorted(r["failed"].items())) or "-"))
