#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The chip-number limit (module parameter max_chips, loaded here as
LIMIT): an open of /dev/tpmsafe-vtpmx past it is refused at once with
ENOSPC, not by a probe failing after the server's first read; the chips
already made still serve, their rm nodes too (the minors after the raw
ones); a closed server gives its number back.  Before, a bad max_chips
(0, 1025) is refused at load; after, the default is 1024.  TAP output."""

import errno
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tpmsafe as T  # noqa: E402

LIMIT = int(os.environ.get("LIMIT", "4"))

tap = T.Tap()


# the resource manager's own answer to a command the TPM did not list
# (a fake server lists none): TPM_RC_COMMAND_CODE in the RM layer
RM_COMMAND_CODE = 0xB0143


def serves(num, rm=False):
    """The raw node answers GetRandom; the rm node (its own minor) gives
    the manager's own refusal, which only tpm_safe's rm node can give."""
    path = "/dev/tpmsafe%s%d" % ("rm" if rm else "", num)
    try:
        fd = T.open_retry(path, os.O_RDWR)
    except OSError as e:
        return e
    try:
        rsp = T.transact(fd, T.get_random(8))
        if rm:
            return T.rsp_code(rsp) == RM_COMMAND_CODE or hex(T.rsp_code(rsp))
        T.check_rsp(rsp)
        return True
    except (OSError, ValueError) as e:
        return e
    finally:
        os.close(fd)


def main():
    got = T.read_text("/sys/module/tpm_safe/parameters/max_chips")
    tap(got == str(LIMIT), "max_chips reads %s (loaded with %d)" % (got, LIMIT))
    base = len(os.listdir("/sys/class/tpm_safe"))
    fakes = [T.FakeTPM() for _ in range(LIMIT - base)]
    nums = sorted(f.num for f in fakes)
    tap(len(fakes) == LIMIT - base and nums[-1] == LIMIT - 1,
        "%d virtual TPMs registered up to the limit (chips %s, %d before)" % (
            len(fakes), nums, base))
    try:
        fd = os.open(T.VTPMX, os.O_RDWR)
        os.close(fd)
        err = None
    except OSError as e:
        err = e.errno
    tap(err == errno.ENOSPC, "one more open of %s: ENOSPC (got %s)" % (
        T.VTPMX, errno.errorcode.get(err, err)))
    bad = {n: r for n, r in ((n, serves(n)) for n in nums) if r is not True}
    tap(not bad, "every chip made serves through its raw node", bad)
    bad = {n: r for n, r in ((n, serves(n, True)) for n in nums) if r is not True}
    tap(not bad, "...and its rm node (minor max_chips + N) is the manager's (rc 0x%x)" % RM_COMMAND_CODE, bad)
    last = fakes.pop()
    last.close()
    T.gone("/sys/class/tpm_safe/tpmsafe%d" % last.num)
    # the number comes back with the chip's last reference, which the
    # debug kernel's delayed kobject release holds for seconds: meanwhile
    # an open is ENOSPC
    again, refused = None, 0
    deadline = time.monotonic() + 15
    while again is None and time.monotonic() < deadline:
        try:
            again = T.FakeTPM()
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
            refused += 1
            time.sleep(0.1)
    tap(again is not None and again.num == last.num and serves(again.num) is True,
        "a closed server gives its number back: the next open gets chip %s (was %d; %d opens refused before)" % (
            again and again.num, last.num, refused))
    for f in fakes + ([again] if again else []):
        f.close()
    return 1 if tap.fails else 0


def refused(bad):
    """a bad max_chips: the load fails, says why once, leaves nothing loaded"""
    r = T.load_module("max_chips=%d" % bad)
    said = T.dmesg().count("max_chips=%d: must be 1 to 1024" % bad)
    tap(r.returncode != 0 and said == 1 and not os.path.exists("/sys/module/tpm_safe"),
        "max_chips=%d is refused at load, logged once" % bad,
        "load exit %d, said %d times: %s" % (r.returncode, said, r.stdout))


def default():
    """loaded without max_chips: 1024"""
    def body():
        got = T.read_text("/sys/module/tpm_safe/parameters/max_chips")
        tap(got == "1024", "max_chips defaults to 1024 (%s)" % got)
    return T.run_test(body, tap, ("hwrng=0",))


if __name__ == "__main__":
    for n in (0, 1025):
        refused(n)
    rc = T.run_test(main, tap, ("hwrng=0", "max_chips=%d" % LIMIT))
    rc = default() or rc
    sys.exit(1 if rc or tap.fails else 0)
