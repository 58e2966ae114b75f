#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""System sleep entered while many virtual TPM servers are slow: every chip
is held before any command in flight is waited for, so entry costs one
command's duration however many servers stall, not one per server.  Each
fake server takes HOLD to 1.45 HOLD seconds to answer a ReadClock, and its
client sends the next one at once.  The time the sleep notifiers took is read from the
kernel log: from "Filesystems sync" (or "suspend entry") to "Freezing user
space processes".  pm_test=freezer: the notifiers and the freezer run, no
device is suspended.  TAP output, and FIGURE lines."""

import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tpmsafe as T  # noqa: E402

TIME_SCALE = int(os.environ.get("TIME_SCALE", "1"))
HOLD = 2.0 * TIME_SCALE
MANY = int(os.environ.get("DRAIN_SERVERS", "10"))
CC = T.CC_READ_CLOCK    # no bounded duration of its own: 120 s

tap = T.Tap()
rd = T.read_text


def hold(i):
    """server i's answer time: from 1.45 HOLD down to HOLD.  The chips are
    held in the order they registered: drained one at a time, the first
    waits longest while the others' clients send again."""
    return HOLD * (1 + 0.5 * (MANY - 1 - i) / MANY)


def run(n):
    """Sleep entry with @n slow servers, each with a command in flight.
    Returns the notifiers' time in seconds, or None."""
    holding = threading.Semaphore(0)
    stop = threading.Event()

    def slow(hold):
        def behave(cc, c):
            if cc == CC:
                holding.release()
                time.sleep(hold)
            return None
        return behave
    # unequal answer times: in step, a chip drained one at a time would
    # often find its client's next command not yet sent; a lone server
    # gets the longest
    fakes = [T.FakeTPM(slow(hold(i))) for i in range(n)]
    errs = []
    done = [0] * n

    def client(i):
        fd = os.open("/dev/tpmsafe%d" % fakes[i].num, os.O_RDWR)
        try:
            while not stop.is_set():
                T.check_rsp(T.transact(fd, T.cmd(CC)))
                done[i] += 1
        except (OSError, ValueError) as e:
            errs.append(e)
        os.close(fd)
    ths = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for th in ths:
        th.start()
    # every server holds a command before the sleep begins
    got = all(holding.acquire(timeout=10 * TIME_SCALE) for _ in range(n))
    tap(got, "%d slow server(s), each with a command in flight" % n)
    rc = None
    if got:
        rc = subprocess.run(["sh", "-c", "echo freeze > /sys/power/state"]).returncode
    stop.set()
    for th in ths:
        th.join(30 * TIME_SCALE)
    alive = sum(th.is_alive() for th in ths)
    took = T.sleep_notifier_seconds()
    tap(rc == 0 and took is not None,
        "sleep entry with %d slow server(s) ran its notifiers and froze (exit %s, %s s)" % (
            n, rc, "?" if took is None else "%.2f" % took))
    tap(not errs and not alive and all(done),
        "every client's commands were answered (%s done, errors %s, stuck %d)" % (
            done, [str(e) for e in errs], alive))
    for f in fakes:
        f.close()
    return took


def main():
    if not os.path.exists(T.PM_TEST) or "freeze" not in rd("/sys/power/state").split():
        tap(False, "the kernel has pm_test and s2idle (CONFIG_PM_DEBUG, CONFIG_SUSPEND)")
        return 1
    with T.pm_test_freezer():
        one = run(1)
        many = run(MANY)
    if one is None or many is None:
        tap(False, "entry with %d slow servers takes about one duration" % MANY)
        return 1
    print("# FIGURE sleep entry: 1 slow server %.2f s, %d slow servers %.2f s "
          "(answers take %.1f-%.1f s; ratio %.2f)" % (
              one, MANY, many, hold(MANY - 1), hold(0), many / one))
    # held first: the longest answer, as with one server; drained one chip
    # at a time, each client whose chip is not yet held sends again and
    # adds part of a duration
    tap(many < one + HOLD / 2,
        "entry with %d slow servers takes about one duration, as with one "
        "(%.2f s < %.2f s + %.1f s)" % (MANY, many, one, HOLD / 2))
    return 1 if tap.fails else 0


if __name__ == "__main__":
    sys.exit(T.run_test(main, tap, ("hwrng=0",)))
