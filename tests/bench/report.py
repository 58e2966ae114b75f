#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the guest's bench.json into a table, ratios, a summary JSON and a
gnuplot PNG of the latency distributions."""

import json
import os
import subprocess
import sys

PATHS = ["tpm_tis", "tpm_safe_tis-poll", "tpm_safe_tis-irq", "vtpm_proxy",
         "tpm_safe_vtpm", "floor"]


def main():
    src, out = sys.argv[1], sys.argv[2]
    rows = [json.loads(line) for line in open(src) if line.strip()]
    single = {(r["path"], r["cmd"]): r for r in rows if r["clients"] == 1}
    multi = {}
    for r in rows:
        if r["clients"] > 1:
            multi.setdefault(r["path"], []).append(r)

    lines = ["%-20s %-10s %9s %9s %9s %9s" % ("path", "command", "median",
                                                 "p99", "ops/s", "cpu/cmd"),
             "%-20s %-10s %9s %9s %9s %9s" % ("", "", "ms", "ms", "", "ms")]
    for p in PATHS:
        for c in ("getrandom", "pcrread", "hash"):
            r = single.get((p, c))
            if r:
                lines.append("%-20s %-10s %9.3f %9.3f %9.0f %9.3f" % (
                    p, c, r["median_ms"], r["p99_ms"], r["ops_s"],
                    r["cpu_ms_per_cmd"]))
    for p, rs in sorted(multi.items()):
        med = sorted(r["median_ms"] for r in rs)[len(rs) // 2]
        lines.append("%-20s %-10s %9.3f %9s %9.0f %9s" % (
            p, "getrandom", med, "-", sum(r["ops_s"] for r in rs), "-"))

    def ratio(a, b, c, key="median_ms"):
        ra, rb = single.get((a, c)), single.get((b, c))
        return round(ra[key] / rb[key], 3) if ra and rb and rb[key] else None

    ratios = {}
    for c in ("getrandom", "pcrread", "hash"):
        ratios[c] = {
            "tpm_safe_vtpm/vtpm_proxy": ratio("tpm_safe_vtpm", "vtpm_proxy", c),
            "tpm_safe_vtpm/floor": ratio("tpm_safe_vtpm", "floor", c),
            "tpm_safe_tis-poll/tpm_tis": ratio("tpm_safe_tis-poll", "tpm_tis", c),
            "tpm_safe_tis-irq/tpm_tis": ratio("tpm_safe_tis-irq", "tpm_tis", c),
            "cpu tpm_safe_vtpm/vtpm_proxy": ratio("tpm_safe_vtpm", "vtpm_proxy", c,
                                                  "cpu_ms_per_cmd"),
            "cpu tpm_safe_tis-poll/tpm_tis": ratio("tpm_safe_tis-poll", "tpm_tis", c,
                                                   "cpu_ms_per_cmd"),
            "cpu tpm_safe_tis-irq/tpm_tis": ratio("tpm_safe_tis-irq", "tpm_tis", c,
                                                  "cpu_ms_per_cmd"),
        }
    lines.append("")
    lines.append("ratios of medians (targets: vtpm/proxy <= 0.35, vtpm/floor <= 1.5,"
                 " tis/tpm_tis <= 0.5, cpu <= 1.2):")
    for c, d in ratios.items():
        for k, v in d.items():
            lines.append("  %-10s %-32s %s" % (c, k, v))
    table = "\n".join(lines)
    print(table)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "table.txt"), "w") as f:
        f.write(table + "\n")
    summary = {"single": [{k: v for k, v in r.items() if k != "samples_ms"}
                          for r in rows], "ratios": ratios}
    with open(os.path.join(out, "bench.json"), "w") as f:
        json.dump(summary, f, indent=1)

    # latency distributions (getrandom): one CDF per path
    plots = []
    for p in PATHS:
        r = single.get((p, "getrandom"))
        if not r:
            continue
        dat = os.path.join(out, "cdf-%s.dat" % p)
        n = len(r["samples_ms"])
        with open(dat, "w") as f:
            for i, x in enumerate(r["samples_ms"]):
                f.write("%f %f\n" % (x, (i + 1) / n))
        plots.append("'%s' using 1:2 with lines lw 2 title '%s'" % (dat, p))
    if plots:
        gp = ("set terminal png size 1000,600 noenhanced; set output '%s';"
              "set logscale x; set xlabel 'TPM2_GetRandom(16) round trip, ms';"
              "set ylabel 'fraction of commands'; set key bottom right; set grid;"
              "plot %s" % (os.path.join(out, "latency.png"), ", ".join(plots)))
        subprocess.run(["gnuplot", "-e", gp], check=False)


if __name__ == "__main__":
    main()
