#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A hostile server in place of swtpm on /dev/tpmsafe-vtpmx: each way of
answering badly gives the client an error and leaves the chip usable (or,
for a server that never answers, removable); then clients that misbehave
against swtpm's chip.  TAP output."""

import errno
import os
import select
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import tpmsafe as T  # noqa: E402

tap = T.Tap()


def once(bad):
    """misbehave on the first PCR_Read, then be good (GetRandom would be
    taken by the hwrng's first read at registration)"""
    state = {"done": False}

    def behave(cc, c):
        if cc == T.CC_PCR_READ and not state["done"]:
            state["done"] = True
            return bad(c)
        return None
    return behave


def good_rsp(c):
    return T.FakeTPM.answer(T.CC_PCR_READ, c)


TIME_SCALE = int(os.environ.get("TIME_SCALE", "1"))  # slower kernels

CASES = [
    ("short header (5 bytes)", lambda c: good_rsp(c)[:5], errno.EIO),
    ("size field larger than written",
     lambda c: good_rsp(c)[:2] + struct.pack(">I", 200) + good_rsp(c)[6:], errno.EIO),
    ("size field smaller than written",
     lambda c: good_rsp(c)[:2] + struct.pack(">I", 12) + good_rsp(c)[6:], errno.EIO),
    ("4097 bytes", lambda c: good_rsp(c)[:2] + struct.pack(">I", 4097) +
     good_rsp(c)[6:] + bytes(4097 - len(good_rsp(c))), errno.EIO),
    ("random bytes", lambda c: os.urandom(37), errno.EIO),
    # a TPM 2.0 answers with its own tags, or 0x00C4 (TPM_RC_BAD_TAG)
    ("a TPM 1.2 auth tag (0x00C5)",
     lambda c: struct.pack(">H", 0x00C5) + good_rsp(c)[2:], errno.EIO),
    ("an unknown tag (0x1234)",
     lambda c: struct.pack(">H", 0x1234) + good_rsp(c)[2:], errno.EIO),
    ("two responses", lambda c: [good_rsp(c), good_rsp(c)], None),
]


def run_case(name, bad, want):
    fake = T.FakeTPM(once(bad))
    dev = "/dev/tpmsafe%d" % fake.num
    fd = os.open(dev, os.O_RDWR)
    try:
        T.check_rsp(T.transact(fd, T.pcr_read()))
        got = None
    except OSError as e:
        got = e.errno
    except ValueError as e:
        got = "bad response passed through: %s" % e
    tap(got == want, "hostile server, %s: client gets %s" % (
        name, errno.errorcode.get(want, "a valid response") if want else "the first response"),
        "got %s" % (errno.errorcode.get(got, got) if got else "success"))
    try:
        T.check_rsp(T.transact(fd, T.get_random(16)))
        good = True
    except (OSError, ValueError) as e:
        good = e
    tap(good is True, "hostile server, %s: the chip stays usable" % name, good)
    os.close(fd)
    return fake, dev


CC_SHUTDOWN = 0x145
RC_RETRY = 0x922
RC_TESTING = 0x90A
UNBIND = "/sys/bus/platform/drivers/tpm_safe_vtpm/unbind"


def header_only(code):
    return lambda c: struct.pack(">HII", T.TPM2_ST_NO_SESSIONS, 10, code)


def gone(dev):
    deadline = time.monotonic() + 10 * TIME_SCALE
    while os.path.exists(dev) and time.monotonic() < deadline:
        time.sleep(0.01)
    return not os.path.exists(dev)


def stats(num, name):
    with open("/sys/class/tpm_safe/tpmsafe%d/stats/%s" % (num, name)) as f:
        return int(f.read())


def lifecycle_cases():
    """retries, unregister's last command, a sysfs reader stuck at unbind,
    poll woken by another thread's blocking write, CAP_SYS_ADMIN"""
    # TPM2_RC_TESTING (header only) is retried; the client sees success
    fake = T.FakeTPM(once(header_only(RC_TESTING)))
    fd = os.open("/dev/tpmsafe%d" % fake.num, os.O_RDWR)
    try:
        T.check_rsp(T.transact(fd, T.pcr_read()))
        got = True
    except (OSError, ValueError) as e:
        got = e
    tap(got is True and stats(fake.num, "retries") == 1,
        "RC_TESTING is retried once and the client gets the answer", got)
    os.close(fd)
    fake.close()
    gone("/dev/tpmsafe%d" % fake.num)

    # a RETRY code with a body is not a retry request: passed on as it is
    fake = T.FakeTPM(once(lambda c: struct.pack(
        ">HII", T.TPM2_ST_NO_SESSIONS, 14, RC_RETRY) + b"\xde\xad\xbe\xef"))
    fd = os.open("/dev/tpmsafe%d" % fake.num, os.O_RDWR)
    try:
        rsp = T.transact(fd, T.pcr_read())
        got = (len(rsp), T.rsp_code(rsp))
    except OSError as e:
        got = e
    tap(got == (14, RC_RETRY) and fake.commands.count(T.CC_PCR_READ) == 1,
        "a RETRY response with a body reaches the client unretried",
        "%s, %d PCR_Read sent" % (got, fake.commands.count(T.CC_PCR_READ)))
    os.close(fd)
    fake.close()
    gone("/dev/tpmsafe%d" % fake.num)

    # poll() for POLLIN in one thread, a blocking write in another
    def slow(cc, c):
        if cc == T.CC_HASH:
            time.sleep(0.2)
        return None
    fake = T.FakeTPM(slow)
    fd = os.open("/dev/tpmsafe%d" % fake.num, os.O_RDWR)
    th = threading.Thread(target=lambda: os.write(fd, T.hash_cmd(64)))
    th.start()
    # the server has the command: the writer is inside, the server sleeps
    deadline = time.monotonic() + 5
    while T.CC_HASH not in fake.commands and time.monotonic() < deadline:
        time.sleep(0.002)
    p = select.poll()
    p.register(fd, select.POLLIN)
    t0 = time.monotonic()
    ev = p.poll(10000 * TIME_SCALE)
    s = time.monotonic() - t0
    th.join()
    # a poll that was never woken returns at its timeout, with POLLIN by then
    tap(ev and ev[0][1] & select.POLLIN and s < 5 * TIME_SCALE,
        "poll() for POLLIN wakes when another thread's blocking write completes",
        "%s after %.1f s" % (ev, s))
    os.read(fd, 4096)
    os.close(fd)
    fake.close()
    gone("/dev/tpmsafe%d" % fake.num)

    # unbind: a sysfs reader waiting on a server that takes 400 ms is woken
    # (ENODEV) instead of holding unbind until the answer, and
    # TPM2_Shutdown(CLEAR) is the last command the server sees
    def late(c):
        time.sleep(0.4)
        return None
    fake = T.FakeTPM(once(late))
    dev = "/dev/tpmsafe%d" % fake.num
    pcr = "/sys/class/tpm_safe/tpmsafe%d/pcr-sha256/0" % fake.num
    res = {}

    def reader():
        # one read(): the show() result itself (a second read for EOF would
        # fail with ENODEV anyway once the file is removed)
        fd = os.open(pcr, os.O_RDONLY)
        try:
            res["got"] = os.read(fd, 4096)
        except OSError as e:
            res["got"] = errno.errorcode.get(e.errno, e.errno)
        os.close(fd)
    th = threading.Thread(target=reader)
    th.start()
    deadline = time.monotonic() + 5
    while T.CC_PCR_READ not in fake.commands and time.monotonic() < deadline:
        time.sleep(0.005)
    t0 = time.monotonic()
    with open(UNBIND, "w") as f:
        f.write("tpm_safe_vtpm.%d" % fake.devid)
    ms = (time.monotonic() - t0) * 1000
    th.join()
    tap(res.get("got") == "ENODEV",
        "unbind wakes a sysfs reader waiting in the backend (unbind took %.0f ms)" % ms,
        res.get("got"))
    last = fake.last if fake.commands else b""
    tap(fake.commands[-1] == CC_SHUTDOWN and last[10:12] == b"\0\0",
        "unbind: TPM2_Shutdown(CLEAR) is the last command the server saw",
        ["0x%x" % c for c in fake.commands])
    n = len(fake.commands)
    # what could still reach the server after unbind: a command on the
    # node, a sysfs PCR read, deferred work (the autosuspend delay is 200 ms)
    tries = []
    try:
        fd = os.open(dev, os.O_RDWR)
        try:
            tries.append("node: %r" % T.transact(fd, T.get_random(8)))
        finally:
            os.close(fd)
    except OSError as e:
        tries.append("node: %s" % errno.errorcode.get(e.errno, e.errno))
    try:
        with open(pcr) as f:
            tries.append("pcr: %r" % f.read())
    except OSError as e:
        tries.append("pcr: %s" % errno.errorcode.get(e.errno, e.errno))
    time.sleep(0.5 * TIME_SCALE)
    late = ["0x%x" % c for c in fake.commands[n:]]
    fake.close()
    tap(gone(dev) and not late, "...and nothing reaches the server after it",
        "sent after it: %s; tried: %s" % (late, tries))

    # CAP_SYS_ADMIN: a root process without it cannot create a virtual TPM
    pid = os.fork()
    if pid == 0:
        try:
            drop_cap(21)  # CAP_SYS_ADMIN
            os.close(os.open(T.VTPMX, os.O_RDWR))
            os._exit(0)
        except OSError as e:
            os._exit(100 + e.errno if e.errno < 100 else 99)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    tap(code == 100 + errno.EPERM,
        "opening %s without CAP_SYS_ADMIN fails with EPERM" % T.VTPMX,
        "child exit %d" % code)


def drop_cap(cap):
    """clear one capability from this process's effective set (capset)"""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    hdr = (ctypes.c_uint32 * 2)(0x20080522, 0)   # _LINUX_CAPABILITY_VERSION_3
    data = (ctypes.c_uint32 * 6)()                # 2 x {eff, perm, inh}
    if libc.capget(hdr, data):
        raise OSError(ctypes.get_errno(), "capget")
    data[0 + 3 * (cap // 32)] &= ~(1 << (cap % 32))
    if libc.capset(hdr, data):
        raise OSError(ctypes.get_errno(), "capset")


def main():
    for name, bad, want in CASES:
        fake, dev = run_case(name, bad, want)
        if name == "two responses":
            tap(fake.write_errors == [errno.EIO],
                "two responses: the second write is refused with EIO", fake.write_errors)
        fake.close()
        deadline = time.monotonic() + 10 * TIME_SCALE
        while os.path.exists(dev) and time.monotonic() < deadline:
            time.sleep(0.01)
        tap(not os.path.exists(dev), "hostile server, %s: removed cleanly on close" % name)

    # a response nobody asked for
    fake = T.FakeTPM()
    dev = "/dev/tpmsafe%d" % fake.num
    try:
        os.write(fake.fd, T.FakeTPM.answer(T.CC_GET_RANDOM, T.get_random(8)))
        got = None
    except OSError as e:
        got = e.errno
    tap(got == errno.EIO, "a response with no request is refused with EIO", got)
    fd = os.open(dev, os.O_RDWR)
    try:
        T.check_rsp(T.transact(fd, T.get_random(16)))
        good = True
    except (OSError, ValueError) as e:
        good = e
    tap(good is True, "...and the chip stays usable", good)
    os.close(fd)
    fake.close()

    # a PCR digest of the wrong size behind a sysfs file
    def short_digest(c):
        body = struct.pack(">IIHB", 1, 1, 0x000B, 3) + c[17:20] + \
            struct.pack(">IH", 1, 20) + bytes(20)
        return struct.pack(">HII", T.TPM2_ST_NO_SESSIONS, 10 + len(body), 0) + body

    fake = T.FakeTPM(once(short_digest))
    dev = "/dev/tpmsafe%d" % fake.num
    pcr = "/sys/class/tpm_safe/tpmsafe%d/pcr-sha256/0" % fake.num
    try:
        with open(pcr) as f:
            got = "read %r" % f.read().strip()
    except OSError as e:
        got = e.errno
    tap(got == errno.EIO, "a 20-byte digest for a sha256 PCR: the sysfs read gets EIO", got)
    try:
        with open(pcr) as f:
            got = f.read().strip()
    except OSError as e:
        got = e
    tap(got == "0" * 64, "...and the next read shows the 32-byte digest", got)
    fake.close()
    deadline = time.monotonic() + 10 * TIME_SCALE
    while os.path.exists(dev) and time.monotonic() < deadline:
        time.sleep(0.01)
    tap(not os.path.exists(dev), "...and it is removed cleanly on close")

    lifecycle_cases()

    # a server that never answers: ETIME within the duration, then removal
    fake = T.FakeTPM(once(lambda c: []))
    dev = "/dev/tpmsafe%d" % fake.num
    fd = os.open(dev, os.O_RDWR)
    t0 = time.monotonic()
    try:
        T.transact(fd, T.pcr_read())
        got = None
    except OSError as e:
        got = e.errno
    ms = (time.monotonic() - t0) * 1000
    tap(got == errno.ETIME and ms < 3000 * TIME_SCALE,
        "a server that never answers: ETIME after %.0f ms (PCR_Read: 750 ms)" % ms, got)
    os.close(fd)
    fake.close()
    deadline = time.monotonic() + 10 * TIME_SCALE
    while os.path.exists(dev) and time.monotonic() < deadline:
        time.sleep(0.01)
    tap(not os.path.exists(dev), "...and it is removed cleanly on close")

    # a server that exits during registration (the probe it read never
    # answered): its leaving ends the registration at once and leaves no
    # chip or device behind
    chips = set(os.listdir("/sys/class/tpm_safe"))
    fake = T.FakeTPM(lambda cc, c: [], register=False, startup_behave=True)
    tap(T.wait_until(lambda: T.CC_GET_CAPABILITY in fake.commands, 10 * TIME_SCALE),
        "a server that never answers the probe has read it")
    t0 = time.monotonic()
    fake.close()
    s = time.monotonic() - t0
    path = "/sys/bus/platform/devices/tpm_safe_vtpm.%d" % fake.devid
    tap(gone(path) and s < 5 * TIME_SCALE and
        set(os.listdir("/sys/class/tpm_safe")) == chips,
        "a server closing mid-registration: its device and chip go (close "
        "took %.1f s)" % s, "%s, chips before %s, after %s, commands %s" % (
            path, sorted(chips), sorted(os.listdir("/sys/class/tpm_safe")),
            ["0x%x" % c for c in fake.commands]))

    # swtpm's chip under a storm of clients that send bad commands and go
    # away mid-command (tests/guest/hostile_client.py)
    with T.swtpm_served(tap, "/tmp/hostile-client") as dev:
        if dev is not None:
            r = subprocess.run([sys.executable, os.path.join(HERE, "..", "hostile_client.py"),
                                dev, os.environ.get("HOSTILE_SECONDS") or "20", "4"])
            tap(r.returncode == 0, "hostile clients on swtpm's chip: exit status %d" % r.returncode)
    return 1 if tap.fails else 0


if __name__ == "__main__":
    sys.exit(T.run_test(main, tap))
