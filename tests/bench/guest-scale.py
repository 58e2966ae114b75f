#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench-scale, guest side: SCALE_N virtual TPMs at once, each served
by its own swtpm, on the kernel's tpm_vtpm_proxy and on tpm_safe_vtpm, in
the same boot.  For each path: time until all are registered (and
creations per second), kernel memory per chip (Slab and VmallocUsed
deltas over the same number of swtpm processes on socketpairs, which no
driver serves), every chip busy at once (scale_client: one thread per
node, GetRandom back to back), sleep entry with all of them (pm_test
freezer), all servers SIGKILLed at once (time until every chip is gone,
then the module unloads); for tpm_safe also all devices unbound at once.
JSON lines go to SCALE_JSON; TAP lines and FIGURE lines to stdout.
SCALE_UPSTREAM=0 leaves out the kernel's driver (a kernel without it)."""

import glob
import json
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "guest"))
import tpmsafe as T  # noqa: E402

N = int(os.environ.get("SCALE_N", "256"))
BUSY_S = float(os.environ.get("SCALE_BUSY_S", "10"))
# busy rounds per driver, the two drivers taking turns
BUSY_ROUNDS = int(os.environ.get("SCALE_BUSY_ROUNDS", "3"))
CLIENT = os.environ["SCALE_CLIENT"]
KO = os.environ.get("KO", "tpm_safe.ko")
# module parameters for tpm_safe's rounds (e.g. hwrng=0)
SAFE_ARGS = os.environ.get("SCALE_SAFE_ARGS", "")
OUT = os.environ.get("SCALE_JSON", "/tmp/results/scale.json")
TIME_SCALE = int(os.environ.get("TIME_SCALE", "1"))
# a boot with profile=2 (make bench-scale SCALE_PROFILE=1): the kernel's
# tick profile of every busy round, and the symbols, go next to the JSON
# (tests/bench/profile_report.py reads them)
PROFILE = "/proc/profile"
LIMIT = 300.0 * TIME_SCALE     # seconds any one phase may take
VTPM_DRV = "/sys/bus/platform/drivers/tpm_safe_vtpm"

tap = T.Tap()


def record(**kw):
    with open(OUT, "a") as f:
        f.write(json.dumps(kw) + "\n")


def sh(cmd):
    return subprocess.run(cmd, shell=True).returncode


def kmem():
    """Slab plus VmallocUsed in kB, after the page cache, dentries and
    inodes are dropped and every slab cache is shrunk.  kmalloc's
    allocations past two pages come from the page allocator and count in
    Slab too (not in /proc/slabinfo)."""
    sh("sync; echo 3 > /proc/sys/vm/drop_caches")
    # the empty slabs of what exited before (the baseline's servers) go
    # back to the page allocator: a later phase reusing them would look
    # smaller than one that needs new slabs
    for f in glob.glob("/sys/kernel/slab/*/shrink"):
        try:
            T.write_text(f, "1")
        except OSError:
            pass
    m = {}
    for line in open("/proc/meminfo"):
        k, v = line.split(":")
        m[k] = int(v.split()[0])
    return m["Slab"] + m["VmallocUsed"]


def per_chip(base, after, n=N):
    """bytes per chip"""
    return round((after - base) * 1024 / n)


def slabs():
    """bytes per slab cache: active objects times object size"""
    s = {}
    for line in open("/proc/slabinfo").readlines()[2:]:
        f = line.split()
        s[f[0]] = int(f[1]) * int(f[3])
    return s


def slab_growth(a, b, n):
    """bytes per chip by slab cache, every cache that grew by 64 or more"""
    d = sorted(((b.get(k, 0) - a.get(k, 0), k) for k in b), reverse=True)
    return {k: round(v / n) for v, k in d if v >= 64 * n}


def wait_count(count, want, limit=LIMIT):
    """seconds until count() == want (polled every 5 ms), or None"""
    t0 = time.monotonic()
    while count() != want:
        if time.monotonic() - t0 > limit:
            return None
        time.sleep(0.005)
    return time.monotonic() - t0


def upstream_chips():
    """the kernel TPM core's chips made by tpm_vtpm_proxy"""
    return [os.path.basename(p) for p in glob.glob("/sys/class/tpm/tpm*")
            if "/virtual/" in os.path.realpath(p)]


def safe_chips():
    """tpm_safe's chips of virtual TPMs (not a TIS chip it may also own)"""
    return glob.glob("/sys/bus/platform/devices/tpm_safe_vtpm.*/tpm_safe/tpmsafe*")


def safe_devices():
    return glob.glob("/sys/bus/platform/devices/tpm_safe_vtpm.*")


def reap(procs):
    for p in procs:
        try:
            p.wait(LIMIT)
        except subprocess.TimeoutExpired:
            return False
    return True


def stop(procs):
    """after a step that raised: the servers still running killed and
    reaped (at most LIMIT: one stuck in the kernel is not waited on
    forever); True when any was running"""
    alive = [p for p in procs if p.poll() is None]
    for p in alive:
        p.kill()
    reap(alive)
    return bool(alive)


def stat():
    """context switches, CPU time (user, system, softirq, idle with I/O
    wait, all) in ticks, and inter-processor interrupts (rescheduling and
    function-call: mostly wake-ups of a task on the other CPU)"""
    v = {"ipi": None}
    for line in open("/proc/stat"):
        f = line.split()
        if f[0] == "cpu":
            v["user"], v["sys"], v["soft"] = int(f[1]) + int(f[2]), int(f[3]), int(f[7])
            v["idle"], v["all"] = int(f[4]) + int(f[5]), sum(int(x) for x in f[1:])
        elif f[0] == "ctxt":
            v["ctxt"] = int(f[1])
    with open("/proc/interrupts") as f:
        ncpu = len(f.readline().split())
        for line in f:
            fld = line.split()
            if fld and fld[0] in ("RES:", "CAL:"):
                v["ipi"] = (v["ipi"] or 0) + sum(int(x) for x in fld[1:1 + ncpu])
    return v


def cpu_by_comm():
    """CPU ticks (user + system) of every task so far, summed by name
    (digits and what follows a slash dropped: kworker/1:2 -> kworker)"""
    got = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                line = f.read()
        except OSError:
            continue
        comm = re.sub(r"[/:].*|\d+$", "", line[line.index("(") + 1:line.rindex(")")])
        f = line[line.rindex(")") + 2:].split()
        got[comm] = got.get(comm, 0) + int(f[11]) + int(f[12])
    return got


def idle_fraction(seconds):
    """the share of both CPUs' time spent idle over the next seconds"""
    s0 = stat()
    time.sleep(seconds)
    s1 = stat()
    return (s1["idle"] - s0["idle"]) / max(s1["all"] - s0["all"], 1)


def wait_quiet():
    """until the guest is idle (90% over half a second), at most 30 s: a
    round must not start while the last phase's aftermath still runs"""
    t0 = time.monotonic()
    while time.monotonic() - t0 < 30 * TIME_SCALE:
        if idle_fraction(0.5) >= 0.9:
            break
    return time.monotonic() - t0


def save_profile(name, prof):
    """a round's tick profile, and the symbols (once), next to OUT"""
    to = os.path.dirname(OUT)
    with open(os.path.join(to, name), "wb") as g:
        g.write(prof)
    if not os.path.exists(os.path.join(to, "kallsyms")):
        with open("/proc/kallsyms") as f, open(os.path.join(to, "kallsyms"), "w") as g:
            g.write(f.read())


def busy(path, nodes, fds=(), strict=True, rnd=0):
    """one round: every node busy at once for BUSY_S; its figures, or None.
    strict: every command must be answered (tpm_safe, the baseline);
    else (upstream) its failures are a figure, not a failed check"""
    try:
        print("# %s: hwrng current %s" % (path, T.read_text(
            "/sys/class/misc/hw_random/rng_current")))
    except OSError:
        pass
    quiet = wait_quiet()
    c0 = cpu_by_comm()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    profiling = os.path.exists(PROFILE)
    if profiling:
        T.write_text(PROFILE, "0")     # any write but an int's 4 bytes: reset
    s0 = stat()
    r = subprocess.run([CLIENT, str(BUSY_S)] + nodes, pass_fds=fds, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    s1 = stat()
    if profiling:
        with open(PROFILE, "rb") as f:
            prof = f.read()
    c1 = cpu_by_comm()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if profiling:
        # written out after the CPU reading (only the read before it counts)
        save_profile("profile-%s-%d" % (path, rnd + 1), prof)
    got = dict(kv.split("=") for kv in r.stdout.split())
    ops = max(int(got.get("ops", 0)), 1)
    hz = os.sysconf("SC_CLK_TCK")
    # where the CPU went: the five biggest task names, in % of one CPU
    # (the client has exited by now: its time is this process's children's)
    c1["scale_client"] = c0.get("scale_client", 0) + round(
        (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime) * hz)
    spent = sorted(((c1[k] - c0.get(k, 0), k) for k in c1), reverse=True)[:5]
    took = max(float(got.get("seconds", BUSY_S)), 0.1)
    cpu = " ".join("%s %.0f%%" % (k, 100.0 * v / hz / took) for v, k in spent if v > 0)
    # no RES/CAL lines in /proc/interrupts: IPIs not counted (None)
    per = {k: None if s0[k] is None else (s1[k] - s0[k]) / ops for k in s0}
    ipi = None if per["ipi"] is None else round(per["ipi"], 2)
    what = "%s round %d: %d chips busy at once" % (path, rnd + 1, len(nodes))
    if strict:
        tap(r.returncode == 0 and int(got.get("nodes", 0)) == len(nodes),
            what + ", every command answered", r.stdout + r.stderr)
    else:
        tap(int(got.get("nodes", 0)) == len(nodes) and int(got.get("ops", 0)) > 0,
            what + ", commands answered (%s failed)" % got.get("errors", "?"),
            r.stdout + r.stderr)
        if r.returncode:
            print("# FIGURE %s busy x%d: %s commands failed: %s" % (
                path, len(nodes), got.get("errors", "?"),
                " ".join(r.stderr.split("\n")[:3])))
    if not got:
        return None
    fig = dict(kind="scale", path=path, chips=len(nodes), round=rnd + 1,
               ops=int(got["ops"]), ops_s=float(got["ops_s"]), median_ms=int(got["median_us"]) / 1000,
               p99_ms=int(got["p99_us"]) / 1000, errors=int(got["errors"]),
               ctxt_per_op=round(per["ctxt"], 2), ipi_per_op=ipi,
               user_ms_per_op=round(per["user"] * 1000 / hz, 3),
               sys_ms_per_op=round((per["sys"] + per["soft"]) * 1000 / hz, 3),
               quiet_s=round(quiet, 1), cpu=cpu)
    record(phase="busy-round", **fig)
    print("# FIGURE %s busy x%d round %d: %s ops/s, median %.2f ms, p99 %.2f ms; per "
          "command %.1f context switches, %s IPIs, user %.3f ms, system %.3f ms; quiet "
          "after %.1f s; CPU: %s" % (
              path, len(nodes), rnd + 1, got["ops_s"], int(got["median_us"]) / 1000,
              int(got["p99_us"]) / 1000, per["ctxt"], "?" if ipi is None else ipi, per["user"] * 1000 / hz,
              (per["sys"] + per["soft"]) * 1000 / hz, quiet, cpu))
    return fig


def busy_rounds(paths, rounds):
    """paths: (path, nodes, fds, strict) each; BUSY_ROUNDS rounds, the
    paths taking turns, so that a slow stretch of the emulator hits them
    alike; each path's row is its median round (by ops/s), errors summed"""
    figs = {p[0]: [] for p in paths}
    for rnd in range(rounds):
        for path, nodes, fds, strict in paths:
            fig = busy(path, nodes, fds, strict, rnd)
            if fig:
                figs[path].append(fig)
    for path, got in figs.items():
        tap(len(got) == rounds, "%s: %d of %d busy rounds measured" % (path, len(got), rounds))
        if not got:
            continue
        mid = dict(sorted(got, key=lambda f: f["ops_s"])[(len(got) - 1) // 2])
        mid["rounds_ops_s"] = [f["ops_s"] for f in got]
        mid["errors"] = sum(f["errors"] for f in got)
        mid.pop("round")
        record(phase="busy", **mid)
        print("# FIGURE %s busy x%d: median round %.1f ops/s (rounds %s)" % (
            path, mid["chips"], mid["ops_s"], mid["rounds_ops_s"]))


def sleep_entry(path):
    """pm_test=freezer with every chip registered: the notifiers' time
    (kernel log) and the whole transition's"""
    with T.pm_test_freezer():
        t0 = time.monotonic()
        rc = sh("echo freeze > /sys/power/state")
        whole = time.monotonic() - t0
    notif = T.sleep_notifier_seconds()
    tap(rc == 0 and notif is not None,
        "%s: sleep entry (pm_test freezer) with every chip registered" % path)
    record(kind="scale", path=path, phase="sleep", chips=N,
           notifier_s=None if notif is None else round(notif, 4),
           transition_s=round(whole, 3))
    print("# FIGURE %s sleep x%d: notifiers %s s, transition %.2f s" % (
        path, N, "?" if notif is None else "%.3f" % notif, whole))


def created(path, t, base, after, s0, s1, count, procs, every=True):
    """every: all N must register (tpm_safe); else (upstream) the figures
    are over the chips that did, and only a wait that never ended fails"""
    n = count()
    ok = t is not None and n > 0 and (n == N or not every)
    why = ""
    if ok and n != N:
        dead = [p.returncode for p in procs if p.poll() is not None]
        print("# FIGURE %s: %d of %d chips registered, %d servers gave up" % (
            path, n, N, len(dead)))
    if not ok:
        dead = [p.returncode for p in procs if p.poll() is not None]
        log = subprocess.run(["dmesg"], stdout=subprocess.PIPE,
                             universal_newlines=True).stdout.splitlines()
        lines = [line for line in log if re.search(r"tpm|vtpm|swtpm", line, re.I)]
        why = "\n".join(lines[-6:] + [
            "%d of %d registered; %d servers exited (exit statuses %s)" % (
                count(), N, len(dead), sorted(set(dead)))])
        print("# FIGURE %s: %d of %d chips registered, %d servers exited" % (
            path, count(), N, len(dead)))
        record(kind="scale", path=path, phase="create-failed", chips=N,
               registered=count(), exited=len(dead))
    tap(ok, "%s: %d chips registered%s" % (
        path, N, "" if not ok else " in %.2f s" % t) if every else
        "%s: every server registered its chip or gave up%s" % (
            path, "" if not ok else " (%d of %d registered in %.2f s)" % (n, N, t)), why)
    if ok:
        slab = per_chip(base, after, n)
        record(kind="scale", path=path, phase="create", chips=n, wanted=N,
               create_s=round(t, 3), creations_s=round(n / t, 1),
               kmem_bytes_per_chip=slab, slab_growth=slab_growth(s0, s1, n))
        print("# FIGURE %s create x%d: %.2f s, %.1f/s; kernel memory per chip with "
              "its server: slab+vmalloc %d bytes" % (path, n, t, n / t, slab))
    return ok


def baseline():
    """N swtpm processes on socketpairs: no driver, their own kernel cost,
    how fast they start, and how many commands they answer all busy
    (swtpm's own work plus a unix socket's: a reference, not a bound)"""
    base, s0 = kmem(), slabs()
    t0 = time.monotonic()
    procs, socks = [], []
    for i in range(N):
        a, b = socket.socketpair()
        state = "/tmp/scale/b%d" % i
        os.makedirs(state, exist_ok=True)
        procs.append(subprocess.Popen(
            ["swtpm", "chardev", "--tpm2", "--fd", str(b.fileno()), "--tpmstate",
             "dir=" + state, "--flags", "not-need-init,startup-clear"],
            pass_fds=(b.fileno(),), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL))
        b.close()
        socks.append(a)
    # each answers one command: it is up, with its TPM started
    getrand = T.get_random(8)
    good = 0
    for a in socks:
        a.settimeout(LIMIT)
        try:
            a.sendall(getrand)
            good += len(a.recv(4096)) == 10 + 2 + 8
        except OSError:
            pass
    t = time.monotonic() - t0
    after, s1 = kmem(), slabs()
    tap(good == N, "baseline: %d swtpm processes on socketpairs answer (%d)" % (N, good))
    for a in socks:
        a.settimeout(None)
    busy_rounds([("swtpm-socketpair", ["fd:%d" % a.fileno() for a in socks],
                  [a.fileno() for a in socks], True)], 1)
    for p in procs:
        p.kill()
    for a in socks:
        a.close()
    reap(procs)
    slab = per_chip(base, after)
    record(kind="scale", path="swtpm-socketpair", phase="create", chips=N,
           create_s=round(t, 3), creations_s=round(N / t, 1),
           kmem_bytes_per_chip=slab, slab_growth=slab_growth(s0, s1, N))
    print("# FIGURE baseline: %d swtpm on socketpairs up and answering in %.2f s, "
          "slab+vmalloc %d bytes each" % (N, t, slab))


def kill_all(path, procs, count, unload):
    t0 = time.monotonic()
    for p in procs:
        p.send_signal(signal.SIGKILL)
    t = wait_count(count, 0)
    tap(t is not None, "%s: %d servers SIGKILLed at once, every chip gone%s" % (
        path, N, "" if t is None else " in %.2f s" % t))
    reaped = reap(procs)
    t1 = time.monotonic()
    rc = sh(unload)
    t_unload = time.monotonic() - t0
    tap(reaped and rc == 0, "%s: the servers reaped, then %s (%.2f s after the kill)" % (
        path, unload, t_unload))
    record(kind="scale", path=path, phase="kill", chips=N,
           gone_s=None if t is None else round(t, 3),
           unload_s=round(time.monotonic() - t1, 3), total_s=round(t_unload, 3))
    print("# FIGURE %s kill x%d: all gone %s s, module unloaded %.2f s after the kill" % (
        path, N, "?" if t is None else "%.2f" % t, t_unload))


def upstream():
    """tpm_vtpm_proxy's chips, registered (kept for the busy rounds), and
    its sleep entry: (servers, busy nodes or None)"""
    tap(sh("modprobe tpm_vtpm_proxy") == 0, "modprobe tpm_vtpm_proxy")
    base, s0 = kmem(), slabs()
    t0 = time.monotonic()
    procs = []
    for i in range(N):
        state = "/tmp/scale/u%d" % i
        os.makedirs(state, exist_ok=True)
        procs.append(subprocess.Popen(
            ["swtpm", "chardev", "--vtpm-proxy", "--tpm2", "--tpmstate", "dir=" + state],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    count = lambda: len(upstream_chips())  # noqa: E731
    # done when every server has registered its chip or given up
    t = wait_count(lambda: count() + sum(p.poll() is not None for p in procs), N)
    if t is not None:
        t = time.monotonic() - t0
    # its start-up commands time out when hundreds of servers start at
    # once: what registered is measured, the rest reported
    if not created("vtpm_proxy", t, base, kmem(), s0, slabs(), count, procs, every=False):
        return procs, None
    sleep_entry("vtpm_proxy")
    return procs, ["/dev/" + c for c in sorted(upstream_chips())]


def upstream_end(procs):
    kill_all("vtpm_proxy", procs, lambda: len(upstream_chips()), "rmmod tpm_vtpm_proxy")


def spawn_safe():
    procs = []
    for i in range(N):
        # no session of its own, as upstream's and the baseline's servers
        p, _, _ = T.launch("/tmp/scale/s%d" % i, wait=False, new_session=False)
        procs.append(p)
    return procs


def tpm_safe():
    """tpm_safe's chips, registered (kept for the busy rounds): (servers,
    busy nodes or None)"""
    tap(sh("insmod %s %s" % (KO, SAFE_ARGS)) == 0, "insmod tpm_safe")
    base, s0 = kmem(), slabs()
    t0 = time.monotonic()
    procs = spawn_safe()
    count = lambda: len(safe_chips())  # noqa: E731
    t = wait_count(count, N)
    if t is not None:
        t = time.monotonic() - t0
    if not created("tpm_safe_vtpm", t, base, kmem(), s0, slabs(), count, procs):
        return procs, None
    return procs, ["/dev/" + os.path.basename(c) for c in sorted(safe_chips())]


def tpm_safe_end(procs, registered):
    """sleep entry (the only driver left), the kill, then every device
    unbound at once"""
    if registered:
        sleep_entry("tpm_safe_vtpm")
    kill_all("tpm_safe_vtpm", procs, lambda: len(safe_devices()), "rmmod tpm_safe")

    # all devices unbound at once, their servers still running
    tap(sh("insmod %s %s" % (KO, SAFE_ARGS)) == 0, "insmod tpm_safe (again)")
    procs = spawn_safe()
    try:
        t = wait_count(lambda: len(safe_chips()), N)
        tap(t is not None, "tpm_safe_vtpm: %d chips registered again" % N)
        names = [os.path.basename(d) for d in safe_devices()]
        errs = []

        def unbind(chunk):
            for name in chunk:
                try:
                    T.write_text(VTPM_DRV + "/unbind", name)
                except OSError as e:
                    errs.append((name, e))
        ths = [threading.Thread(target=unbind, args=(names[i::16],)) for i in range(16)]
        t0 = time.monotonic()
        for th in ths:
            th.start()
        for th in ths:
            th.join()
        t = wait_count(lambda: len(safe_chips()), 0)
        if t is not None:
            t = time.monotonic() - t0
        tap(not errs and t is not None and len(names) == N,
            "tpm_safe_vtpm: %d devices unbound at once (16 writers), every chip gone%s" % (
                len(names), "" if t is None else " in %.2f s" % t), errs[:3])
        record(kind="scale", path="tpm_safe_vtpm", phase="unbind", chips=len(names),
               gone_s=None if t is None else round(t, 3))
        print("# FIGURE tpm_safe_vtpm unbind x%d: all gone %s s" % (
            len(names), "?" if t is None else "%.2f" % t))
        kill_all("tpm_safe_vtpm (unbound)", procs, lambda: len(safe_devices()), "rmmod tpm_safe")
    finally:
        # a step that raised: its servers do not outlive the run
        if stop(procs):
            sh("rmmod tpm_safe 2>/dev/null")


def plain_boot():
    """SCALE_PLAIN=1 (make bench-scale): the allocator as users have it
    (slab debugging counts its metadata in every small object, and a chip
    with more small objects would pay for it) and no hwrng fill thread"""
    if os.environ.get("SCALE_PLAIN") != "1":
        return
    dbg = [T.read_text("/sys/kernel/slab/kmalloc-64/" + f) for f in (
        "store_user", "sanity_checks", "red_zone", "poison")]
    tap(dbg == ["0"] * 4, "no allocator debugging in this boot (slub_debug=-)", dbg)
    tap(T.read_text("/sys/module/rng_core/parameters/default_quality") == "0",
        "no hwrng fill thread (rng_core default_quality 0)")


def main():
    open(OUT, "w").close()
    tap(BUSY_ROUNDS > 0, "busy rounds: %d per driver (at least 1)" % BUSY_ROUNDS)
    plain_boot()
    baseline()
    # both drivers' chips registered at once, for busy rounds in turns
    # (the other driver's servers idle meanwhile); each driver's sleep
    # entry with its own chips only.  SCALE_UPSTREAM=0: a kernel without
    # tpm_vtpm_proxy (the debug kernel)
    rounds = []
    up_procs, procs = None, None
    try:
        if os.environ.get("SCALE_UPSTREAM", "1") != "0":
            up_procs, up_nodes = upstream()
            if up_nodes:
                rounds.append(("vtpm_proxy", up_nodes, (), False))
        else:
            print("ok - vtpm_proxy # SKIP SCALE_UPSTREAM=0 (tpm_safe's rounds only)")
        procs, nodes = tpm_safe()
        if nodes:
            rounds.append(("tpm_safe_vtpm", nodes, (), True))
        busy_rounds(rounds, BUSY_ROUNDS)
        if up_procs is not None:
            upstream_end(up_procs)
            up_procs = None
        tpm_safe_end(procs, nodes is not None)
        procs = None
    finally:
        # a phase that raised: no server or module outlives the run
        stop((up_procs or []) + (procs or []))
        if up_procs is not None or procs is not None:
            sh("rmmod tpm_vtpm_proxy 2>/dev/null; rmmod tpm_safe 2>/dev/null")
    return 1 if tap.fails else 0


if __name__ == "__main__":
    # a descriptor per server and client, and 256 of each
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096))
    os.makedirs("/tmp/scale", exist_ok=True)
    rc = T.run_main(main, tap)
    tap(os.path.exists(OUT) and os.path.getsize(OUT) > 0, "results recorded")
    sys.exit(1 if rc or tap.fails else 0)
