#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The /dev/tpmsafeN errno matrix, one TAP line per case, against a chip
served by swtpm (and a fake server for what swtpm cannot do)."""

import ctypes
import errno
import fcntl
import os
import select
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tpmsafe as T  # noqa: E402

ok = T.Tap()


def expect_errno(desc, want, fn):
    try:
        r = fn()
        ok(False, desc, "no error, returned %r" % (r,))
    except OSError as e:
        ok(e.errno == want, desc, "errno %s, want %s" % (
            errno.errorcode.get(e.errno), errno.errorcode.get(want)))


def wait_gone(path, seconds=20):
    deadline = time.monotonic() + seconds
    while os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not os.path.exists(path)


def open_files():
    """tpm_safe's open files: created minus destroyed (debugfs objects)"""
    with open("/sys/kernel/debug/tpm_safe/objects") as f:
        for line in f:
            kind, created, destroyed = line.split()
            if kind == "file":
                return int(created) - int(destroyed)
    raise ValueError("no file line in tpm_safe/objects")


def main():
    libc = ctypes.CDLL(None, use_errno=True)
    proc, num, devid = T.launch("/tmp/errno-matrix")
    dev = "/dev/tpmsafe%d" % num
    gr = T.get_random(16)

    fd = os.open(dev, os.O_RDWR)
    expect_errno("write > 4096 bytes: E2BIG", errno.E2BIG,
                 lambda: os.write(fd, gr + bytes(4096)))
    expect_errno("write < 6 bytes: EINVAL", errno.EINVAL,
                 lambda: os.write(fd, gr[:5]))
    expect_errno("write shorter than its size field: EINVAL", errno.EINVAL,
                 lambda: os.write(fd, gr[:-1]))
    expect_errno("size field 0: ENODATA", errno.ENODATA,
                 lambda: os.write(fd, gr[:2] + bytes(4) + gr[6:]))
    expect_errno("size field below the header: EINVAL", errno.EINVAL,
                 lambda: os.write(fd, gr[:2] + struct.pack(">I", 6) + gr[6:]))
    r = libc.write(fd, ctypes.c_void_p(16), 12)
    ok(r == -1 and ctypes.get_errno() == errno.EFAULT,
       "write from a bad address: EFAULT", "r=%d errno=%d" % (r, ctypes.get_errno()))
    ok(os.read(fd, 4096) == b"", "read with nothing pending returns 0")

    ok(os.write(fd, gr) == len(gr), "blocking write returns the size")
    expect_errno("write while a response is unread: EBUSY", errno.EBUSY,
                 lambda: os.write(fd, gr))
    a = os.read(fd, 4)
    b = os.read(fd, 6)
    c = os.read(fd, 4096)
    rsp = a + b + c
    try:
        T.check_rsp(rsp)
        good = len(a) == 4 and len(b) == 6
    except ValueError as e:
        good = False
        a = e
    ok(good, "partial reads (4, 6, rest) make one valid response", a)
    ok(os.read(fd, 4096) == b"", "after the whole response read returns 0")

    os.write(fd, gr)
    os.read(fd, 5)
    ok(os.write(fd, gr) == len(gr),
       "write after a partial read drops the rest and is accepted")
    try:
        T.check_rsp(os.read(fd, 4096))
        good = True
    except ValueError:
        good = False
    ok(good, "...and its response is whole")

    # stale responses are dropped (stale_ms is lowered for the test)
    param = "/sys/module/tpm_safe/parameters/stale_ms"
    with open(param, "w") as f:
        f.write("200")
    os.write(fd, gr)
    time.sleep(0.4)
    ok(os.read(fd, 4096) == b"", "a response unread for stale_ms is dropped")
    os.write(fd, gr)
    time.sleep(0.4)
    ok(os.write(fd, gr) == len(gr), "a stale response does not block a write")
    os.read(fd, 4096)
    with open(param, "w") as f:
        f.write("120000")
    os.close(fd)

    # O_NONBLOCK + poll
    fd = os.open(dev, os.O_RDWR | os.O_NONBLOCK)
    p = select.poll()
    p.register(fd, select.POLLIN | select.POLLOUT)
    ev = p.poll(0)
    ok(ev and ev[0][1] == select.POLLOUT, "poll when idle: POLLOUT", ev)
    ok(os.write(fd, gr) == len(gr), "O_NONBLOCK write queues the command")
    expect_errno("O_NONBLOCK write while one is queued or unread: EBUSY",
                 errno.EBUSY, lambda: os.write(fd, gr))
    p2 = select.poll()
    p2.register(fd, select.POLLIN | select.POLLRDNORM)
    ev = p2.poll(5000)
    ok(ev and ev[0][1] == select.POLLIN | select.POLLRDNORM,
       "poll reports POLLIN|POLLRDNORM when the response is ready", ev)
    try:
        T.check_rsp(os.read(fd, 4096))
        good = True
    except (ValueError, OSError):
        good = False
    ok(good, "O_NONBLOCK response is valid")
    ev = p.poll(0)
    ok(ev and ev[0][1] == select.POLLOUT, "poll after the read: POLLOUT", ev)

    # a TPM that asks for a retry: the driver resends
    retries = [0]

    def retry_twice(cc, c):
        if cc == T.CC_GET_RANDOM and retries[0] < 2:
            retries[0] += 1
            # an error response is a bare header
            return struct.pack(">HII", T.TPM2_ST_NO_SESSIONS, 10, 0x922)
        return None
    fake = T.FakeTPM(retry_twice)
    fdev = "/dev/tpmsafe%d" % fake.num
    stats = "/sys/class/tpm_safe/tpmsafe%d/stats/retries" % fake.num
    ffd = os.open(fdev, os.O_RDWR)
    try:
        T.check_rsp(T.transact(ffd, gr))
        good = True
    except (ValueError, OSError) as e:
        good = e
    ok(good is True and retries[0] == 2, "TPM2_RC_RETRY is retried", good)
    ok(open(stats).read().strip() == "2", "stats/retries counts them")
    os.close(ffd)
    fake.close()
    ok(wait_gone(fdev), "fake server closed: its chip goes away")

    # after removal: errors, never a hang
    os.kill(proc.pid, 9)
    proc.wait()
    ok(wait_gone(dev), "swtpm killed: the node goes away")
    expect_errno("open after removal: ENOENT", errno.ENOENT,
                 lambda: os.open(dev, os.O_RDWR))
    ok(os.write(fd, gr) == len(gr), "O_NONBLOCK write on a removed chip is queued")
    ev = p2.poll(5000)
    ok(ev and ev[0][1] & select.POLLIN, "the error wakes poll", ev)
    expect_errno("...and read returns EPIPE", errno.EPIPE,
                 lambda: os.read(fd, 4096))
    fcntl.fcntl(fd, fcntl.F_SETFL, 0)
    expect_errno("blocking write on a removed chip: EPIPE", errno.EPIPE,
                 lambda: os.write(fd, gr))
    live = open_files()
    try:
        os.close(fd)
        err = None
    except OSError as e:
        err = e
    ok(err is None and open_files() == live - 1,
       "close after removal works and releases the file",
       "close: %s, open files %d -> %d" % (err, live, open_files()))
    return 1 if ok.fails else 0


if __name__ == "__main__":
    sys.exit(T.run_test(main, ok))
