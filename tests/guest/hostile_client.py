#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hostile clients: several processes write random sizes (0..8192) and
random headers to /dev/tpmsafeN for a while.  Every outcome must be a
documented errno for the input or a well-formed response; the chip works
afterwards."""

import errno
import json
import multiprocessing
import os
import random
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import tpmsafe as T  # noqa: E402

# Against an honest swtpm, the errors hostile input may earn (README's
# errno table): more than 4096 bytes (E2BIG), fewer than 6 or than the size
# field, or a size field below 10 (EINVAL), a size field of 0 (ENODATA),
# and an open while another process holds the node ("open-EBUSY").  Every
# write is followed by a read of the whole response, so a write never meets
# an unread one (EBUSY), and Python passes no bad pointers (EFAULT).  EIO
# (malformed response), ETIME (cancelled command) and a short or
# size-mismatched answer ("malformed") are driver faults here.
ALLOWED = {"ok", "tpm-error", "open-EBUSY", "EINVAL", "E2BIG", "ENODATA"}


def outcome(rsp):
    """ok, tpm-error (well formed, non-zero response code) or malformed"""
    if len(rsp) < 10 or struct.unpack(">I", rsp[2:6])[0] != len(rsp):
        return "malformed"
    return "ok" if T.rsp_code(rsp) == 0 else "tpm-error"


def worker(dev, seconds, seed, q):
    rnd = random.Random(seed)
    counts = {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            fd = os.open(dev, os.O_RDWR)
        except OSError as e:
            k = "open-" + errno.errorcode.get(e.errno, str(e.errno))
            counts[k] = counts.get(k, 0) + 1
            time.sleep(0.001)
            continue
        try:
            for _ in range(20):
                size = rnd.choice([0, 1, 5, 6, 9, 10, 12, rnd.randint(0, 8192)])
                body = bytearray(rnd.getrandbits(8) for _ in range(min(size, 64)))
                body += bytes(max(0, size - 64))
                if size >= 10 and rnd.random() < 0.7:
                    hl = rnd.choice([size, size - 1, size + 1, 0, 6, 10, 4096, 4097])
                    body[0:10] = struct.pack(">HII", rnd.choice([0x8001, 0x8002, 0xC1]),
                                             hl & 0xFFFFFFFF,
                                             rnd.choice([0x17B, 0x17A, 0x17E, rnd.getrandbits(32)]))
                try:
                    os.write(fd, bytes(body))
                    k = outcome(os.read(fd, 4096))
                except OSError as e:
                    k = errno.errorcode.get(e.errno, str(e.errno))
                counts[k] = counts.get(k, 0) + 1
        finally:
            os.close(fd)
    q.put(counts)


def main():
    dev, seconds, procs = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
    q = multiprocessing.Queue()
    ps = [multiprocessing.Process(target=worker, args=(dev, seconds, i, q))
          for i in range(procs)]
    for p in ps:
        p.start()
    total = {}
    for _ in ps:
        for k, v in q.get().items():
            total[k] = total.get(k, 0) + v
    for p in ps:
        p.join()
    bad = {k: v for k, v in total.items() if k not in ALLOWED}
    print("FIGURE hostile clients (%d processes, %.0f s): %s" % (
        procs, seconds, json.dumps(total, sort_keys=True)))
    print(("ok" if not bad else "not ok") +
          " - hostile clients: every outcome is a documented errno or a response")
    if bad:
        print("#   unexpected: %s" % bad)
    answered = total.get("ok", 0) + total.get("tpm-error", 0)
    print(("ok" if answered else "not ok") +
          " - hostile clients: %d commands reached the TPM and were answered" % answered)
    if not answered:
        bad = True
    fd = os.open(dev, os.O_RDWR)
    try:
        for c in (T.get_random(16), T.pcr_read(), T.hash_cmd()):
            T.check_rsp(T.transact(fd, c))
        print("ok - the chip works after the hostile clients")
    except (OSError, ValueError) as e:
        print("not ok - the chip works after the hostile clients\n#   %s" % e)
        bad = True
    finally:
        os.close(fd)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
