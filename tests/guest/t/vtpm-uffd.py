#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A virtual TPM server whose I/O buffer faults until the test says so.

The buffer of the server's read() (or write()) is a page registered with
userfaultfd for missing pages and never filled: the driver's copy to (or
from) it stays in the fault.  Meanwhile a SIGKILLed client, and an unbind
of the device, must each finish within BOUND seconds: nothing on the chip
side may wait for a server's copy.  Then the fault is resolved, the server
goes on, and the chip serves again.  TAP output.

usage: vtpm-uffd.py            the test
       vtpm-uffd.py client DEV HEX   one command on DEV (the test's client)
"""

import ctypes
import errno
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tpmsafe as T  # noqa: E402

TIME_SCALE = int(os.environ.get("TIME_SCALE", "1"))  # slower kernels
BOUND = 5.0 * TIME_SCALE
DRIVER = "/sys/bus/platform/drivers/tpm_safe_vtpm"
# TPM2_ReadClock: no bounded duration of its own, so a client waits the
# 120 s default for it; only the test's actions can end that wait early
CC_READ_CLOCK = T.CC_READ_CLOCK

# x86_64 userfaultfd ABI (linux/userfaultfd.h)
NR_USERFAULTFD = 323
UFFD_API = 0xAA
UFFDIO_API = 0xC018AA3F         # _IOWR(0xAA, 0x3F, struct uffdio_api)
UFFDIO_REGISTER = 0xC020AA00    # _IOWR(0xAA, 0x00, struct uffdio_register)
UFFDIO_ZEROPAGE = 0xC020AA04    # _IOWR(0xAA, 0x04, struct uffdio_zeropage)
UFFDIO_REGISTER_MODE_MISSING = 1
UFFD_EVENT_PAGEFAULT = 0x12
PAGE = os.sysconf("SC_PAGE_SIZE")

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                      ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.read.restype = ctypes.c_ssize_t
libc.read.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
libc.write.restype = ctypes.c_ssize_t
libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]

tap = T.Tap()

class Uffd:
    """npages of anonymous memory, never touched here, whose missing-page
    faults wait until resolve()"""

    def __init__(self, npages):
        fd = libc.syscall(NR_USERFAULTFD, os.O_CLOEXEC | os.O_NONBLOCK)
        if fd < 0:
            e = ctypes.get_errno()
            raise OSError(e, "userfaultfd(): %s" % os.strerror(e))
        self.fd = fd
        fcntl.ioctl(fd, UFFDIO_API, bytearray(struct.pack("QQQ", UFFD_API, 0, 0)))
        base = libc.mmap(None, npages * PAGE, 3, 0x22, -1, 0)  # RW, private|anon
        if base is None or base == ctypes.c_void_p(-1).value:
            raise OSError(ctypes.get_errno(), "mmap")
        self.base = base
        fcntl.ioctl(fd, UFFDIO_REGISTER, bytearray(struct.pack(
            "QQQQ", base, npages * PAGE, UFFDIO_REGISTER_MODE_MISSING, 0)))

    def page(self, i):
        return self.base + i * PAGE

    def wait_fault(self, seconds):
        """the address of the next fault, or None after @seconds"""
        p = select.poll()
        p.register(self.fd, select.POLLIN)
        if not p.poll(int(seconds * 1000)):
            return None
        msg = os.read(self.fd, 32)
        if msg[0] != UFFD_EVENT_PAGEFAULT:
            return None
        return struct.unpack_from("Q", msg, 16)[0]

    def resolve(self, addr):
        """a zero page at @addr: the copy waiting on it goes on"""
        start = addr & ~(PAGE - 1)
        try:
            fcntl.ioctl(self.fd, UFFDIO_ZEROPAGE, bytearray(struct.pack(
                "QQQq", start, PAGE, 0, 0)))
        except OSError as e:
            if e.errno != errno.EEXIST:
                raise

    def close(self):
        os.close(self.fd)

class Server:
    """Serves /dev/tpmsafe-vtpmx like tpmsafe.FakeTPM, reading commands and
    writing responses through ctypes buffers; arm() makes the next read()
    or write() use a userfaultfd page instead."""

    def __init__(self):
        self.fd = os.open(T.VTPMX, os.O_RDWR | os.O_NONBLOCK)
        self.buf = ctypes.create_string_buffer(4096)
        self.trap = None
        self.log = []           # what each trapped call returned
        self.trapped = threading.Event()
        self.rd, self.wr = os.pipe()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()
        b = bytearray(4)
        fcntl.ioctl(self.fd, T.IOC_GET_NUM, b)
        self.num = struct.unpack("I", b)[0]
        fcntl.ioctl(self.fd, T.IOC_GET_DEVID, b)
        self.devid = struct.unpack("I", b)[0]

    def arm(self, how, addr):
        self.trapped.clear()
        self.trap = (how, addr)

    def serve(self):
        p = select.poll()
        p.register(self.fd, select.POLLIN)
        p.register(self.rd, select.POLLIN)
        own = ctypes.addressof(self.buf)
        while True:
            if self.rd in dict(p.poll()):
                return
            trap = self.trap
            rbuf = trap[1] if trap and trap[0] == "read" else own
            n = libc.read(self.fd, rbuf, 4096)
            err = ctypes.get_errno() if n < 0 else 0
            if err == errno.EAGAIN:
                continue        # nothing to read after all: still armed
            if trap and trap[0] == "read":
                self.trap = None
                self.log.append(("read", n if n >= 0 else -err))
                self.trapped.set()
            if n < 10:
                continue
            c = ctypes.string_at(rbuf, n)
            rsp = T.FakeTPM.answer(struct.unpack(">I", c[6:10])[0], c)
            if trap and trap[0] == "write":
                self.trap = None
                w = libc.write(self.fd, trap[1], len(rsp))
                self.log.append(("write", w if w >= 0 else -ctypes.get_errno()))
                self.trapped.set()
            else:
                ctypes.memmove(own, rsp, len(rsp))
                libc.write(self.fd, own, len(rsp))

    def close(self, seconds):
        os.write(self.wr, b"x")
        self.thread.join(seconds)
        stuck = self.thread.is_alive()
        if not stuck:
            os.close(self.fd)
        return not stuck

def client_main(dev, hexcmd):
    """one blocking command; prints ok HEX or err NAME"""
    fd = os.open(dev, os.O_RDWR)
    try:
        os.write(fd, bytes.fromhex(hexcmd))
        print("ok", os.read(fd, 4096).hex())
    except OSError as e:
        print("err", errno.errorcode.get(e.errno, e.errno))
    sys.stdout.flush()

def start_client(num, command):
    return subprocess.Popen([sys.executable, os.path.abspath(__file__), "client",
                             "/dev/tpmsafe%d" % num, command.hex()],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            universal_newlines=True)

where = T.task_where

def timed_wait(proc, seconds):
    """seconds until @proc exited, or None when it did not within @seconds"""
    t0 = time.monotonic()
    try:
        proc.wait(seconds)
    except subprocess.TimeoutExpired:
        return None
    return time.monotonic() - t0

def reap(proc, what):
    """after the fault is resolved every task must end"""
    if timed_wait(proc, 30 * TIME_SCALE) is None:
        tap(False, "%s ends once the fault is resolved" % what, where(proc.pid))
        proc.kill()
        proc.wait()

def works(num):
    """a fresh client gets its answer"""
    c = start_client(num, T.get_random(8))
    try:
        out = c.communicate(timeout=20 * TIME_SCALE)[0]
    except subprocess.TimeoutExpired:
        c.kill()
        out = c.communicate()[0] + " (timed out)"
    return out.startswith("ok "), out

def stuck_in_fault(uffd, page, how, what):
    """the server's trapped call is in its copy: the fault came"""
    addr = uffd.wait_fault(30 * TIME_SCALE)  # a python client starting
    good = addr is not None and addr & ~(PAGE - 1) == page
    tap(good, "%s: the server's %s() waits in its copy (userfaultfd fault)" % (what, how),
        "fault at %s, page %#x" % (None if addr is None else hex(addr), page))
    return good

def kill_case(uffd, srv, page, how):
    """a client SIGKILLed while the server's @how() faults exits at once"""
    what = "%s() faulting, client SIGKILLed" % how
    srv.arm(how, page)
    cli = start_client(srv.num, T.cmd(CC_READ_CLOCK))
    if not stuck_in_fault(uffd, page, how, what):
        cli.kill()
        uffd.resolve(page)
        reap(cli, "the client")
        return False
    cli.send_signal(signal.SIGKILL)
    s = timed_wait(cli, BOUND)
    tap(s is not None, "%s: the client exits within %.0f s (%s)" % (
        what, BOUND, "%.2f s" % s if s is not None else "still there"),
        "" if s is not None else where(cli.pid))
    print("FIGURE %s: client exit after SIGKILL %s" % (
        what, "%.3f s" % s if s is not None else "> %.0f s" % BOUND))
    uffd.resolve(page)
    reap(cli, "the SIGKILLed client")
    tap(srv.trapped.wait(10 * TIME_SCALE),
        "%s: the server's %s() returns once the fault is resolved (%s)" % (
            what, how, srv.log[-1:] or "nothing"))
    good, out = works(srv.num)
    tap(good, "%s: the chip serves the next command" % what, out)
    return True

def unbind_case(uffd, srv, page):
    """unbind while the server's read() faults, a client waiting"""
    what = "read() faulting, unbind"
    dev = "tpm_safe_vtpm.%d" % srv.devid
    srv.arm("read", page)
    cli = start_client(srv.num, T.cmd(CC_READ_CLOCK))
    if not stuck_in_fault(uffd, page, "read", what):
        cli.kill()
        uffd.resolve(page)
        reap(cli, "the client")
        return
    ub = subprocess.Popen(["sh", "-c", "echo %s > %s/unbind" % (dev, DRIVER)])
    s = timed_wait(ub, BOUND)
    tap(s is not None and ub.returncode == 0,
        "%s: unbind returns within %.0f s (%s, exit %s)" % (
            what, BOUND, "%.2f s" % s if s is not None else "still there",
            ub.returncode), "" if s is not None else where(ub.pid))
    print("FIGURE %s: unbind %s" % (what, "%.3f s" % s if s is not None else "> %.0f s" % BOUND))
    # the client, woken by the unbind, fails; SIGKILL it if it is still there
    c = timed_wait(cli, BOUND)
    if c is None:
        cli.send_signal(signal.SIGKILL)
        c = timed_wait(cli, BOUND)
        tap(c is not None, "%s: the client, still waiting, exits on SIGKILL within %.0f s" % (
            what, BOUND), "" if c is not None else where(cli.pid))
    else:
        out = cli.stdout.read().strip()
        tap(out in ("err EPIPE", "err ENODEV"),
            "%s: the client's command fails at once (%s)" % (what, out))
    uffd.resolve(page)
    reap(ub, "unbind")
    reap(cli, "the client")
    tap(srv.trapped.wait(10 * TIME_SCALE),
        "%s: the server's read() returns once the fault is resolved (%s)" % (
            what, srv.log[-1:] or "nothing"))
    # the server kept serving: rebinding registers the chip again
    try:
        with open(DRIVER + "/bind", "w") as f:
            f.write(dev)
        b = bytearray(4)
        fcntl.ioctl(srv.fd, T.IOC_GET_NUM, b)
        srv.num = struct.unpack("I", b)[0]
        good, out = works(srv.num)
    except OSError as e:
        good, out = False, e
    tap(good, "%s: after a rebind the chip serves again" % what, out)

def main():
    try:
        uffd = Uffd(3)
    except OSError as e:
        tap(False, "userfaultfd available (CONFIG_USERFAULTFD)", e)
        return 1
    srv = Server()
    tap(True, "a server with a userfaultfd buffer registered tpmsafe%d" % srv.num)
    good, out = works(srv.num)
    tap(good, "the chip serves with ordinary buffers", out)
    if kill_case(uffd, srv, uffd.page(0), "read"):
        kill_case(uffd, srv, uffd.page(1), "write")
        unbind_case(uffd, srv, uffd.page(2))
    tap(srv.close(10 * TIME_SCALE), "the server's thread ends")
    uffd.close()
    return 1 if tap.fails else 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "client":
        sys.exit(client_main(sys.argv[2], sys.argv[3]))
    sys.exit(T.run_test(main, tap, ("hwrng=0",)))
