#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A hostile server in place of swtpm on /dev/tpmsafe-vtpmx: each way of
answering badly gives the client an error and leaves the chip usable (or,
for a server that never answers, removable).  TAP output."""

import errno
import os
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
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

    # a server that exits during registration
    fake = T.FakeTPM(lambda cc, c: [], register=False)
    time.sleep(0.2)
    fake.close()
    tap(True, "a server closing mid-registration")
    return 1 if tap.fails else 0


if __name__ == "__main__":
    sys.exit(main())
