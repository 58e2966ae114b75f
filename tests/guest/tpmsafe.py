#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Guest-side helpers for tpm_safe tests: attach swtpm to
/dev/tpmsafe-vtpmx, build TPM 2.0 (or, with TPM_FAMILY=1.2 in the
environment, TPM 1.2) commands, drive /dev/tpmsafeN."""

import argparse
import contextlib
import errno
import fcntl
import glob
import os
import re
import select
import struct
import subprocess
import sys
import threading
import time
import traceback

VTPMX = "/dev/tpmsafe-vtpmx"
IOC_GET_NUM = 0x8004A120   # _IOR(0xa1, 0x20, __u32)
IOC_GET_DEVID = 0x8004A121  # _IOR(0xa1, 0x21, __u32)

TPM2_ST_NO_SESSIONS = 0x8001
CC_GET_RANDOM = 0x17B
CC_PCR_READ = 0x17E
CC_GET_CAPABILITY = 0x17A
CC_HASH = 0x17D
CC_READ_CLOCK = 0x181   # not in the duration table: 120 s
CC_SHUTDOWN = 0x145
RH_NULL = 0x40000007

# TPM 1.2
TPM1_TAG_RQU = 0x00C1
TPM1_TAG_RSP = 0x00C4
ORD_EXTEND = 0x14
ORD_PCR_READ = 0x15
ORD_GET_RANDOM = 0x46
ORD_CONTINUE_SELF_TEST = 0x53
ORD_GET_CAP = 0x65
ORD_STARTUP = 0x99
ORD_SAVE_STATE = 0x98
TPM1_CAP_PROPERTY = 5
TPM1_CAP_VERSION_VAL = 0x1A
# what the fake TPM 1.2 reports (us): none is a default or a minimum
FAKE12_TIMEOUTS = (760000, 2010000, 770000, 780000)
FAKE12_DURATIONS = (2500000, 21000000, 61000000)
# the family the workloads' commands are for: "2" or "1.2"
FAMILY = os.environ.get("TPM_FAMILY", "2")


class Tap:
    """TAP lines on stdout, flushed; counts the failures"""

    def __init__(self):
        self.fails = 0

    def __call__(self, good, desc, diag=""):
        print(("ok - " if good else "not ok - ") + desc)
        if not good:
            self.fails += 1
            for line in str(diag).splitlines()[-10:]:
                print("#   " + line)
        sys.stdout.flush()


def cmd(cc, body=b"", tag=TPM2_ST_NO_SESSIONS):
    return struct.pack(">HII", tag, 10 + len(body), cc) + body


def cmd12(ordinal, body=b""):
    return struct.pack(">HII", TPM1_TAG_RQU, 10 + len(body), ordinal) + body


def get_random12(n=16):
    return cmd12(ORD_GET_RANDOM, struct.pack(">I", n))


def pcr_read12(pcr=0):
    return cmd12(ORD_PCR_READ, struct.pack(">I", pcr))


def extend12(pcr, digest):
    return cmd12(ORD_EXTEND, struct.pack(">I", pcr) + digest)


def get_cap12(cap, sub=None):
    body = struct.pack(">I", cap)
    body += struct.pack(">I", 0) if sub is None else struct.pack(">II", 4, sub)
    return cmd12(ORD_GET_CAP, body)


def get_random(n=16):
    if FAMILY == "1.2":
        return get_random12(n)
    return cmd(CC_GET_RANDOM, struct.pack(">H", n))


def pcr_read(pcrs=range(8), alg=0x000B):
    if FAMILY == "1.2":
        return pcr_read12(min(pcrs))
    sel = bytearray(3)
    for p in pcrs:
        sel[p // 8] |= 1 << (p % 8)
    return cmd(CC_PCR_READ, struct.pack(">IHB", 1, alg, 3) + bytes(sel))


def hash_cmd(size=1024, alg=0x000B):
    if FAMILY == "1.2":	# a longer answer: the version structure
        return get_cap12(TPM1_CAP_VERSION_VAL)
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    return cmd(CC_HASH, struct.pack(">H", len(data)) + data +
               struct.pack(">HI", alg, RH_NULL))


def rsp_code(rsp):
    return struct.unpack(">I", rsp[6:10])[0]


def check_rsp(rsp):
    """A response is well formed and successful."""
    if len(rsp) < 10:
        raise ValueError("short response (%d bytes)" % len(rsp))
    tag, size, code = struct.unpack(">HII", rsp[:10])
    if size != len(rsp):
        raise ValueError("size %d != %d received" % (size, len(rsp)))
    if code != 0:
        raise ValueError("TPM rc 0x%x" % code)
    return rsp


def transact(fd, command):
    os.write(fd, command)
    return os.read(fd, 4096)


def launch(state, swtpm_extra=(), tpm2=None, wait=True, new_session=True):
    """Open the vtpm master, attach swtpm to it (its own copy of the fd)
    and return (swtpm Popen, chip number or None, device id).  tpm2:
    swtpm's family (default: TPM_FAMILY's).  new_session: swtpm in a
    session of its own (each session is a scheduler autogroup: make
    bench-scale starts every path's servers without one)."""
    if tpm2 is None:
        tpm2 = FAMILY != "1.2"
    os.makedirs(state, exist_ok=True)
    # a new TPM 1.2 gets an endorsement key, as it leaves the factory
    if not tpm2 and not os.path.exists(os.path.join(state, "tpm-00.permall")):
        subprocess.run(["swtpm_setup", "--tpmstate", state, "--createek"],
                       check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    fd = os.open(VTPMX, os.O_RDWR)
    try:
        args = ["swtpm", "chardev", "--fd", str(fd), "--tpmstate", "dir=" + state,
                "--flags", "not-need-init", "--locality", "allow-set-locality"]
        if tpm2:
            args.insert(2, "--tpm2")
        args += list(swtpm_extra)
        proc = subprocess.Popen(args, pass_fds=(fd,), start_new_session=new_session,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        buf = bytearray(4)
        fcntl.ioctl(fd, IOC_GET_DEVID, buf)
        devid = struct.unpack("I", buf)[0]
        num = None
        if wait:
            try:
                fcntl.ioctl(fd, IOC_GET_NUM, buf)
                num = struct.unpack("I", buf)[0]
            except OSError as e:
                if e.errno != errno.ENODEV:
                    raise
        return proc, num, devid
    finally:
        os.close(fd)


@contextlib.contextmanager
def swtpm_served(tap, state):
    """swtpm on a virtual TPM of its own (state: its directory): yields the
    chip's node, or None when it did not attach (a failure); then swtpm is
    SIGKILLed and its device must go away"""
    proc, num, devid = launch(state)
    try:
        if num is None:
            tap(False, "swtpm attaches")
        yield None if num is None else "/dev/tpmsafe%d" % num
    finally:
        proc.kill()
        proc.wait()
        if num is not None:
            tap(gone("/sys/bus/platform/devices/tpm_safe_vtpm.%d" % devid, 20),
                "swtpm killed: the device goes away")


def builtin_crb(dev="MSFT0101:00"):
    """the sysfs folder of the kernel's CRB driver bound to dev (an ACPI
    driver, tpm_crb, up to 6.12; a platform driver, tpm_crb_acpi, later),
    or None"""
    for d in ("/sys/bus/acpi/devices/%s/driver" % dev,
              "/sys/bus/platform/devices/%s/driver" % dev):
        if os.path.exists(d):
            d = os.path.realpath(d)
            if not os.path.basename(d).startswith("tpm_safe_"):
                return d
    return None


def crb_release_builtin():
    """a guest with -device tpm-crb boots with the kernel's CRB driver bound
    (coexist): it lets the device go, so that the test starts as with the
    built-in driver kept off"""
    if os.environ.get("IFACE", "tis") == "crb":
        drv = builtin_crb()
        if drv:
            write_text(drv + "/unbind", "MSFT0101:00")


def read_text(path):
    with open(path) as f:
        return f.read().strip()


def write_text(path, value):
    with open(path, "w") as f:
        f.write(value)


def wait_until(cond, seconds):
    """poll cond() every 2 ms until it holds (True) or seconds pass"""
    deadline = time.monotonic() + seconds
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


def gone(path, seconds=10.0):
    """path disappears within seconds"""
    return wait_until(lambda: not os.path.exists(path), seconds)


def task_where(pid):
    """state and kernel stack of a task, for a diagnosis"""
    out = []
    for f in ("stat", "stack"):
        try:
            out.append(read_text("/proc/%d/%s" % (pid, f)))
        except OSError as e:
            out.append("%s: %s" % (f, e))
    return "\n".join(out)


OBJECTS = "/sys/kernel/debug/tpm_safe/objects"


def load_module(*params):
    """the module loaded with params: insmod of KO (the build tree's), or
    modprobe with LOAD=modprobe; the finished process"""
    if os.environ.get("LOAD", "insmod") == "modprobe":
        argv = ["modprobe", "tpm_safe"]
    else:
        argv = ["insmod", os.environ.get("KO", "tpm_safe.ko")]
    return subprocess.run(argv + list(params), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)


def unload_module():
    """rmmod tpm_safe; the finished process"""
    return subprocess.run(["rmmod", "tpm_safe"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True)


def dmesg():
    """the kernel log"""
    return subprocess.run(["dmesg"], stdout=subprocess.PIPE,
                          universal_newlines=True).stdout


def objects_leaked():
    """the module's object counts that do not balance, one line each: every
    object created was destroyed, but for the chips still registered and
    their virtual TPMs; [] when all balance"""
    chips = len(glob.glob("/sys/class/tpm_safe/tpmsafe*"))
    vtpms = len(glob.glob("/sys/bus/platform/devices/tpm_safe_vtpm.*"))
    bad = []
    with open(OBJECTS) as f:
        for line in f:
            kind, made, gone_ = line.split()[:3]
            live = {"chip": chips, "vtpm": vtpms}.get(kind, 0)
            if int(made) - int(gone_) != live:
                bad.append("leak: %s (live %d)" % (line.strip(), live))
    return bad


def run_main(main, tap=None):
    """main() in a child process, as a program of its own: whatever it
    leaves open (files, fake servers, the vtpmx) is closed when it ends,
    however it ends; 0 when it returned 0 (or None) and tap (its TAP
    lines) counted no failure meanwhile, else 1"""
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        bad = True
        start = tap.fails if tap else 0
        try:
            bad = bool(main())
        except SystemExit as e:
            bad = e.code not in (None, 0)
            if bad and not isinstance(e.code, int):
                print("# %s" % e.code)
        except BaseException:
            print("not ok - the test ran to its end")
            traceback.print_exc(file=sys.stdout)
        finally:
            try:
                bad = bad or bool(tap and tap.fails > start)
                sys.stdout.flush()
            finally:
                os._exit(1 if bad else 0)
    return 1 if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) else 0


def run_test(main, tap, params=()):
    """A test of its own: the module loaded with params, main() run as a
    program of its own (run_main()), then every object balanced (releases
    may be deferred, DEBUG_KOBJECT_RELEASE: up to 10 s) and the module
    unloaded, whatever main() did; the test's exit status."""
    r = load_module(*params)
    tap(r.returncode == 0, "module loads" +
        (" (%s)" % " ".join(params) if params else ""), r.stdout)
    if r.returncode:
        return 1
    rc = run_main(main, tap)

    def leaked():
        try:
            return objects_leaked()
        except OSError as e:
            return ["%s: %s" % (OBJECTS, e)]
    wait_until(lambda: not leaked(), 10)
    bad = leaked()
    tap(not bad, "objects balanced", "\n".join(bad))
    if not bad:
        with open(OBJECTS) as f:
            for line in f:
                print("# objects: " + line.rstrip())
    r = unload_module()
    tap(r.returncode == 0, "module unloads", r.stdout)
    return 1 if rc or tap.fails else 0


PM_TEST = "/sys/power/pm_test"
PM_DELAY = "/sys/module/suspend/parameters/pm_test_delay"


@contextlib.contextmanager
def pm_test_freezer():
    """System sleep stops after the freezer (the notifiers and the freezer
    run, no device is suspended), with no test delay; restored after."""
    old_test = re.search(r"\[(\w+)\]", read_text(PM_TEST)).group(1)
    old_delay = read_text(PM_DELAY)
    write_text(PM_DELAY, "0")
    write_text(PM_TEST, "freezer")
    try:
        yield
    finally:
        write_text(PM_TEST, old_test)
        write_text(PM_DELAY, old_delay)


def sleep_notifier_seconds():
    """The last sleep entry's notifiers, from the kernel log: from
    "Filesystems sync" (or "suspend entry") to "Freezing user space
    processes"; None when the log shows no such entry."""
    out = dmesg()
    start = took = None
    for line in out.splitlines():
        m = re.match(r"\[\s*(\d+\.\d+)\]\s*(.*)", line)
        if not m:
            continue
        t, text = float(m.group(1)), m.group(2)
        if "suspend entry" in text or "Filesystems sync" in text:
            start, took = t, None
        elif "Freezing user space processes" in text and start is not None \
                and took is None:
            took = t - start
    return took


class FakeTPM:
    """A userspace server on /dev/tpmsafe-vtpmx in place of swtpm.  It
    answers the driver's start-up commands itself; for every other command
    behave(cc, command) returns None (a default, valid answer), bytes (one
    write), or a list of bytes (several writes; [] = never answer).
    startup_delay: seconds before the first start-up answer.
    tpm12: a TPM 1.2 (its start-up: probe, timeouts, durations, self
    test, PCR 0, PCR count).
    startup_behave: behave() answers the start-up commands too.
    read_delay: seconds to wait before reading each command after the
    start-up ones (a server slow to take its commands); settable."""

    def __init__(self, behave=None, register=True, startup_delay=0.0,
                 tpm12=False, startup_behave=False):
        self.fd = os.open(VTPMX, os.O_RDWR | os.O_NONBLOCK)
        self.behave = behave or (lambda cc, c: None)
        self.tpm12 = tpm12
        if tpm12:
            self.nstart, self.start_ccs = 6, (0x17A, ORD_GET_CAP,
                                              ORD_CONTINUE_SELF_TEST,
                                              ORD_PCR_READ)
        else:
            self.nstart, self.start_ccs = 4, (0x17A, 0x143, 0x144)
        self.startup_delay = startup_delay
        self.startup_behave = startup_behave
        self.read_delay = 0.0
        self.commands = []
        self.write_errors = []
        self.rd, self.wr = os.pipe()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()
        self.num = None
        if register:
            buf = bytearray(4)
            fcntl.ioctl(self.fd, IOC_GET_NUM, buf)
            self.num = struct.unpack("I", buf)[0]
        buf = bytearray(4)
        fcntl.ioctl(self.fd, IOC_GET_DEVID, buf)
        self.devid = struct.unpack("I", buf)[0]

    @staticmethod
    def answer(cc, c, code=0):
        if cc == CC_GET_CAPABILITY and struct.unpack(">I", c[10:14])[0] == 5:
            body = struct.pack(">BIIHB", 0, 5, 1, 0x000B, 3) + b"\xff\xff\xff"
        elif cc == CC_GET_CAPABILITY and struct.unpack(">I", c[10:14])[0] == 2:
            body = struct.pack(">BII", 0, 2, 0)     # no command list
        elif cc == CC_GET_CAPABILITY:
            body = struct.pack(">BII", 0, 6, 0)
        elif cc == CC_PCR_READ:
            body = struct.pack(">IIHB", 1, 1, 0x000B, 3) + c[17:20] + \
                struct.pack(">IH", 1, 32) + bytes(32)
        elif cc == CC_GET_RANDOM:
            n = min(struct.unpack(">H", c[10:12])[0], 32)
            body = struct.pack(">H", n) + os.urandom(n)
        else:
            body = b""
        return struct.pack(">HII", TPM2_ST_NO_SESSIONS, 10 + len(body), code) + body

    @staticmethod
    def answer12(cc, c, code=0):
        """A TPM 1.2's answer; the probe (a TPM 2.0 command) gets BADTAG"""
        body = b""
        if cc == CC_GET_CAPABILITY:
            code = 0x1E
        elif cc == ORD_GET_CAP:
            sub = struct.unpack(">I", c[18:22])[0] if len(c) >= 22 else 0
            vals = {0x115: FAKE12_TIMEOUTS, 0x120: FAKE12_DURATIONS,
                    0x101: (24,)}.get(sub, ())
            data = struct.pack(">%dI" % len(vals), *vals)
            body = struct.pack(">I", len(data)) + data
        elif cc == ORD_PCR_READ:
            body = bytes(20)
        elif cc == ORD_GET_RANDOM:
            n = min(struct.unpack(">I", c[10:14])[0], 32)
            body = struct.pack(">I", n) + os.urandom(n)
        elif cc not in (ORD_CONTINUE_SELF_TEST, ORD_STARTUP, ORD_SAVE_STATE):
            body = struct.pack(">I", cc)	# any other: its ordinal back
        return struct.pack(">HII", TPM1_TAG_RSP, 10 + len(body), code) + body

    def serve(self):
        p = select.poll()
        p.register(self.fd, select.POLLIN)
        p.register(self.rd, select.POLLIN)
        while True:
            ev = dict(p.poll())
            if self.rd in ev:
                return
            if self.read_delay and len(self.commands) >= self.nstart:
                time.sleep(self.read_delay)
            try:
                c = os.read(self.fd, 4096)
            except BlockingIOError:
                continue
            cc = struct.unpack(">I", c[6:10])[0]
            self.last = c
            self.commands.append(cc)
            r = None
            if len(self.commands) == 1 and self.startup_delay:
                time.sleep(self.startup_delay)
            # registration: probe, self test, PCR banks, command list
            # (TPM 1.2: probe, timeouts, durations, self test, PCR count)
            if self.startup_behave or len(self.commands) > self.nstart or \
                    cc not in self.start_ccs:
                r = self.behave(cc, c)
            if r is None:
                r = [(self.answer12 if self.tpm12 else self.answer)(cc, c)]
            elif isinstance(r, bytes):
                r = [r]
            for x in r:
                try:
                    os.write(self.fd, x)
                except OSError as e:
                    self.write_errors.append(e.errno)

    def close(self):
        os.write(self.wr, b"x")
        self.thread.join()
        os.close(self.fd)
        os.close(self.rd)
        os.close(self.wr)


def open_retry(path, flags, seconds=10.0):
    """Open a node that may be appearing (rebind, registration)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return os.open(path, flags)
        except OSError as e:
            if e.errno not in (errno.ENOENT, errno.ENXIO, errno.ENODEV,
                               errno.EBUSY) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def client_loop(dev, seconds, nonblock, workload="getrandom"):
    """Issue commands for a while across unbinds; count outcomes by errno.
    One file is opened before and reused while it works (commands then
    fail with the documented errors), then reopened."""
    counts = {}
    command = {"getrandom": get_random(16), "pcrread": pcr_read(),
               "hash": hash_cmd()}[workload]
    deadline = time.monotonic() + seconds
    fd = None
    while time.monotonic() < deadline:
        try:
            if fd is None:
                fd = os.open(dev, os.O_RDWR | (os.O_NONBLOCK if nonblock else 0))
            os.write(fd, command)
            if nonblock:
                p = select.poll()
                p.register(fd, select.POLLIN)
                if not p.poll(10000):
                    counts["poll-timeout"] = counts.get("poll-timeout", 0) + 1
                    raise OSError(errno.ETIME, "poll timeout")
            rsp = os.read(fd, 4096)
            check_rsp(rsp)
            counts["ok"] = counts.get("ok", 0) + 1
        except OSError as e:
            name = errno.errorcode.get(e.errno, str(e.errno))
            counts[name] = counts.get(name, 0) + 1
            if e.errno in (errno.ENOENT, errno.ENXIO, errno.ENODEV, errno.EBUSY):
                time.sleep(0.005)
            if e.errno in (errno.EPIPE, errno.ENODEV, errno.EIO, errno.ETIME,
                           errno.EAGAIN) and fd is not None:
                os.close(fd)
                fd = None
        except ValueError:
            counts["bad-response"] = counts.get("bad-response", 0) + 1
    if fd is not None:
        os.close(fd)
    return counts


def tis_reg(what):
    """TIS registers through /dev/mem (localities 0 to 4, 4 KiB apart; the
    kernel maps them only while no driver holds their region): "setup"
    (locality 1 holds the TPM, locality 0's locality-change interrupt
    status raised and not clearable by it), "held-by-1", "no-request-0",
    "release-1".  Each checks what it set up; the registers printed, or
    SystemExit with them when a check fails."""
    import ctypes
    import mmap
    ACCESS, INT_ENABLE, INT_STATUS = 0x00, 0x08, 0x10
    VALID, ACTIVE, REQUEST_USE = 0x80, 0x20, 0x02
    INT_GLOBAL, INT_LOCALITY_CHANGE = 1 << 31, 0x04
    fd = os.open("/dev/mem", os.O_RDWR | os.O_SYNC)
    mm = mmap.mmap(fd, 0x5000, mmap.MAP_SHARED,
                   mmap.PROT_READ | mmap.PROT_WRITE, offset=0xFED40000)
    os.close(fd)

    def r8(loc, reg):
        return mm[loc * 0x1000 + reg]

    def w8(loc, reg, v):
        mm[loc * 0x1000 + reg] = v

    def r32(loc, reg):
        return ctypes.c_uint32.from_buffer(mm, loc * 0x1000 + reg).value

    def w32(loc, reg, v):
        ctypes.c_uint32.from_buffer(mm, loc * 0x1000 + reg).value = v

    def active(loc):
        return r8(loc, ACCESS) & (VALID | ACTIVE) == VALID | ACTIVE

    def state():
        return ("access0=0x%02x access1=0x%02x int_status0=0x%08x "
                "int_enable0=0x%08x" % (r8(0, ACCESS), r8(1, ACCESS),
                                        r32(0, INT_STATUS), r32(0, INT_ENABLE)))

    def need(cond, what):
        if not cond:
            sys.exit("%s: no (%s)" % (what, state()))

    if what == "setup":
        for loc in range(5):
            if r8(loc, ACCESS) & (ACTIVE | REQUEST_USE):
                w8(loc, ACCESS, ACTIVE)     # give up, or withdraw a request
        w8(0, ACCESS, REQUEST_USE)
        need(active(0), "locality 0 taken")
        w32(0, INT_STATUS, 0xFFFFFFFF)
        w32(0, INT_ENABLE, INT_GLOBAL | INT_LOCALITY_CHANGE)
        w8(0, ACCESS, ACTIVE)               # give it up, take it again:
        w8(0, ACCESS, REQUEST_USE)          # a locality change on 0
        need(active(0) and r32(0, INT_STATUS) & INT_LOCALITY_CHANGE,
             "locality change raised on locality 0")
        w8(1, ACCESS, REQUEST_USE)          # 1 waits for the TPM,
        w8(0, ACCESS, ACTIVE)               # 0 gives it up: 1 is active
        need(active(1) and not active(0), "locality 1 active, 0 not")
        w32(0, INT_STATUS, 0xFFFFFFFF)
        need(r32(0, INT_STATUS) & INT_LOCALITY_CHANGE,
             "locality 0's status raised, and not clearable by locality 0")
    elif what == "held-by-1":
        need(active(1) and not active(0), "locality 1 active, 0 not")
    elif what == "no-request-0":
        need(not r8(0, ACCESS) & REQUEST_USE, "no request pending on locality 0")
    elif what == "release-1":
        w8(1, ACCESS, ACTIVE)
        need(not active(0) and not active(1), "no locality active")
    print(state())


def stalled_client(node, command, hold, fifos="/tmp"):
    """One blocking command for a test that stalls the TPM under it
    (GetRandom, or ReadClock: not in the duration table, so only an unbind
    ends its wait), synchronised by FIFOs in fifos: "ready" opened once
    started, "go" waited on before the command; with hold, the file is kept
    open until "hold" is opened.  Prints the outcome (ok or the errno's
    name) and the milliseconds it took."""
    open(os.path.join(fifos, "ready"), "w").close()
    open(os.path.join(fifos, "go")).close()
    t = time.monotonic()
    fd = None
    try:
        fd = os.open(node, os.O_RDWR)
        c = get_random(16) if command == "getrandom" else cmd(CC_READ_CLOCK)
        check_rsp(transact(fd, c))
        r = "ok"
    except OSError as e:
        r = errno.errorcode[e.errno]
    print("%s %d" % (r, (time.monotonic() - t) * 1000), flush=True)
    if hold:
        open(os.path.join(fifos, "hold"), "w").close()
    if fd is not None:
        os.close(fd)


def write_errno(path, value):
    """value written to path in one write(): "OK", or the errno's name (a
    shell's echo says "I/O error" for every failure)"""
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as e:
        return errno.errorcode[e.errno]
    try:
        os.write(fd, value.encode())
        return "OK"
    except OSError as e:
        return errno.errorcode[e.errno]
    finally:
        os.close(fd)


def pcr_extended(old, data, path):
    """the sysfs PCR file at path holds sha256(old || data) (hex digests),
    and so differs from old; SystemExit saying what it holds when not"""
    import hashlib
    new = read_text(path)
    want = hashlib.sha256(bytes.fromhex(old) + bytes.fromhex(data)).hexdigest().upper()
    if len(old) != 64 or new == old or new != want:
        sys.exit("before %s, now %s, want %s" % (old, new, want))


def send(node, cc, body=b"", size=None, expect="ok", at=None):
    """One command on node (code cc, body, zero-padded to size bytes): with
    expect "ok" it must succeed (response code 0), else it must fail with
    the errno named, at the write or the read (at: only there).  None, or
    what happened instead."""
    c = cmd(cc, body)
    if size:
        c = struct.pack(">HII", TPM2_ST_NO_SESSIONS, size, cc) + body + \
            bytes(size - 10 - len(body))
    fd = os.open(node, os.O_RDWR)
    phase = "write"
    try:
        os.write(fd, c)
        phase = "read"
        rsp = os.read(fd, 4096)
    except OSError as e:
        got = errno.errorcode.get(e.errno, str(e.errno))
        if got == expect and at in (None, phase):
            return None
        return "got %s at the %s, want %s%s" % (got, phase, expect,
                                                  " at the " + at if at else "")
    finally:
        os.close(fd)
    if expect != "ok":
        return "answered (rc 0x%x), want %s" % (rsp_code(rsp), expect)
    try:
        check_rsp(rsp)
    except ValueError as e:
        return str(e)
    return None


def second_open(node):
    """node opened twice at once: the second open's errno name, or "OK" """
    fd = os.open(node, os.O_RDWR)
    try:
        os.close(os.open(node, os.O_RDWR))
        return "OK"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
    finally:
        os.close(fd)


def pcr_banks(chip_dir):
    """a chip's sysfs PCR banks: sha256 among them, PCRs 0 to 23 in each,
    each a digest of its bank's size in upper-case hex; SystemExit saying
    what is wrong, else the banks printed"""
    size = {"sha1": 20, "sha256": 32, "sha384": 48, "sha512": 64, "sm3_256": 32}
    banks = sorted(glob.glob(os.path.join(chip_dir, "pcr-*")))
    if os.path.join(chip_dir, "pcr-sha256") not in banks:
        sys.exit("no sha256 bank: %s" % banks)
    for b in banks:
        names = sorted(os.listdir(b), key=int)
        if names != [str(i) for i in range(24)]:
            sys.exit("%s: %s" % (b, names))
        for n in names:
            with open(os.path.join(b, n)) as f:
                d = f.read()
            want = 2 * size[b.split("-", 1)[1]]
            if not re.fullmatch("[0-9A-F]{%d}\n" % want, d):
                sys.exit("%s/%s: %r" % (b, n, d))
    print(" ".join(os.path.basename(b) for b in banks))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("launch")
    p.add_argument("--state", required=True)
    p.add_argument("--tpm12", action="store_true")
    p = sub.add_parser("loop")
    p.add_argument("--dev", required=True)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--nonblock", action="store_true")
    p.add_argument("--workload", default="getrandom")
    p = sub.add_parser("check")
    p.add_argument("--dev", required=True)
    p = sub.add_parser("tis-reg")
    p.add_argument("what", choices=["setup", "held-by-1", "no-request-0", "release-1"])
    p = sub.add_parser("stalled-client")
    p.add_argument("node")
    p.add_argument("command", choices=["getrandom", "readclock"])
    p.add_argument("--hold", action="store_true")
    p = sub.add_parser("write-errno")
    p.add_argument("path")
    p.add_argument("value")
    p = sub.add_parser("send")
    p.add_argument("node")
    p.add_argument("cc", type=lambda v: int(v, 0))
    p.add_argument("body", nargs="?", default="", help="hex")
    p.add_argument("--size", type=int)
    p.add_argument("--expect", default="ok", help="ok, or an errno's name")
    p.add_argument("--at", choices=["write", "read"], help="where the errno must come")
    p = sub.add_parser("second-open")
    p.add_argument("node")
    p = sub.add_parser("pcr-banks")
    p.add_argument("chip_dir")
    p = sub.add_parser("pcr-extended")
    p.add_argument("old")
    p.add_argument("data")
    p.add_argument("path")
    a = ap.parse_args()

    if a.cmd == "launch":
        proc, num, devid = launch(a.state, tpm2=False if a.tpm12 else None)
        print("%s %d %d" % ("none" if num is None else num, proc.pid, devid))
    elif a.cmd == "loop":
        counts = client_loop(a.dev, a.seconds, a.nonblock, a.workload)
        print(" ".join("%s=%d" % kv for kv in sorted(counts.items())))
    elif a.cmd == "check":
        fd = os.open(a.dev, os.O_RDWR)
        try:
            for c in (get_random(16), pcr_read(), hash_cmd()):
                check_rsp(transact(fd, c))
        finally:
            os.close(fd)
        print("ok")
    elif a.cmd == "tis-reg":
        tis_reg(a.what)
    elif a.cmd == "stalled-client":
        stalled_client(a.node, a.command, a.hold)
    elif a.cmd == "write-errno":
        print(write_errno(a.path, a.value))
    elif a.cmd == "send":
        why = send(a.node, a.cc, bytes.fromhex(a.body), a.size, a.expect, a.at)
        if why:
            sys.exit(why)
    elif a.cmd == "second-open":
        print(second_open(a.node))
    elif a.cmd == "pcr-banks":
        pcr_banks(a.chip_dir)
    elif a.cmd == "pcr-extended":
        pcr_extended(a.old, a.data, a.path)


if __name__ == "__main__":
    sys.exit(main())
