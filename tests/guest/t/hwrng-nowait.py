#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A hwrng read that may not wait (wait = 0) must not wait for the chip's
command in flight: the hwrng core makes it holding its global reading
mutex, so every /dev/hwrng reader and every other generator would wait
with it.

The chip: a fake server's virtual TPM whose ReadClock is left unanswered
(not in the duration table: 120 s, so only the test ends it).  The core
reads with wait = 0 (1) for an O_NONBLOCK /dev/hwrng reader, on every
kernel, and (2) before Linux 6.10, when the current generator is
unregistered and it switches to the next one (add_early_randomness):
unbinding the TIS chip while its generator is current and the virtual
TPM's is the only other one.  Each must end within BOUND; a stuck one is
let go after RELEASE by answering the ReadClock.

The core's fill thread may itself be reading the virtual TPM (wait = 1,
rightly waiting) and hold the reading mutex: an attempt still running at
BOUND whose caller sleeps outside tpm_safe (its wchan) proves nothing
and is repeated; one that sleeps in tpm_safe is the failure."""

import errno
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tpmsafe as T  # noqa: E402

SCALE = int(os.environ.get("TIME_SCALE", "1"))
BOUND = 1.0 * SCALE
RELEASE = 10.0 * SCALE
ATTEMPTS = 3
HWRNG = "/sys/class/misc/hw_random"
TIS_DEV = "MSFT0101:00"
TIS_DRV = "/sys/bus/platform/drivers/tpm_safe_tis"
CC_READ_CLOCK = T.CC_READ_CLOCK

tap = T.Tap()

sysfs_read = T.read_text

sysfs_write = T.write_text

def tis_rng(seconds=10.0):
    """the hwrng name of the chip on the TIS device, once it is bound"""
    deadline = time.monotonic() + seconds
    d = "/sys/bus/platform/devices/%s/tpm_safe" % TIS_DEV
    while True:
        try:
            chips = [n for n in os.listdir(d) if n.startswith("tpmsafe")]
            if chips:
                return "tpm-safe-rng-%s" % chips[0][len("tpmsafe"):]
        except OSError:
            pass
        if time.monotonic() > deadline:
            return None
        time.sleep(0.02)

class Stuck:
    """ReadClock commands on the fake server's chip, each unanswered until
    release()."""

    def __init__(self):
        self.got = threading.Event()
        self.held = []
        self.fake = T.FakeTPM(self.behave)
        self.dev = "/dev/tpmsafe%d" % self.fake.num
        self.rng = "tpm-safe-rng-%d" % self.fake.num
        self.th = None
        self.result = None

    def behave(self, cc, c):
        if cc != CC_READ_CLOCK:
            return None
        self.held.append(c)
        self.got.set()
        return []

    def client(self):
        try:
            fd = os.open(self.dev, os.O_RDWR)
            try:
                T.check_rsp(T.transact(fd, T.cmd(CC_READ_CLOCK)))
                self.result = "ok"
            finally:
                os.close(fd)
        except (OSError, ValueError) as e:
            self.result = repr(e)

    def start(self):
        """a ReadClock in flight: the server has it, the chip is locked"""
        self.got.clear()
        self.result = None
        self.th = threading.Thread(target=self.client)
        self.th.start()
        return self.got.wait(10 * SCALE)

    def release(self):
        """answer the held ReadClock; the client gets it"""
        if self.th is None:
            return
        while self.held:
            try:
                os.write(self.fake.fd, T.FakeTPM.answer(CC_READ_CLOCK,
                                                        self.held.pop()))
            except OSError as e:
                print("# answering the held ReadClock: %s" % e)
        self.th.join(30 * SCALE)
        self.th = None

    def close(self):
        self.release()
        self.fake.close()

def timed(fn, stuck):
    """fn() in a thread: (seconds, its result or errno name, the thread's
    wchan if it still ran at BOUND); answers the stuck command at RELEASE"""
    box = {}
    started = threading.Event()

    def run():
        box["tid"] = threading.get_native_id()
        started.set()
        t0 = time.monotonic()
        try:
            box["res"] = fn()
        except OSError as e:
            box["res"] = errno.errorcode.get(e.errno, str(e.errno))
        box["s"] = time.monotonic() - t0

    th = threading.Thread(target=run)
    th.start()
    started.wait()
    th.join(BOUND)
    wchan = None
    if th.is_alive():
        try:
            wchan = sysfs_read("/proc/self/task/%d/wchan" % box["tid"])
        except OSError as e:
            wchan = "unknown (%s)" % e
        th.join(max(RELEASE - BOUND, 0))
        stuck.release()
        th.join(60 * SCALE)
        if th.is_alive():
            return float("inf"), "no return 60 s after the release", wchan
    return box["s"], box.get("res"), wchan

def attempt(desc, setup, fn, after, stuck):
    """up to ATTEMPTS runs of fn() with a command in flight; one TAP line.
    setup() returns an error text or None; after(seconds, result) returns
    (good, text) once fn() is done and the command answered."""
    for n in range(1, ATTEMPTS + 1):
        err = setup()
        if err:
            tap(False, desc, err)
            return
        if not stuck.start():
            tap(False, desc, "the server never got the ReadClock")
            return
        s, res, wchan = timed(fn, stuck)
        stuck.release()
        good, text = after(s, res)
        figure = "%.0f ms, %s" % (s * 1000, text)
        print("FIGURE %s: %s" % (desc, figure))
        if wchan is None or wchan.startswith("tpms_"):
            ok = good and wchan is None
            tap(ok, "%s (%.0f ms <= %.0f ms)" % (desc, s * 1000, BOUND * 1000),
                "%s; still running at %.0f ms, asleep in %s" % (
                    figure, BOUND * 1000, wchan) if wchan else figure)
            return
        print("# attempt %d: still running at %.0f ms, asleep in %s, "
              "outside tpm_safe (the core's fill thread?): again" % (
                  n, BOUND * 1000, wchan))
    tap(False, desc, "every attempt waited outside tpm_safe: inconclusive")

def main():
    bound_tis = tis_rng()
    tap(bound_tis is not None, "tpm_safe_tis has the TIS chip", TIS_DEV)
    if bound_tis is None:
        return 1
    stuck = Stuck()
    avail = sysfs_read(HWRNG + "/rng_available").split()
    tap(stuck.rng in avail and bound_tis in avail,
        "both chips are hwrngs (%s, %s)" % (bound_tis, stuck.rng),
        "rng_available: %s" % avail)

    # 1. an O_NONBLOCK reader of /dev/hwrng while the virtual TPM's
    # generator is current.  4096 bytes: more than the core keeps from
    # earlier reads, so it calls the generator.
    def make_vtpm_current():
        sysfs_write(HWRNG + "/rng_current", stuck.rng)
        cur = sysfs_read(HWRNG + "/rng_current")
        return None if cur == stuck.rng else "rng_current is %s" % cur

    def nonblock_read():
        fd = os.open("/dev/hwrng", os.O_RDONLY | os.O_NONBLOCK)
        try:
            return "%d bytes" % len(os.read(fd, 4096))
        finally:
            os.close(fd)

    attempt("O_NONBLOCK /dev/hwrng read with the chip busy returns at once",
            make_vtpm_current, nonblock_read,
            lambda s, res: (s <= BOUND, "got %s" % res), stuck)

    # 2. unbinding the TIS chip, its generator current: the core switches
    # to the virtual TPM's (before 6.10, reading it with wait = 0 first)
    def make_tis_current():
        name = tis_rng()
        if name is None:
            sysfs_write(TIS_DRV + "/bind", TIS_DEV)
            name = tis_rng()
        if name is None:
            return "the TIS chip did not come back"
        sysfs_write(HWRNG + "/rng_current", name)
        cur = sysfs_read(HWRNG + "/rng_current")
        return None if cur == name else "rng_current is %s" % cur

    def unbind():
        sysfs_write(TIS_DRV + "/unbind", TIS_DEV)
        return "unbound"

    def unbound(s, res):
        cur = sysfs_read(HWRNG + "/rng_current")
        if cur != stuck.rng:
            return False, "%s; rng_current is %s, not %s: the core never " \
                "switched to the busy chip" % (res, cur, stuck.rng)
        return s <= BOUND, "%s, rng_current %s" % (res, cur)

    attempt("unbinding the TIS chip, the other hwrng busy, returns at once",
            make_tis_current, unbind, unbound, stuck)

    # the generator read normally (wait = 1) once the chip is free
    def blocking_read():
        fd = os.open("/dev/hwrng", os.O_RDONLY)
        try:
            return len(os.read(fd, 64))
        finally:
            os.close(fd)
    try:
        got = blocking_read()
    except OSError as e:
        got = e
    tap(got == 64, "a blocking /dev/hwrng read from the virtual TPM works",
        got)
    tap(stuck.result == "ok", "every held ReadClock got its answer",
        stuck.result)

    stuck.close()
    if tis_rng(0) is None:
        sysfs_write(TIS_DRV + "/bind", TIS_DEV)
    tap(tis_rng() is not None, "the TIS chip is bound again")
    return 1 if tap.fails else 0


if __name__ == "__main__":
    sys.exit(T.run_test(main, tap, ("irq=" + (os.environ.get("TIS_IRQ") or "0"),)))
