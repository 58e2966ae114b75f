#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""poll() reports a waiting response whoever else is using the open file.

One file, O_NONBLOCK; reader processes (forked: the same open file, each
with its own interpreter, so they run while this one polls) loop
read(fd, b, 0), which takes the file's lock and leaves the response where
it is.  Each iteration writes TPM2_GetRandom, polls for POLLIN (10 s),
then, with the response surely waiting, polls PROBES more times with a
zero timeout (each must say POLLIN), and reads it.

A poll() that reports "not readable" while someone holds the file lock
(a failed trylock) misses the wake-up when that happens on its check
after the result was stored: the poller then sleeps until its timeout.
The zero-timeout probes sample the same check: each runs while the
readers take the lock thousands of times a second, so each misses with
the probability p that the lock is held at that instant: a few dozen of
the instructions of each read() syscall, of the order of a per cent.
ITERS x PROBES samples (6000 by default) make a miss all but certain for
any p above 0.1 % (P(no miss) = (1 - p)^6000 < 0.25 %), and the blocking
polls add ITERS samples of the real symptom.  A poll timeout ends the run (each
costs 10 s): fewer iterations than asked is a failure."""

import argparse
import errno
import os
import select
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tpmsafe as T  # noqa: E402

SCALE = int(os.environ.get("TIME_SCALE", "1"))
tap = T.Tap()


def reader(fd):
    """a child: read(fd, b, 0) until killed; exit 3 on an error"""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        while True:
            os.read(fd, 0)
    except OSError as e:
        print("# reader %d: read(fd, b, 0): %s" % (
            os.getpid(), errno.errorcode.get(e.errno, e.errno)), flush=True)
    os._exit(3)


def race(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--dev", required=True)
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--probes", type=int, default=20)
    ap.add_argument("--readers", type=int, default=2)
    a = ap.parse_args(argv)
    fd = os.open(a.dev, os.O_RDWR | os.O_NONBLOCK)
    kids = []
    for _ in range(a.readers):
        pid = os.fork()
        if pid == 0:
            reader(fd)
        kids.append(pid)

    try:
        return run(a, fd, kids)
    finally:
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
        os.close(fd)


def run(a, fd, kids):
    timeout_ms = 10000 * SCALE
    p = select.poll()
    p.register(fd, select.POLLIN)
    cmd = T.get_random(16)
    done = probes = misses = 0
    worst = 0.0
    timeout = bad = None
    t_start = time.monotonic()
    for i in range(a.iters):
        try:
            os.write(fd, cmd)
        except OSError as e:
            bad = "iteration %d: write: %s" % (i, errno.errorcode.get(e.errno))
            break
        t0 = time.monotonic()
        ev = p.poll(timeout_ms)
        worst = max(worst, time.monotonic() - t0)
        if not ev:
            # was the response there all along?  read() tells
            try:
                got = "%d bytes" % len(os.read(fd, 4096))
            except OSError as e:
                got = errno.errorcode.get(e.errno, str(e.errno))
            timeout = "iteration %d: poll(POLLIN, %d ms) timed out; read " \
                "then got %s" % (i, timeout_ms, got)
            break
        for _ in range(a.probes):
            ev = p.poll(0)
            probes += 1
            if not (ev and ev[0][1] & select.POLLIN):
                misses += 1
        try:
            T.check_rsp(os.read(fd, 4096))
        except (OSError, ValueError) as e:
            bad = "iteration %d: read: %s" % (i, e)
            break
        done += 1
    secs = time.monotonic() - t_start

    alive = sum(os.waitpid(pid, os.WNOHANG) == (0, 0) for pid in kids)

    print("FIGURE poll with %d readers of the same file: %d of %d "
          "iterations in %.1f s, longest poll %.0f ms, %d of %d zero-timeout "
          "polls missed the waiting response" % (
              a.readers, done, a.iters, secs, worst * 1000, misses, probes))
    tap(alive == a.readers, "the %d readers ran to the end" % a.readers,
        "%d still running" % alive)
    tap(timeout is None, "no poll(POLLIN) timed out with a response waiting",
        timeout)
    tap(misses == 0, "every poll with a response waiting reports POLLIN",
        "%d of %d missed it" % (misses, probes))
    tap(bad is None and done == a.iters,
        "%d of %d iterations done" % (done, a.iters), bad or timeout)
    return 1 if tap.fails else 0


def main():
    with T.swtpm_served(tap, "/tmp/cdev-poll") as dev:
        if dev is None:
            return 1
        return race(["--dev", dev, "--iters", os.environ.get("POLL_ITERS") or "300"])


if __name__ == "__main__":
    sys.exit(T.run_test(main, tap))
