#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Removal under load for the vtpm backend: unbind/rebind cycles and swtpm
SIGKILLed mid-command, with client, sysfs and hwrng load in separate
processes.  Prints TAP lines and FIGURE lines."""

import argparse
import errno
import glob
import json
import os
import random
import re
import select
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import tpmsafe as T  # noqa: E402

# the bus of --device (a TPM 1.2 behind TIS is PNP0C31: STRESS_BUS=pnp);
# TPM_FAMILY=1.2 makes the workers' commands TPM 1.2 ones (tpmsafe.py)
BUS = os.environ.get("STRESS_BUS", "platform")
DRV = "/sys/bus/" + BUS + "/drivers/%s"
# what a client may see while its chip is unbound, killed or rebinding
EXPECTED = {"ok", "EPIPE", "ENOENT", "ENODEV", "EBUSY", "ENXIO", "EINTR"}
# ...and the other workers ("none": no chip to load at that moment)
WORKER_EXPECTED = {
    # a file listed before its chip went away (ENOENT), a read refused or
    # woken by unregister, or of a removed file (ENODEV)
    # (and pubek refused by a TPM 1.2 whose owned file reads 1, as documented)
    "sysfs": {"ok", "none", "ENOENT", "ENODEV", "pubek-EIO"},
    # rng_current naming an rng already withdrawn, /dev/hwrng with no rng,
    # or a read refused or woken by unregister (ENODEV)
    "hwrng": {"ok", "none", "ENODEV"},
    # node gone (ENOENT), chip no longer added (ENODEV), its char device
    # gone (ENXIO), the node held by a client (EBUSY)
    "openclose": {"ok", "none", "ENOENT", "ENODEV", "ENXIO", "EBUSY"},
}
tap = T.Tap()
stop = False


def on_term(signum, frame):
    global stop
    stop = True


def count(d, key):
    d[key] = d.get(key, 0) + 1


def errname(e):
    return errno.errorcode.get(e.errno, str(e.errno))


# the workers load only the chips of the driver under test (in exclusive
# mode tpm_safe_tis owns tpmsafe0 next to the vtpm chips)
TARGET = os.environ.get("STRESS_DRIVER", "")
# ...and, when set, only the chip of this device (the one being unbound)
DEVICE = os.environ.get("STRESS_DEVICE", "")
# how long a worker waits when no chip is there (the workers must not
# starve the swtpm that is registering the next one of CPU)
IDLE = 0.02


def chips():
    """chip names (tpmsafeN) whose parent is bound to TARGET, sorted"""
    out = []
    for c in glob.glob("/sys/class/tpm_safe/tpmsafe[0-9]*"):
        try:
            drv = os.path.basename(os.readlink(c + "/device/driver"))
            parent = os.path.basename(os.readlink(c + "/device"))
        except OSError:
            continue   # going away
        if (not TARGET or drv == TARGET) and (not DEVICE or parent == DEVICE):
            out.append(os.path.basename(c))
    return sorted(out, key=lambda n: int(n[7:]))


# --- workers: run until SIGTERM, print their counts as JSON ---

def w_client(nonblock):
    counts = {}
    fd = None
    cmds = [T.get_random(16), T.pcr_read()]
    i = 0
    while not stop:
        try:
            if fd is None:
                devs = chips()
                if not devs:
                    count(counts, "ENOENT")
                    time.sleep(IDLE)
                    continue
                fd = os.open("/dev/" + devs[0], os.O_RDWR |
                             (os.O_NONBLOCK if nonblock else 0))
            i += 1
            os.write(fd, cmds[i % 2])
            if nonblock:
                p = select.poll()
                p.register(fd, select.POLLIN)
                if not p.poll(30000):
                    count(counts, "poll-timeout")
                    continue
            T.check_rsp(os.read(fd, 4096))
            count(counts, "ok")
        except OSError as e:
            count(counts, errname(e))
            if e.errno in (errno.ENOENT, errno.EBUSY, errno.ENXIO):
                time.sleep(0.005)
            elif fd is not None:
                # keep using a file opened before the unbind once more,
                # then reopen
                os.close(fd)
                fd = None
        except ValueError:
            count(counts, "bad-response")
    return counts


def owned(chip_dir, seen):
    """An owned TPM 1.2 refuses TPM_ReadPubek: its pubek EIO is expected.
    Ownership belongs to the TPM, not to one binding of it: once a chip's
    owned file read 1 in this run it stays owned (nothing here clears it),
    so a pubek EIO right before an unbind, whose owned read then fails, is
    still judged by what the TPM is.  When the load runs on one bound
    device's chips only and that TPM read owned before the load started
    (STRESS_TPM_OWNED), every chip in the run is that owned TPM, whatever
    number its binding got."""
    if chip_dir in seen or os.environ.get("STRESS_TPM_OWNED") == "1":
        return True
    try:
        with open(chip_dir + "owned") as fh:
            if fh.read() == "1\n":
                seen.add(chip_dir)
                return True
    except OSError:
        pass
    return False


def w_sysfs():
    counts = {}
    seen = set()
    while not stop:
        files = []
        for c in chips():
            d = "/sys/class/tpm_safe/" + c
            files += glob.glob(d + "/pcr-sha256/*") + glob.glob(d + "/stats/*") + \
                glob.glob(d + "/t*") + glob.glob(d + "/durations") + \
                glob.glob(d + "/pcrs") + glob.glob(d + "/caps") + \
                glob.glob(d + "/pubek") + glob.glob(d + "/enabled") + \
                glob.glob(d + "/active") + glob.glob(d + "/owned")
        if not files:
            count(counts, "none")
            time.sleep(IDLE)
        for f in files:
            try:
                with open(f) as fh:
                    data = fh.read()
                count(counts, "ok")
                if f.endswith("/owned") and data == "1\n":
                    seen.add(f[:-len("owned")])
            except OSError as e:
                if f.endswith("/pubek") and e.errno == errno.EIO and \
                        owned(f[:-len("pubek")], seen):
                    count(counts, "pubek-EIO")
                elif e.errno in (errno.ENOENT, errno.ENODEV):
                    count(counts, errname(e))
                else:
                    # anything else is unexpected: name the file with it
                    count(counts, "%s@%s" % (errname(e), os.path.basename(f)))
    return counts


def w_hwrng():
    counts = {}
    while not stop:
        mine = ["tpm-safe-rng-" + c[7:] for c in chips()]
        names = [n for n in open("/sys/class/misc/hw_random/rng_available")
                 .read().split() if n in mine]
        if not names:
            count(counts, "none")
            time.sleep(IDLE)
            continue
        try:
            with open("/sys/class/misc/hw_random/rng_current", "w") as f:
                f.write(names[0])
            with open("/dev/hwrng", "rb") as f:
                f.read(16)
            count(counts, "ok")
        except OSError as e:
            count(counts, errname(e))
            time.sleep(0.005)
    return counts


def w_openclose():
    counts = {}
    while not stop:
        devs = chips()
        if not devs:
            count(counts, "none")
            time.sleep(IDLE)
            continue
        try:
            os.close(os.open("/dev/" + devs[0], os.O_RDWR))
            count(counts, "ok")
        except OSError as e:
            count(counts, errname(e))
            time.sleep(0.002)
    return counts


WORKERS = {"client": lambda: w_client(False),
           "client-nb": lambda: w_client(True),
           "sysfs": w_sysfs, "hwrng": w_hwrng, "openclose": w_openclose}


def start_load(kinds):
    procs = {}
    for i, k in enumerate(kinds):
        if k in procs:
            k = "%s#%d" % (k, i)
        procs[k] = subprocess.Popen([sys.executable, __file__, "worker",
                                     k.split("#")[0]],
                                    stdout=subprocess.PIPE, text=True)
    for p in procs.values():
        p.stdout.readline()  # "ready": its SIGTERM handler is in place
    return procs


def stop_load(procs):
    results = {}
    for p in procs.values():
        p.send_signal(signal.SIGTERM)
    for k, p in procs.items():
        try:
            out, _ = p.communicate(timeout=120)
            results[k] = json.loads(out)
        except (subprocess.TimeoutExpired, ValueError) as e:
            p.kill()
            results[k] = {"worker-failed": 1, "why": str(e)}
    return results


def merge(results, kinds):
    total = {}
    for k in kinds:
        for e, n in results.get(k, {}).items():
            if isinstance(n, int):
                total[e] = total.get(e, 0) + n
    return total


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def wait_node(num, present, seconds=30):
    """wait for /dev/tpmsafe<num> (any chip when num is None) to appear or
    go; returns the nodes seen, or None on timeout"""
    pattern = "/dev/tpmsafe%d" % num if num is not None else "/dev/tpmsafe[0-9]*"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        nodes = glob.glob(pattern)
        if bool(nodes) == present:
            return nodes or [pattern]
        time.sleep(0.002)
    return None


def report_load(results, what):
    clients = merge(results, ["client", "client-nb"])
    unexpected = {k: v for k, v in clients.items() if k not in EXPECTED}
    tap(not unexpected, "%s: client errors all in the expected set" % what,
        unexpected)
    tap(clients.get("ok", 0) > 0, "%s: clients completed commands" % what,
        clients)
    print("FIGURE %s clients: %s" % (what, json.dumps(clients, sort_keys=True)))
    for k in ("sysfs", "hwrng", "openclose"):
        if k in results:
            print("FIGURE %s %s: %s" % (what, k,
                                         json.dumps(results[k], sort_keys=True)))
            tap("worker-failed" not in results[k], "%s: %s worker ran" % (what, k),
                results[k])
            odd = {e: n for e, n in results[k].items()
                   if e not in WORKER_EXPECTED[k]}
            tap(not odd, "%s: %s errors all in the expected set" % (what, k), odd)
            tap(results[k].get("ok", 0) > 0, "%s: %s worker succeeded" % (what, k),
                results[k])


def final_check(what):
    deadline = time.monotonic() + 10
    while not chips() and time.monotonic() < deadline:
        time.sleep(0.002)
    try:
        fd = T.open_retry("/dev/" + chips()[0], os.O_RDWR)
        for c in (T.get_random(16), T.pcr_read(), T.hash_cmd()):
            T.check_rsp(T.transact(fd, c))
        os.close(fd)
        good = True
    except (OSError, ValueError, TypeError, IndexError) as e:
        good = e
    tap(good is True, "%s: the TPM works afterwards" % what, good)


def chip_answers(dev):
    """the chip of the device @dev answers a PCR read, sent through its
    sysfs file pcr-sha256/0 (TPM 1.2: pcrs) (the load's clients keep the
    node itself open); its number, or None"""
    try:
        chip = glob.glob("/sys/bus/%s/devices/%s/tpm_safe/tpmsafe*" % (BUS, dev))[0]
        if T.FAMILY == "1.2":
            name, want = "/pcrs", "PCR-00: ([0-9A-F]{2} ){20}\n(.*\n)*"
        else:
            name, want = "/pcr-sha256/0", "[0-9A-F]{64}\n"
        with open(chip + name) as f:
            if re.fullmatch(want, f.read()):
                return int(os.path.basename(chip)[7:])
    except (OSError, IndexError):
        pass
    return None


def cycle_binding(drv, dev, num, cycles, jitter):
    """unbind and bind @dev @cycles times: unbind ms, bind ms, cycles whose
    unbind left the node or whose bind left no chip answering a command,
    elapsed seconds (without the time of those checks)"""
    unbind_ms = []
    bind_ms = []
    bad = 0
    checking = 0
    t0 = time.monotonic()
    for i in range(cycles):
        a = time.monotonic()
        write(drv + "/unbind", dev)
        b = time.monotonic()
        if wait_node(num, False, 30) is None:
            bad += 1
        write(drv + "/bind", dev)
        c = time.monotonic()
        if not os.path.exists("/sys/bus/%s/devices/%s/driver" % (BUS, dev)) or \
                chip_answers(dev) is None:
            bad += 1
        checking += time.monotonic() - c
        unbind_ms.append((b - a) * 1000)
        bind_ms.append((c - b) * 1000)
        if jitter:
            time.sleep(random.uniform(0, jitter))
    return unbind_ms, bind_ms, bad, time.monotonic() - t0 - checking


def sc_unbind(cycles, driver, device):
    drv = DRV % driver
    proc = None
    if device:
        dev = device
        num = chip_answers(dev)
        tap(num is not None, "%s bound as tpmsafe%s, answering a command" % (dev, num))
        if num is None:
            return
        try:
            with open("/sys/class/tpm_safe/tpmsafe%s/owned" % num) as fh:
                if fh.read() == "1\n":
                    os.environ["STRESS_TPM_OWNED"] = "1"
                    print("# %s: an owned TPM 1.2, its pubek refused" % dev)
        except OSError:
            pass   # a TPM 2.0 has no owned file
    else:
        proc, num, devid = T.launch("/tmp/stress-unbind")
        dev = "tpm_safe_vtpm.%d" % devid
        tap(num is not None, "swtpm attached as tpmsafe%s (%s)" % (num, dev))
    global DEVICE
    DEVICE = os.environ["STRESS_DEVICE"] = dev   # load this chip only
    kinds = ["client", "client-nb", "sysfs", "hwrng", "openclose"]
    procs = start_load(kinds)
    unbind_ms, bind_ms, bad, elapsed = cycle_binding(drv, dev, num, cycles, 0.05)
    results = stop_load(procs)
    tap(bad == 0, "%d unbind/bind cycles, each unbind removed and each bind "
        "restored the chip (it answered a PCR read)" % cycles, "%d bad" % bad)
    report_load(results, "unbind")
    print("FIGURE unbind cycles=%d elapsed=%.1fs cycles/s=%.2f" %
          (cycles, elapsed, cycles / elapsed))
    print("FIGURE unbind under load ms: median=%.1f p90=%.1f max=%.1f" % (
        statistics.median(unbind_ms),
        sorted(unbind_ms)[int(len(unbind_ms) * 0.9)], max(unbind_ms)))
    print("FIGURE bind (registration) ms: median=%.1f max=%.1f" % (
        statistics.median(bind_ms), max(bind_ms)))
    final_check("unbind")
    if device:
        write(drv + "/unbind", dev)
    else:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    tap(wait_node(num, False, 20) is not None, "unbind: backend gone, chip gone")


def sc_kill(cycles):
    kinds = ["client", "client-nb", "sysfs", "hwrng"]
    procs = start_load(kinds)
    phases = {}
    bad = 0
    t0 = time.monotonic()
    for i in range(cycles):
        # a third of the kills land during registration
        early = i % 3 == 0
        proc, num, devid = T.launch("/tmp/stress-kill", wait=not early)
        if early:
            time.sleep(random.uniform(0, 0.3))
            count(phases, "registration-or-idle")
        else:
            time.sleep(random.uniform(0, 0.05))
            count(phases, "under-load")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        path = "/sys/bus/platform/devices/tpm_safe_vtpm.%d" % devid
        deadline = time.monotonic() + 20
        while os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.002)
        if os.path.exists(path):
            bad += 1
    elapsed = time.monotonic() - t0
    proc, num, devid = T.launch("/tmp/stress-kill")
    tap(num is not None, "a last swtpm registers under load (tpmsafe%s)" % num)
    time.sleep(0.5)
    results = stop_load(procs)
    tap(bad == 0, "%d swtpm SIGKILLs, every device removed" % cycles,
        "%d stuck" % bad)
    report_load(results, "kill")
    print("FIGURE kill cycles=%d elapsed=%.1fs phases=%s" %
          (cycles, elapsed, json.dumps(phases, sort_keys=True)))
    final_check("kill")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    gone = num is not None and wait_node(num, False, 20) is not None
    path = "/sys/bus/platform/devices/tpm_safe_vtpm.%d" % devid
    deadline = time.monotonic() + 20
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.002)
    tap(gone and not os.path.exists(path), "kill: last swtpm gone, chip gone")


def sc_inflight(cycles, levels):
    """unbind time of a virtual TPM with N requesters in flight on it: one
    client looping commands and N-1 sysfs PCR readers; BENCH lines"""
    proc, num, devid = T.launch("/tmp/stress-inflight")
    dev = "tpm_safe_vtpm.%d" % devid
    drv = DRV % "tpm_safe_vtpm"
    global DEVICE
    DEVICE = os.environ["STRESS_DEVICE"] = dev
    tap(num is not None, "swtpm attached as tpmsafe%s (%s)" % (num, dev))
    for n in levels:
        procs = start_load((["client"] + ["sysfs"] * (n - 1)) if n else [])
        ms, _, bad, elapsed = cycle_binding(drv, dev, num, cycles, 0)
        results = stop_load(procs)
        seen = merge(results, results.keys())
        odd = {k: v for k, v in seen.items() if k not in EXPECTED | {"none"}}
        tap(bad == 0 and not odd, "%d requesters: %d unbind/bind cycles, errors "
            "all expected" % (n, cycles), "%d bad, %s" % (bad, odd))
        ms.sort()
        print("BENCH " + json.dumps({
            "kind": "removal", "in_flight": n, "cycles": cycles,
            "unbind_median_ms": round(statistics.median(ms), 1),
            "unbind_max_ms": round(ms[-1], 1),
            "cycles_s": round(cycles / elapsed, 2),
            "requests": seen}), flush=True)
    final_check("inflight")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


def main(argv=None):
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("worker")
    p.add_argument("kind", choices=sorted(WORKERS))
    p = sub.add_parser("unbind")
    p.add_argument("--cycles", type=int, default=100)
    p.add_argument("--driver", default="tpm_safe_vtpm")
    p.add_argument("--device", help="an already bound device (else a vtpm)")
    p = sub.add_parser("kill")
    p.add_argument("--cycles", type=int, default=50)
    p = sub.add_parser("inflight")
    p.add_argument("--cycles", type=int, default=20)
    p.add_argument("--levels", default="0,1,4,16")
    a = ap.parse_args(argv)
    global TARGET
    if a.cmd != "worker":
        TARGET = a.driver if a.cmd == "unbind" else "tpm_safe_vtpm"
        os.environ["STRESS_DRIVER"] = TARGET
    if a.cmd == "worker":
        signal.signal(signal.SIGTERM, on_term)
        print("ready", flush=True)
        print(json.dumps(WORKERS[a.kind]()))
        return 0
    if a.cmd == "unbind":
        sc_unbind(a.cycles, a.driver, a.device)
    elif a.cmd == "inflight":
        sc_inflight(a.cycles, [int(x) for x in a.levels.split(",")])
    else:
        sc_kill(a.cycles)
    return 1 if tap.fails else 0


if __name__ == "__main__":
    sys.exit(main())
