#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Round-trip latency of one command on TPM nodes (one client thread per
node, started together): median, p99, ops/s, and CPU time per command over
all CPUs, two ways: wall time times CPUs minus the idle and iowait time of
/proc/stat (10 ms resolution), and the run time of every task but the idle
ones from /proc/schedstat (nanoseconds).  Neither lets a spinning kernel
thread hide.  A node is a device, unix:PATH (a swtpm socket server) or
pair: (a swtpm chardev of its own on a socketpair, no kernel driver).
With --client (make bench) the C client lat_client.c times the round trips
and counts context switches; Python only opens the nodes and makes the
key; without it the round trips are timed here."""

import argparse
import json
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "guest"))
import tpmsafe as T  # noqa: E402


def stat_seconds():
    """busy CPU seconds from /proc/stat, all CPUs: a count whose deltas
    are wall time times CPUs minus idle and iowait (the idle time is
    measured, not sampled by the tick)"""
    ncpu = 0
    with open("/proc/stat") as f:
        for line in f:
            w = line.split()
            if w[0] == "cpu":
                idle = (int(w[4]) + int(w[5])) / os.sysconf("SC_CLK_TCK")
            elif w[0].startswith("cpu"):
                ncpu += 1
    return time.monotonic() * ncpu - idle


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
        return stat_seconds(), "stat"


SIGNS = ("sign", "hmac-sign")


def sign_setup(write, read, kind="sign"):
    """a signing key made as a primary, and TPM2_Sign with it: on a
    resource-manager node each sign is one ContextLoad of it.  "sign": an
    ECDSA P-256 key (the emulator's ECDSA costs more than a manager's
    context load and save together); "hmac-sign": a keyedHash key with the
    HMAC scheme, a sign that costs the TPM little, so that the manager's
    own work shows"""
    pw = struct.pack(">IHBH", 0x40000009, 0, 0, 0)
    pw = struct.pack(">I", len(pw)) + pw
    if kind == "sign":
        public = struct.pack(">HHIH", 0x0023, 0x000B, 0x00040072, 0)
        public += struct.pack(">HHHHH", 0x0010, 0x0018, 0x000B, 0x0003, 0x0010)
        public += struct.pack(">HH", 0, 0)
        scheme = struct.pack(">HH", 0x0018, 0x000B)
    else:
        # TPM_ALG_KEYEDHASH, sign, scheme HMAC-SHA256, no unique data
        public = struct.pack(">HHIH", 0x0008, 0x000B, 0x00040072, 0)
        public += struct.pack(">HHH", 0x0005, 0x000B, 0)
        scheme = struct.pack(">HH", 0x0005, 0x000B)
    body = struct.pack(">I", 0x40000001) + pw + struct.pack(">HHH", 4, 0, 0)
    body += struct.pack(">H", len(public)) + public + struct.pack(">HI", 0, 0)
    write(T.cmd(0x131, body, 0x8002))
    handle = struct.unpack(">I", T.check_rsp(read())[10:14])[0]
    body = struct.pack(">I", handle) + pw + struct.pack(">H", 32) + bytes(range(32))
    body += scheme + struct.pack(">HIH", 0x8024, 0x40000007, 0)
    return T.cmd(0x15D, body, 0x8002)


def read_rsp(fd):
    """one response: a stream socket may hand it over in parts"""
    buf = os.read(fd, 4096)
    while len(buf) < 10 or len(buf) < struct.unpack(">I", buf[2:6])[0]:
        more = os.read(fd, 4096)
        if not more:
            raise ValueError("the server closed the connection")
        buf += more
    return buf


class Transport:
    """a file descriptor for one --dev: a TPM node; unix:PATH, a swtpm
    socket server; or pair:, a socketpair to a `swtpm chardev --fd` of its
    own, with no kernel driver in the path (the floor)"""

    def __init__(self, dev):
        self.keep, self.proc, self.state = None, None, None
        if dev.startswith("unix:"):
            self.keep = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.keep.connect(dev[5:])
            self.fd = self.keep.fileno()
        elif dev == "pair:":
            self.keep, peer = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            self.state = tempfile.mkdtemp(prefix="floor-")
            try:
                self.proc = subprocess.Popen(
                    ["swtpm", "chardev", "--tpm2", "--fd", str(peer.fileno()),
                     "--tpmstate", "dir=" + self.state,
                     "--flags", "not-need-init,startup-clear"],
                    pass_fds=(peer.fileno(),), stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL)
            except OSError:
                self.keep.close()
                shutil.rmtree(self.state, ignore_errors=True)
                raise
            finally:
                peer.close()
            self.fd = self.keep.fileno()
        else:
            self.fd = os.open(dev, os.O_RDWR)

    def write(self, command):
        return os.write(self.fd, command)

    def read(self):
        return read_rsp(self.fd)

    def close(self):
        if self.keep:
            self.keep.close()
        else:
            os.close(self.fd)
        if self.proc:
            # the server ends at the end of its connection
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            shutil.rmtree(self.state, ignore_errors=True)


def client(dev, command, n, warmup, start, lat, errors):
    """warm up, wait for the others, then n timed round trips"""
    t = None

    def round_trip(command):
        t.write(command)
        rsp = t.read()
        # TPM_RC_RETRY, TPM_RC_TESTING: sent again, as every driver does
        # (swtpm's socket has no driver to do it)
        while rsp[6:10] in (b"\0\0\x09\x22", b"\0\0\x09\x0a"):
            t.write(command)
            rsp = t.read()
        return rsp

    try:
        t = Transport(dev)
        if command in SIGNS:
            command = sign_setup(t.write, t.read, command)
        for _ in range(warmup):
            T.check_rsp(round_trip(command))
        start.wait()
        for _ in range(n):
            a = time.perf_counter()
            rsp = round_trip(command)
            lat.append(time.perf_counter() - a)
            T.check_rsp(rsp)
    except (OSError, ValueError, threading.BrokenBarrierError) as e:
        errors.append(e)
        start.abort()
    finally:
        if t:
            t.close()


def summary(lat, wall, cpu_s, src, stat_s):
    lat = sorted(lat)
    n = len(lat)
    return {"n": n, "median_ms": round(statistics.median(lat) * 1e3, 3),
            "p99_ms": round(lat[int(n * 0.99) - 1] * 1e3, 3),
            "ops_s": round(n / wall, 1),
            "cpu_ms_per_cmd": round(cpu_s * 1e3 / n, 4),
            "cpu_source": src,
            "cpu_stat_ms_per_cmd": round(stat_s * 1e3 / n, 4),
            "samples_ms": [round(x * 1e3, 4) for x in lat]}


def measure(devs, command, n, warmup=50):
    """the Python client: one thread per node"""
    start = threading.Barrier(len(devs) + 1)
    lats = [[] for _ in devs]
    errors = []
    threads = [threading.Thread(target=client, args=(d, command, n, warmup,
                                                     start, lats[i], errors))
               for i, d in enumerate(devs)]
    for t in threads:
        t.start()
    try:
        start.wait()
    except threading.BrokenBarrierError:
        pass
    c0, src = cpu_seconds()
    s0 = stat_seconds()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    c1, _ = cpu_seconds()
    s1 = stat_seconds()
    if errors:
        raise errors[0]
    return summary([x for one in lats for x in one], wall, c1 - c0, src,
                   s1 - s0)


def measure_c(prog, devs, command, n, warmup=50, interleave=False):
    """the C client (tests/bench/lat_client.c): the transports opened and
    any key made here, the round trips timed there, one thread each; or,
    interleaved, one thread taking the nodes in turn, and one result per
    node (the CPU and context-switch figures are the run's, per command)"""
    ts = []
    try:
        for d in devs:
            ts.append(Transport(d))
        # each its own key (a space of its own on a resource manager)
        args = ["%d:%s" % (t.fd, (sign_setup(t.write, t.read, command)
                                  if command in SIGNS else command).hex())
                for t in ts]
        fds = [t.fd for t in ts]
        p = subprocess.run([prog] + (["-i"] if interleave else []) +
                           [str(n), str(warmup)] + args, pass_fds=fds,
                           capture_output=True, text=True, timeout=3600)
    finally:
        err = None
        for t in ts:
            try:
                t.close()
            except OSError as e:
                err = err or e
        if err:
            raise err
    if p.returncode:
        raise ValueError("lat_client exited %d: %s" % (p.returncode,
                                                        p.stderr.strip()))
    lines = p.stdout.split("\n")
    tot = dict(kv.split("=") for kv in lines[0].split())
    by = [[] for _ in devs]
    for line in lines[1:]:
        if line:
            k, ns = line.split()
            by[int(k)].append(int(ns) / 1e9)
    every = [x for one in by for x in one]
    if len(every) != int(tot["n"]):
        raise ValueError("lat_client: %s samples for n=%s" % (len(every), tot["n"]))
    wall, cpu, stat = (int(tot[k]) / 1e9 for k in ("wall_ns", "sched_ns",
                                                   "stat_busy_ns"))
    ctxt = round(int(tot["ctxt"]) / len(every), 2)
    if not interleave:
        r = summary(every, wall, cpu, "schedstat", stat)
        r.update(client="c", ctxt_per_cmd=ctxt)
        return [r]
    out = []
    for one in by:
        # each node's share of the run's time and CPU: its share of commands
        f = len(one) / len(every)
        r = summary(one, wall * f, cpu * f, "schedstat", stat * f)
        r.update(client="c", ctxt_per_cmd=ctxt, interleaved=len(devs))
        out.append(r)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev", required=True, help="node, or several separated by commas "
                    "(one client thread each)")
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--cmd", default="getrandom",
                    choices=["getrandom", "pcrread", "hash"] + list(SIGNS))
    ap.add_argument("--label", default="")
    ap.add_argument("--json", help="append the full result here")
    ap.add_argument("--path", default="", help="path name for the report")
    ap.add_argument("--interleave", action="store_true",
                    help="(C client) one thread takes the nodes in turn; one "
                    "result per node, --path and --label comma-separated")
    ap.add_argument("--client", help="time the round trips with this build of "
                    "tests/bench/lat_client.c (default: $LAT_CLIENT; none: "
                    "in Python)")
    a = ap.parse_args()
    command = {"getrandom": T.get_random(16), "pcrread": T.pcr_read(),
               "hash": T.hash_cmd(), "sign": "sign", "hmac-sign": "hmac-sign"}[a.cmd]
    devs = a.dev.split(",")
    prog = a.client or os.environ.get("LAT_CLIENT")
    if a.interleave and not prog:
        ap.error("--interleave needs the C client")
    if prog:
        rs = measure_c(prog, devs, command, a.n, interleave=a.interleave)
    else:
        rs = [measure(devs, command, a.n)]
    if a.interleave:
        paths, labels = a.path.split(","), a.label.split(",")
        if len(paths) != len(devs) or len(labels) != len(devs):
            ap.error("--interleave: one --path and --label per node")
        for r, d, p, lb in zip(rs, devs, paths, labels):
            r.update(label=lb + " (interleaved)", dev=d, path=p, clients=1)
    else:
        rs[0].update(label=a.label, dev=a.dev, path=a.path, clients=len(devs))
    done = 0
    for r in rs:
        r["cmd"] = a.cmd
        done += r["n"]
        if a.json:
            with open(a.json, "a") as f:
                f.write(json.dumps(r) + "\n")
        print("%s %s %s: %d commands, median %.3f ms, p99 %.3f ms, %.0f ops/s, "
              "cpu %.3f ms/cmd (/proc/stat %.3f)" % (
                  r["label"], r["dev"], a.cmd, r["n"], r["median_ms"], r["p99_ms"],
                  r["ops_s"], r["cpu_ms_per_cmd"], r["cpu_stat_ms_per_cmd"]))
    # every client must have completed all its commands
    return 0 if done == a.n * len(devs) else 1


if __name__ == "__main__":
    sys.exit(main())
