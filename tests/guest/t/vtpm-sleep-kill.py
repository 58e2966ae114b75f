#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""System sleep begun while a virtual TPM command is in flight: the sleep
notifier waits for that command before the chip is held suspended and the
freezer stops its server.  A SIGKILL to the task that began the sleep must
not end that wait: the chip would be marked suspended with the command
still owning the backend, the server frozen before it answers, and the
client (waiting killably, so not freezable) would hold the freezer off
until it fails.  pm_test=freezer: the notifiers and the freezer run, no
device is suspended.  TAP output."""

import errno
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tpmsafe as T  # noqa: E402

TIME_SCALE = int(os.environ.get("TIME_SCALE", "1"))  # slower kernels
BOUND = 5.0 * TIME_SCALE
PM_TEST = "/sys/power/pm_test"
PM_DELAY = "/sys/module/suspend/parameters/pm_test_delay"
# no bounded duration of its own: the client waits up to 120 s for it
CC_READ_CLOCK = T.CC_READ_CLOCK

tap = T.Tap()

rd = T.read_text

wr = T.write_text

where = T.task_where

def in_notifier(pid):
    """@pid sleeps uninterruptibly inside the tpm_safe sleep notifier"""
    try:
        stat = rd("/proc/%d/stat" % pid)
        stack = rd("/proc/%d/stack" % pid)
    except OSError:
        return False
    state = stat.rsplit(")", 1)[1].split()[0]
    return state == "D" and "tpms_pm_notify" in stack

def freezer_failures():
    out = subprocess.run(["dmesg"], stdout=subprocess.PIPE,
                         universal_newlines=True).stdout
    return len(re.findall(r"Freezing .*failed|refusing to freeze", out))

def main():
    if not os.path.exists(PM_TEST) or "freeze" not in rd("/sys/power/state").split():
        tap(False, "the kernel has pm_test and s2idle (CONFIG_PM_DEBUG, CONFIG_SUSPEND)")
        return 1
    got = threading.Event()
    release = threading.Event()

    def behave(cc, c):
        # the first ReadClock is answered only when the test says so
        if cc == CC_READ_CLOCK and not got.is_set():
            got.set()
            release.wait(120 * TIME_SCALE)
        return None
    fake = T.FakeTPM(behave)
    dev = "/dev/tpmsafe%d" % fake.num
    timeouts = "/sys/class/tpm_safe/tpmsafe%d/stats/err_timeout" % fake.num
    t0 = rd(timeouts)
    old_test = re.search(r"\[(\w+)\]", rd(PM_TEST)).group(1)
    old_delay = rd(PM_DELAY)
    fails0 = freezer_failures()
    res = {}

    def client():
        fd = os.open(dev, os.O_RDWR)
        try:
            os.write(fd, T.cmd(CC_READ_CLOCK))
            res["rsp"] = os.read(fd, 4096)
        except OSError as e:
            res["err"] = errno.errorcode.get(e.errno, e.errno)
        res["t"] = time.monotonic()
        os.close(fd)
    th = threading.Thread(target=client)
    th.start()
    writer = None
    try:
        if not got.wait(10 * TIME_SCALE):
            tap(False, "a command is in flight (the server holds its answer)")
            return 1
        tap(True, "a command is in flight (the server holds its answer)")
        wr(PM_DELAY, "0")
        wr(PM_TEST, "freezer")
        writer = subprocess.Popen(["sh", "-c", "echo freeze > /sys/power/state"])
        deadline = time.monotonic() + 10 * TIME_SCALE
        while not in_notifier(writer.pid) and writer.poll() is None and \
                time.monotonic() < deadline:
            time.sleep(0.01)
        inside = in_notifier(writer.pid)
        tap(inside, "the sleep transition waits in the sleep notifier for the command",
            where(writer.pid))
        if inside:
            writer.send_signal(signal.SIGKILL)
            # it must go on waiting; the buggy path leaves, and the
            # freezer then stops this process until it gives up
            end = time.monotonic() + 1.0 * TIME_SCALE
            stayed = True
            while True:
                if not in_notifier(writer.pid):
                    stayed = False
                    break
                if time.monotonic() >= end:
                    break
                time.sleep(0.02)
            tap(stayed, "SIGKILLed, the task that began the sleep still waits for the command",
                where(writer.pid))
    finally:
        t_rel = time.monotonic()
        release.set()
        th.join(30 * TIME_SCALE)
        if writer:
            try:
                writer.wait(30 * TIME_SCALE)
            except subprocess.TimeoutExpired:
                tap(False, "the sleep transition ends", where(writer.pid))
        wr(PM_TEST, old_test)
        wr(PM_DELAY, old_delay)
    rsp = res.get("rsp")
    try:
        good = rsp is not None and T.check_rsp(rsp) is rsp
    except ValueError:
        good = False
    tap(good and res["t"] - t_rel < BOUND,
        "the command in flight gets its answer (%s, %.2f s after the server gave it)" % (
            "response" if rsp else res.get("err"), res.get("t", t_rel) - t_rel))
    tap(writer is not None and writer.returncode is not None,
        "the sleep transition ended (writer exit %s)" % (writer and writer.returncode))
    tap(freezer_failures() == fails0, "the freezer did not fail (no task refused to freeze)")
    tap(rd(timeouts) == t0, "no command timed out (err_timeout %s)" % rd(timeouts))
    fd = os.open(dev, os.O_RDWR)
    try:
        T.check_rsp(T.transact(fd, T.get_random(8)))
        good = True
    except (OSError, ValueError) as e:
        good = e
    os.close(fd)
    tap(good is True, "the chip serves after the sleep cycle", good)
    fake.close()
    return 1 if tap.fails else 0


if __name__ == "__main__":
    sys.exit(T.run_test(main, tap, ("hwrng=0",)))
