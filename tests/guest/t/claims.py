#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""What the README promises about a chip's errors, durations, counters and
removal, each checked against a userspace server (tpmsafe.FakeTPM) in
place of swtpm: the retry schedule, the 750 ms PCR_Read and Shutdown
durations, the 120 s start-up duration, stale responses, the stats
counters a client can see, a killed waiter, the unbind order, the open of
an old device node, node modes and parameter defaults; the TIS device's
runtime-PM default (200 ms autosuspend), and force=1 with a TPM in ACPI
(one line, no device of its own).  TAP on stdout.

PCR_Read and Hash are the commands misbehaved on: the hwrng may send
GetRandom at any time."""

import errno
import fcntl
import os
import re
import signal
import stat
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tpmsafe as T  # noqa: E402

TIME_SCALE = int(os.environ.get("TIME_SCALE", "1"))
PARAMS = "/sys/module/tpm_safe/parameters"
UNBIND = "/sys/bus/platform/drivers/tpm_safe_vtpm/unbind"
RNGS = "/sys/class/misc/hw_random/rng_available"
CC_SHUTDOWN = T.CC_SHUTDOWN
CC_STARTUP = 0x144
RC_RETRY = 0x922

tap = T.Tap()

read = T.read_text


def stat_of(fake, name):
    return int(read("/sys/class/tpm_safe/tpmsafe%d/stats/%s" % (fake.num, name)))

def node(fake):
    return "/dev/tpmsafe%d" % fake.num

def gone(path):
    return T.gone(path, 10 * TIME_SCALE)


def until(cond, seconds):
    return T.wait_until(cond, seconds * TIME_SCALE)


def errname(e):
    return errno.errorcode.get(e.errno, str(e.errno))

def works(path):
    """The chip answers a Hash (not GetRandom: see above)."""
    fd = T.open_retry(path, os.O_RDWR, 5.0 * TIME_SCALE)
    try:
        T.check_rsp(T.transact(fd, T.hash_cmd(64)))
        return True
    except (OSError, ValueError):
        return False
    finally:
        os.close(fd)

def retire(fake):
    """Close the server; its chip goes away."""
    path = node(fake)
    fake.close()
    return gone(path)

def first(cc, reply):
    """behave(): reply(c) to the first command with code cc only."""
    state = {"done": False}

    def behave(got, c):
        if got == cc and not state["done"]:
            state["done"] = True
            return reply(c)
        return None
    return behave

def timed(fd, command):
    """send one command: ("answered" or the errno's name, seconds taken)"""
    t = time.monotonic()
    try:
        T.check_rsp(T.transact(fd, command))
        got = "answered"
    except OSError as e:
        got = errname(e)
    return got, time.monotonic() - t

def late(event_or_seconds):
    """A reply that comes late (a server always answers in the end; the
    driver drops the answer to a command it cancelled)."""
    def reply(c):
        if isinstance(event_or_seconds, threading.Event):
            event_or_seconds.wait(30)
        else:
            time.sleep(event_or_seconds)
        return None
    return reply

def header_only(code):
    return struct.pack(">HII", T.TPM2_ST_NO_SESSIONS, 10, code)

def defaults():
    want = {"stale_ms": "120000", "vtpm_autosuspend_ms": "200",
            "tis_autosuspend_ms": "200", "crb_autosuspend_ms": "200", "hwrng": "Y",
            "rm_objects": "16", "rm_sessions": "16", "vtpm_selftest": "N"}
    got = {}
    for name in want:
        try:
            got[name] = read(os.path.join(PARAMS, name))
        except OSError as e:
            got[name] = errname(e)
    tap(got == want, "module parameter defaults as documented", got)
    fake = T.FakeTPM()
    pw = "/sys/bus/platform/devices/tpm_safe_vtpm.%d/power" % fake.devid
    got = read(pw + "/autosuspend_delay_ms")
    tap(got == "200", "a new virtual TPM's autosuspend delay is 200 ms", got)
    modes = {}
    for n in sorted(os.listdir("/dev")):
        if n.startswith("tpmsafe"):
            modes[n] = oct(stat.S_IMODE(os.stat("/dev/" + n).st_mode))
    tap(len(modes) >= 3 and set(modes.values()) == {"0o600"},
        "every node (vtpmx, TIS, virtual) is 0600", modes)
    tap(retire(fake), "the server closed: its chip goes")

def retries():
    """RC_RETRY for ever: resent with 20, 40, ... 1280 ms between (2.54 s,
    7 resends), then the caller gets the RETRY response itself."""
    fake = T.FakeTPM(lambda cc, c: header_only(RC_RETRY)
                     if cc == T.CC_PCR_READ else None)
    r0 = stat_of(fake, "retries")
    fd = os.open(node(fake), os.O_RDWR)
    t0 = time.monotonic()
    try:
        rsp = T.transact(fd, T.pcr_read())
        got = (len(rsp), T.rsp_code(rsp))
    except OSError as e:
        got = errname(e)
    s = time.monotonic() - t0
    os.close(fd)
    sent = fake.commands.count(T.CC_PCR_READ)
    n = stat_of(fake, "retries") - r0
    tap(got == (10, RC_RETRY), "after the retries the caller gets RC_RETRY", got)
    tap(sent == 8 and n == 7, "RC_RETRY: 7 resends (8 sent), stats/retries 7",
        "%d sent, retries %d" % (sent, n))
    tap(2.5 <= s <= 2.54 + 1.0 * TIME_SCALE,
        "RC_RETRY: doubling delays from 20 ms, 2.54 s in all (%.2f s)" % s)
    tap(works(node(fake)), "the chip answers afterwards")
    tap(retire(fake), "the server closed: its chip goes")

def durations():
    """A PCR_Read answered after 1.2 s fails after 750 ms: ETIME through the
    node, err_timeout counted; a TPM2_Shutdown nobody answers holds unbind
    750 ms."""
    fake = T.FakeTPM(first(T.CC_PCR_READ, late(1.2)))
    t0 = stat_of(fake, "err_timeout")
    fd = os.open(node(fake), os.O_RDWR)
    got, s = timed(fd, T.pcr_read())
    os.close(fd)
    tap(got == "ETIME", "a PCR_Read answered late fails with ETIME", got)
    tap(0.75 <= s <= 0.75 + 1.0 * TIME_SCALE,
        "...after its 750 ms duration (%.3f s)" % s)
    tap(stat_of(fake, "err_timeout") == t0 + 1, "...counted in err_timeout")
    tap(works(node(fake)), "...and the chip answers the next command")
    path = node(fake)
    fake.behave = lambda cc, c: [] if cc == CC_SHUTDOWN else None
    t = time.monotonic()
    with open(UNBIND, "w") as f:
        f.write("tpm_safe_vtpm.%d" % fake.devid)
    s = time.monotonic() - t
    tap(fake.commands[-1] == CC_SHUTDOWN and
        0.75 <= s <= 0.75 + 1.0 * TIME_SCALE,
        "an unanswered TPM2_Shutdown holds unbind for its 750 ms (%.3f s)" % s,
        ["0x%x" % c for c in fake.commands[-3:]])
    fake.close()
    tap(gone(path), "the chip is gone")

def duration_from_read():
    """A virtual TPM's command duration counts from its server's read, and
    the server has as long again to read it: a PCR_Read (750 ms) read
    0.5 s late and answered 0.5 s after that succeeds; one read 1.2 s late
    fails with ETIME after 750 ms."""
    fake = T.FakeTPM(lambda cc, c: time.sleep(0.5) if cc == T.CC_PCR_READ else None)
    fake.read_delay = 0.5
    fd = os.open(node(fake), os.O_RDWR)
    try:
        got, s = timed(fd, T.pcr_read())
        tap(got == "answered" and s >= 1.0,
            "a PCR_Read read 0.5 s late, answered 0.5 s later: answered (%.2f s)" % s, got)
        fake.behave = lambda cc, c: None
        fake.read_delay = 1.2
        got, s = timed(fd, T.pcr_read())
        tap(got == "ETIME" and 0.75 <= s <= 0.75 + 1.0 * TIME_SCALE,
            "a PCR_Read not read within 750 ms: ETIME after %.2f s" % s, got)
    finally:
        os.close(fd)
    fake.read_delay = 0.0
    tap(T.wait_until(lambda: works(node(fake)), 10 * TIME_SCALE),
        "...and the chip answers the next command")
    tap(retire(fake), "the server closed: its chip goes")

def spin(seconds):
    """burn this thread's CPU time, then answer"""
    def reply(c):
        end = time.thread_time() + seconds
        while time.thread_time() < end:
            pass
        return None
    return reply


def starved_server():
    """A server starved of CPU is no TPM stuck on a command: its duration
    counts in the CPU time it gets.  The server's thread held to 10% of a
    CPU (a threaded cgroup, cpu.max), spending 150 ms of CPU on a PCR_Read
    (750 ms): answered after about 1.5 s.  The same server spending 1.5 s
    of CPU unthrottled: ETIME after its 750 ms."""
    root = "/sys/fs/cgroup"
    if not os.path.exists(root + "/cgroup.controllers"):
        subprocess.run(["mount", "-t", "cgroup2", "none", root], check=True)
    top, slow = root + "/tpms-starve", root + "/tpms-starve/slow"
    fake = T.FakeTPM(first(T.CC_PCR_READ, spin(0.15)))
    try:
        fd = os.open(node(fake), os.O_RDWR)
    except OSError:
        fake.close()
        raise
    try:
        T.write_text(root + "/cgroup.subtree_control", "+cpu")
        os.makedirs(slow, exist_ok=True)
        T.write_text(top + "/cgroup.procs", str(os.getpid()))
        T.write_text(slow + "/cgroup.type", "threaded")
        T.write_text(top + "/cgroup.subtree_control", "+cpu")
        T.write_text(slow + "/cpu.max", "10000 100000")
        T.write_text(slow + "/cgroup.threads", str(fake.thread.native_id))
        got, s = timed(fd, T.pcr_read())
        tap(got == "answered" and s >= 0.75,
            "a PCR_Read whose server is held to 10%% of a CPU: answered (%.2f s)" % s, got)
        T.write_text(top + "/cgroup.threads", str(fake.thread.native_id))
        fake.behave = first(T.CC_PCR_READ, spin(1.5))
        got, s = timed(fd, T.pcr_read())
        tap(got == "ETIME" and 0.75 <= s <= 0.75 + 1.0 * TIME_SCALE,
            "a PCR_Read its server spends 1.5 s of CPU on: ETIME after %.2f s" % s, got)
    finally:
        os.close(fd)
        # every thread back to the root, then the two groups go
        if os.path.exists(top):
            T.write_text(root + "/cgroup.procs", str(os.getpid()))
            for d in (slow, top):
                if os.path.exists(d):
                    os.rmdir(d)
    tap(T.wait_until(lambda: works(node(fake)), 10 * TIME_SCALE),
        "...and the chip answers the next command")
    tap(retire(fake), "the server closed: its chip goes")


def slow_startup():
    """Start-up commands at registration get 120 s: a server that takes
    3 s for its first answer (Startup's own duration is 2 s) registers."""
    t = time.monotonic()
    fake = T.FakeTPM(startup_delay=3.0)
    s = time.monotonic() - t
    tap(fake.num is not None and s >= 3.0,
        "a server 3 s slow at start-up registers (%.1f s)" % s)
    tap(works(node(fake)), "...and its chip answers")
    tap(retire(fake), "the server closed: its chip goes")

def startup_commands():
    """A virtual TPM 2.0 starts with Startup(CLEAR) alone, no self test (it
    tests each algorithm on first use); vtpm_selftest=Y asks for
    TPM2_SelfTest as for a TIS or CRB TPM (the fake one answers it: started
    already, so no Startup)."""
    names = {0x17A: "GetCapability", 0x143: "SelfTest", 0x144: "Startup"}

    def registration():
        fake = T.FakeTPM()
        # the first four: the probe, the start, PCR banks, command list
        got = [names.get(c, "0x%x" % c) for c in fake.commands[:4]]
        tap(retire(fake), "the server closed: its chip goes")
        return got
    got = registration()
    tap(got == ["GetCapability", "Startup", "GetCapability", "GetCapability"],
        "a virtual TPM registers with Startup and no self test", got)
    with open(PARAMS + "/vtpm_selftest", "w") as f:
        f.write("Y")
    try:
        got = registration()
    finally:
        with open(PARAMS + "/vtpm_selftest", "w") as f:
            f.write("N")
    tap(got == ["GetCapability", "SelfTest", "GetCapability", "GetCapability"],
        "vtpm_selftest=Y: a virtual TPM registers with TPM2_SelfTest", got)

    # Startup's answer: TPM_RC_INITIALIZE is a TPM started already (it
    # registers); TPM_RC_FAILURE is a TPM that cannot start (it does not)
    for code, want in ((0x100, True), (0x101, False)):
        fake = T.FakeTPM(first(CC_STARTUP, lambda c, code=code: header_only(code)),
                         register=False, startup_behave=True)
        buf = bytearray(4)
        try:
            fcntl.ioctl(fake.fd, T.IOC_GET_NUM, buf)
            registered = True
        except OSError as e:
            registered = e.errno
        tap(registered is want if want else registered == errno.ENODEV,
            "Startup answered 0x%x: %s" % (code, "registers" if want else
                                           "no chip (ENODEV to the server)"),
            "got %r, commands %s" % (registered, ["0x%x" % c for c in fake.commands]))
        fake.close()
        tap(gone("/sys/bus/platform/devices/tpm_safe_vtpm.%d" % fake.devid),
            "...the server closed: its device goes")

def stale():
    """An unread response is dropped after stale_ms: read() returns 0
    bytes and the file takes a new command."""
    fake = T.FakeTPM()
    with open(PARAMS + "/stale_ms", "w") as f:
        f.write("300")
    try:
        fd = os.open(node(fake), os.O_RDWR)
        os.write(fd, T.pcr_read())
        fresh = len(os.read(fd, 4096))
        os.write(fd, T.pcr_read())
        time.sleep(0.6)		# the time being measured, not a wait for an event
        late = len(os.read(fd, 4096))
        try:
            T.check_rsp(T.transact(fd, T.pcr_read()))
            again = True
        except (OSError, ValueError) as e:
            again = e
        os.close(fd)
    finally:
        with open(PARAMS + "/stale_ms", "w") as f:
            f.write("120000")
    tap(fresh > 10 and late == 0,
        "stale_ms: a response read in time is there, one left 600 ms with "
        "stale_ms=300 is dropped", "fresh %d, late %d" % (fresh, late))
    tap(again is True, "...and the file takes the next command", again)
    tap(retire(fake), "the server closed: its chip goes")

def counters_and_kill():
    """err_io for a malformed response; a killed waiter: err_intr, the chip
    stays usable."""
    fake = T.FakeTPM(first(T.CC_PCR_READ, lambda c: struct.pack(
        ">HII", T.TPM2_ST_NO_SESSIONS, 20, 0) + b"\0\0"))
    e0 = stat_of(fake, "err_io")
    fd = os.open(node(fake), os.O_RDWR)
    try:
        T.transact(fd, T.pcr_read())
        got = "answered"
    except OSError as e:
        got = errname(e)
    os.close(fd)
    tap(got == "EIO" and stat_of(fake, "err_io") == e0 + 1,
        "a response shorter than its size field: EIO, counted in err_io", got)

    killed = threading.Event()
    fake.behave = first(T.CC_HASH, late(killed))
    i0 = stat_of(fake, "err_intr")
    pid = os.fork()
    if pid == 0:
        try:
            cfd = os.open(node(fake), os.O_RDWR)
            os.write(cfd, T.hash_cmd(64))
        finally:
            os._exit(1)
    ok = until(lambda: T.CC_HASH in fake.commands, 10)
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    killed.set()
    tap(ok and os.WIFSIGNALED(status), "a client waiting in the backend is killed")
    tap(stat_of(fake, "err_intr") == i0 + 1, "...counted in err_intr",
        "err_intr %d -> %d" % (i0, stat_of(fake, "err_intr")))
    tap(works(node(fake)), "...and the chip answers the next client")
    tap(retire(fake), "the server closed: its chip goes")

def thread_state(tid):
    try:
        return read("/proc/self/task/%d/stat" % tid).rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "?"

def unbind_order():
    """Unbind with a command in the backend and a sysfs reader waiting for
    the chip: the command gets EPIPE, the reader ENODEV and its PCR_Read is
    never sent; when TPM2_Shutdown reaches the server the node and the
    hwrng are gone; an old device node then gives ENXIO."""
    release = threading.Event()
    seen = {}
    fake = None

    def behave(cc, c):
        if cc == T.CC_HASH:
            release.wait(30)
            return None
        if cc == CC_SHUTDOWN:
            seen["node"] = os.path.exists(node(fake))
            seen["rng"] = "tpm-safe-rng-%d" % fake.num in read(RNGS).split()
        return None
    fake = T.FakeTPM(behave)
    path = node(fake)
    rng = "tpm-safe-rng-%d" % fake.num
    tap(rng in read(RNGS).split(), "the chip's hwrng is registered", read(RNGS))
    old = "/tmp/tpmsafe-old-node"
    if os.path.exists(old):
        os.unlink(old)
    os.mknod(old, 0o600 | stat.S_IFCHR, os.stat(path).st_rdev)
    res = {}

    def writer():
        fd = os.open(path, os.O_RDWR)
        try:
            T.transact(fd, T.hash_cmd(64))
            res["cmd"] = "answered"
        except OSError as e:
            res["cmd"] = errname(e)
        os.close(fd)

    def reader():
        res["tid"] = threading.get_native_id()
        try:
            with open("/sys/class/tpm_safe/tpmsafe%d/pcr-sha256/0" % fake.num) as f:
                res["pcr"] = f.read()
        except OSError as e:
            res["pcr"] = errname(e)
    w = threading.Thread(target=writer)
    w.start()
    held = until(lambda: T.CC_HASH in fake.commands, 10)
    r = threading.Thread(target=reader)
    r.start()
    # the reader sleeps in the kernel, waiting for the chip the writer holds
    waiting = until(lambda: "tid" in res and thread_state(res["tid"]) == "D", 10)
    tap(held and waiting, "a command is in the backend, a sysfs reader waits",
        "held %s, reader state %s" % (held, thread_state(res.get("tid", 0))))
    u = threading.Thread(target=lambda: open(UNBIND, "w").write(
        "tpm_safe_vtpm.%d" % fake.devid))
    u.start()
    woken = until(lambda: "cmd" in res, 10)
    release.set()
    u.join()
    w.join()
    r.join()
    tap(woken and res.get("cmd") == "EPIPE",
        "unbind wakes the command in the backend: EPIPE, before its answer",
        res.get("cmd"))
    tap(res.get("pcr") == "ENODEV" and
        fake.commands.count(T.CC_PCR_READ) == 0,
        "the waiting sysfs reader is refused (ENODEV), its PCR_Read never sent",
        "%s, %d PCR_Read sent" % (res.get("pcr"),
                                  fake.commands.count(T.CC_PCR_READ)))
    tap(fake.commands[-1] == CC_SHUTDOWN and seen == {"node": False, "rng": False},
        "TPM2_Shutdown is last, sent after the node and the hwrng are gone",
        "%s; %s" % (seen, ["0x%x" % c for c in fake.commands[-3:]]))
    try:
        os.close(os.open(old, os.O_RDWR))
        got = "opened"
    except OSError as e:
        got = errname(e)
    os.unlink(old)
    try:
        os.close(os.open(path, os.O_RDWR))
        by_path = "opened"
    except OSError as e:
        by_path = errname(e)
    tap(got == "ENXIO" and by_path == "ENOENT",
        "open after removal: ENOENT by its path, ENXIO through an old node",
        "%s, %s" % (by_path, got))
    said = [ln for ln in subprocess.run(
        ["dmesg"], stdout=subprocess.PIPE, universal_newlines=True).stdout.splitlines()
        if "tpmsafe%d: removed:" % fake.num in ln]
    m = re.search(r"removed: (\d+) command\(s\) cut off, (\d+) caller\(s\) refused",
                  said[-1] if said else "")
    tap(m and (m.group(1), m.group(2)) == ("1", "1"),
        "the removal logs err_gone and refused_gone: 1 cut off, 1 refused", said)
    fake.close()

def tis_autosuspend():
    """the TIS device's runtime-PM default"""
    dev = "/sys/bus/platform/devices/MSFT0101:00"
    drv = os.path.basename(os.path.realpath(dev + "/driver"))
    if drv != "tpm_safe_tis":
        tap(False, "tpm_safe_tis is bound to MSFT0101:00 (driver: %s)" % drv)
        return
    got = T.read_text(dev + "/power/autosuspend_delay_ms")
    tap(got == "200", "the TIS device's autosuspend delay is 200 ms (%s)" % got)


def force_one():
    """force=1 with MSFT0101 in ACPI: one line, no device of its own"""
    line = "force: the firmware lists a TPM; no device created"
    said = T.dmesg().count(line)

    def body():
        tap(T.dmesg().count(line) == said + 1, "force=1 with a TPM in ACPI logs it once")
        tap(not os.path.exists("/sys/bus/platform/devices/tpm_safe_tis"),
            "...and creates no device")
    return T.run_test(body, tap, ("force=1",))


def main():
    for part in (tis_autosuspend, defaults, retries, durations, duration_from_read,
                 starved_server, slow_startup,
                 startup_commands, stale,
                 counters_and_kill, unbind_order):
        try:
            part()
        except Exception as e:  # noqa: BLE001 - one failed part, not the rest
            tap(False, "%s ran to its end" % part.__name__, repr(e))
    return 1 if tap.fails else 0


if __name__ == "__main__":
    rc = T.run_test(main, tap)
    rc = force_one() or rc
    sys.exit(rc)
