#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Round-trip latency of one command on a TPM node: median, p99, ops/s,
and CPU time per command over all CPUs: the run time of every task but the
idle ones from /proc/schedstat (nanoseconds), or the busy ticks of
/proc/stat where schedstat is missing."""

import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import tpmsafe as T  # noqa: E402


def cpu_seconds():
    """busy CPU seconds so far, all CPUs, and the source's name"""
    try:
        ns = 0
        with open("/proc/schedstat") as f:
            for line in f:
                w = line.split()
                if w and w[0].startswith("cpu"):
                    ns += int(w[7])   # rq_cpu_time: non-idle run time
        return ns / 1e9, "schedstat"
    except (OSError, IndexError, ValueError):
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        busy = sum(v) - v[3] - v[4]   # minus idle and iowait
        return busy / os.sysconf("SC_CLK_TCK"), "stat"


def measure(dev, command, n, warmup=50):
    if dev.startswith("unix:"):
        import floor
        sock = floor.SocketTPM(dev[5:])
        write, read, close = sock.write, sock.read, sock.s.close
    else:
        fd = os.open(dev, os.O_RDWR)
        write = lambda c: os.write(fd, c)  # noqa: E731
        read = lambda: os.read(fd, 4096)  # noqa: E731
        close = lambda: os.close(fd)  # noqa: E731
    try:
        for _ in range(warmup):
            write(command)
            T.check_rsp(read())
        lat = []
        c0, src = cpu_seconds()
        t0 = time.perf_counter()
        for _ in range(n):
            a = time.perf_counter()
            write(command)
            rsp = read()
            lat.append(time.perf_counter() - a)
            T.check_rsp(rsp)
        wall = time.perf_counter() - t0
        c1, _ = cpu_seconds()
    finally:
        close()
    lat.sort()
    return {"n": n, "median_ms": round(statistics.median(lat) * 1e3, 3),
            "p99_ms": round(lat[int(n * 0.99) - 1] * 1e3, 3),
            "ops_s": round(n / wall, 1),
            "cpu_ms_per_cmd": round((c1 - c0) * 1e3 / n, 4),
            "cpu_source": src,
            "samples_ms": [round(x * 1e3, 4) for x in lat]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev", required=True)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--cmd", default="getrandom",
                    choices=["getrandom", "pcrread", "hash"])
    ap.add_argument("--label", default="")
    ap.add_argument("--json", help="append the full result here")
    ap.add_argument("--path", default="", help="path name for the report")
    ap.add_argument("--clients", type=int, default=1)
    a = ap.parse_args()
    command = {"getrandom": T.get_random(16), "pcrread": T.pcr_read(),
               "hash": T.hash_cmd()}[a.cmd]
    r = measure(a.dev, command, a.n)
    r.update(label=a.label, dev=a.dev, cmd=a.cmd, path=a.path,
             clients=a.clients)
    if a.json:
        with open(a.json, "a") as f:
            f.write(json.dumps(r) + "\n")
    print("%s %s %s: median %.3f ms, p99 %.3f ms, %.0f ops/s, cpu %.3f ms/cmd" % (
        a.label, a.dev, a.cmd, r["median_ms"], r["p99_ms"], r["ops_s"],
        r["cpu_ms_per_cmd"]))


if __name__ == "__main__":
    main()
