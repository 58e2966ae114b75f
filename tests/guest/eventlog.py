#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The firmware event log, guest side (tests/guest/t/eventlog.sh).

  eventlog.py replay LOG --family 2|1.2 --chip DIR
      parse the log (TPM 2.0 crypto agile, or TPM 1.2), replay PCRs 0-7
      and compare them with the chip's sysfs PCRs; print the figures
  eventlog.py ascii LOG TEXT
      ascii_bios_measurements: one line per event, with its PCR, digest
      and type
  eventlog.py tools LOG NODE
      tpm2_eventlog parses LOG, and the PCRs 0-7 it computes equal
      tpm2_pcrread's through NODE
  eventlog.py bad LOG --family 2|1.2 OUTDIR
      write the malformed variants of LOG the bad-input test presents
  eventlog.py slow LOG UNBIND DEV
      open LOG, read a little, unbind DEV (writing UNBIND), read again:
      ENODEV, no data
  eventlog.py held LOG UNBIND DEV
      a reader and an O_PATH descriptor of LOG across the unbind of DEV
      and rmmod: ENODEV, rmmod refused until the reader closes, the
      descriptor reopens to EIO before and after the module is gone
"""

import argparse
import errno
import hashlib
import os
import re
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import tpmsafe as T  # noqa: E402

tap = T.Tap()
EV_NO_ACTION = 3
SPEC_ID = b"Spec ID Event03\0"
HASHES = {0x0004: "sha1", 0x000B: "sha256", 0x000C: "sha384",
          0x000D: "sha512"}


class Bad(Exception):
    pass


def padding(b):
    return not b or b == bytes([b[0]]) * len(b) and b[0] in (0, 0xFF)


def parse1(log):
    """TPM 1.2 events: (offset, pcr, type, {"sha1": digest}, data)"""
    ev, off = [], 0
    while off < len(log) and not padding(log[off:]):
        if len(log) - off < 32:
            raise Bad("event at %d cut off" % off)
        pcr, typ = struct.unpack_from("<II", log, off)
        size, = struct.unpack_from("<I", log, off + 28)
        if off + 32 + size > len(log):
            raise Bad("event at %d runs past the end" % off)
        ev.append((off, pcr, typ, {"sha1": log[off + 8:off + 28]},
                   log[off + 32:off + 32 + size]))
        off += 32 + size
    return ev, off


def parse2(log):
    """TPM 2.0 log: the Spec ID event's algorithms, then the events"""
    if log[32:48] != SPEC_ID:
        raise Bad("no Spec ID event")
    size, = struct.unpack_from("<I", log, 28)
    n, = struct.unpack_from("<I", log, 32 + 24)
    algs = {}
    for i in range(n):
        a, s = struct.unpack_from("<HH", log, 32 + 28 + 4 * i)
        algs[a] = s
    ev, off = [(0, 0, EV_NO_ACTION, {}, log[32:32 + size])], 32 + size
    while off < len(log) and not padding(log[off:]):
        start = off
        pcr, typ, count = struct.unpack_from("<III", log, off)
        off += 12
        digests = {}
        for _ in range(count):
            a, = struct.unpack_from("<H", log, off)
            if a not in algs:
                raise Bad("unknown algorithm %#x at %d" % (a, start))
            digests[HASHES.get(a, hex(a))] = log[off + 2:off + 2 + algs[a]]
            off += 2 + algs[a]
        size, = struct.unpack_from("<I", log, off)
        off += 4
        if off + size > len(log):
            raise Bad("event at %d runs past the end" % start)
        ev.append((start, pcr, typ, digests, log[off:off + size]))
        off += size
    return ev, off, algs


def replay(events, bank):
    """the PCRs 0-7 the events extend (StartupLocality sets PCR 0's start)"""
    size = hashlib.new(bank).digest_size
    pcrs = {i: bytes(size) for i in range(8)}
    for _, pcr, typ, dig, data in events:
        if typ == EV_NO_ACTION:
            if data.startswith(b"StartupLocality\0") and pcr == 0:
                pcrs[0] = bytes(size - 1) + data[16:17]
            continue
        if pcr < 8 and bank in dig:
            pcrs[pcr] = hashlib.new(bank, pcrs[pcr] + dig[bank]).digest()
    return pcrs


def sysfs_pcrs(chip, family):
    """the TPM's PCRs 0-7 through tpm_safe's sysfs"""
    if family == "1.2":
        out = {}
        for line in open(chip + "/pcrs"):
            m = re.match(r"PCR-(\d+): ((?:[0-9A-F]{2} ?){20})", line)
            if m and int(m.group(1)) < 8:
                out[int(m.group(1))] = bytes.fromhex(m.group(2).replace(" ", ""))
        return {"sha1": out}
    banks = {}
    for d in os.listdir(chip):
        if d.startswith("pcr-"):
            banks[d[4:]] = {i: bytes.fromhex(open("%s/%s/%d" % (chip, d, i))
                                             .read().strip()) for i in range(8)}
    return banks


def do_replay(a):
    log = open(a.log, "rb").read()
    try:
        if a.family == "1.2":
            ev, used = parse1(log)
        else:
            ev, used, algs = parse2(log)
    except (Bad, struct.error) as e:
        tap(False, "the published log parses", e)
        return
    tap(used == len(log), "the published log ends with its last event "
        "(%d of %d bytes)" % (used, len(log)))
    measured = [e for e in ev if e[2] != EV_NO_ACTION]
    print("FIGURE event log: %d bytes, %d events (%d extend PCRs 0-7)" %
          (len(log), len(ev), len([e for e in measured if e[1] < 8])))
    tap(len(measured) >= 4, "the log has measurements (%d)" % len(measured))
    tpm = sysfs_pcrs(a.chip, a.family)
    compared = 0
    for bank, vals in sorted(tpm.items()):
        if a.family != "1.2" and not any(bank in e[3] for e in measured):
            continue
        mine = replay(ev, bank)
        bad = [i for i in range(8) if mine[i] != vals.get(i)]
        tap(not bad, "%s: the log's replay of PCRs 0-7 equals the TPM's" % bank,
            "\n".join("PCR %d: log %s, TPM %s" % (i, mine[i].hex(),
                                                   vals.get(i, b"").hex())
                      for i in bad))
        compared += 1
    tap(compared >= 1, "PCR banks compared: %d" % compared)


def do_ascii(a):
    log = open(a.log, "rb").read()
    ev, _ = parse1(log)
    lines = open(a.text, encoding="latin-1").read().splitlines()
    tap(len(lines) == len(ev), "ascii_bios_measurements: a line per event "
        "(%d lines, %d events)" % (len(lines), len(ev)))
    bad = []
    for (off, pcr, typ, dig, data), line in zip(ev, lines):
        m = re.match(r"^ ?(\d+) ([0-9a-f]{40}) ([0-9a-f]{2,8}) \[(.*)\]$", line)
        if not m or int(m.group(1)) != pcr or m.group(2) != dig["sha1"].hex() \
                or int(m.group(3), 16) != typ:
            bad.append(line)
        # a separator or an action shows its own text
        elif typ in (4, 5) and len(data) < 1000 and \
                m.group(4) != data.split(b"\0")[0].decode("latin-1"):
            bad.append(line)
    tap(not bad, "ascii_bios_measurements: each line's PCR, digest, type "
        "and text are the event's", "\n".join(bad[:5]))


def bank_values(text):
    """{bank: {pcr: bytes}} from tpm2-tools' YAML-ish PCR listing"""
    out, bank = {}, None
    for line in text.splitlines():
        m = re.match(r"^\s+(sha\d+):\s*$", line)
        if m:
            bank = out.setdefault(m.group(1), {})
            continue
        m = re.match(r"^\s+(\d+)\s*:\s*0x([0-9A-Fa-f]+)\s*$", line)
        if m and bank is not None:
            bank[int(m.group(1))] = bytes.fromhex(m.group(2))
    return out


def do_tools(a):
    r = subprocess.run(["tpm2_eventlog", a.log], capture_output=True, text=True)
    tap(r.returncode == 0, "tpm2_eventlog parses the published log", r.stderr)
    if r.returncode:
        return
    tail = r.stdout[r.stdout.rfind("\npcrs:"):]
    mine = bank_values(tail)
    compared = 0
    for bank in sorted(mine):
        p = subprocess.run(["tpm2_pcrread", "-T", "device:" + a.node,
                            "%s:0,1,2,3,4,5,6,7" % bank],
                           capture_output=True, text=True)
        tpm = bank_values(p.stdout).get(bank, {})
        want = {i: v for i, v in mine[bank].items() if i < 8}
        bad = [i for i in want if tpm.get(i) != want[i]]
        tap(p.returncode == 0 and len(want) == 8 and not bad,
            "%s: tpm2_eventlog's PCRs 0-7 equal tpm2_pcrread's through %s" %
            (bank, a.node), "%s %s %s" % (p.stderr, sorted(want), bad))
        compared += 1
    tap(compared >= 1, "tpm2_eventlog banks compared: %d" % compared)


def do_bad(a):
    log = bytearray(open(a.log, "rb").read())
    if a.family == "1.2":
        ev, _ = parse1(bytes(log))
        spec = None
    else:
        ev, _, _ = parse2(bytes(log))
        spec = 32
    # an event of PCR 1 or more, past the first two
    k = next(i for i, e in enumerate(ev) if i >= 2 and e[1] >= 1)
    off = ev[k][0]
    out = {}
    # cut in the middle of its header (past pcr and type)
    out["truncated"] = bytes(log[:off + 10])
    # its data size runs past the area
    v = bytearray(log)
    if a.family == "1.2":
        struct.pack_into("<I", v, off + 28, 0x7FFFFFF0)
    else:
        p = off + 12 + sum(2 + len(d) for d in ev[k][3].values())
        struct.pack_into("<I", v, p, 0x7FFFFFF0)
    out["overrun"] = bytes(v)
    if spec is not None:
        # a digest of an algorithm the Spec ID event does not list
        v = bytearray(log)
        struct.pack_into("<H", v, off + 12, 0x0099)
        out["badalg"] = bytes(v)
        # a Spec ID event with no algorithm
        v = bytearray(log)
        struct.pack_into("<I", v, spec + 24, 0)
        out["noalgs"] = bytes(v)
        # no Spec ID event at all (its signature gone): from test_log it is
        # refused, never replaced by the firmware's own log
        v = bytearray(log)
        v[spec:spec + 16] = bytes(16)
        out["nospecid"] = bytes(v)
    for name, blob in out.items():
        with open(os.path.join(a.outdir, name), "wb") as f:
            f.write(blob)
        print(name)


def do_slow(a):
    f = open(a.log, "rb", buffering=0)
    first = f.read(64)
    tap(len(first) == 64, "slow reader: the first 64 bytes")
    with open(a.unbind, "w") as u:
        u.write(a.dev)
    try:
        more = f.read(64)
        tap(False, "slow reader: a read after unbind fails with ENODEV",
            "read %d bytes" % len(more))
    except OSError as e:
        tap(e.errno == errno.ENODEV,
            "slow reader: a read after unbind fails with ENODEV", e)
    f.close()


def reopen(fd):
    """what a reopen of an O_PATH descriptor through /proc gives: "ok" or
    the errno's name"""
    try:
        os.close(os.open("/proc/self/fd/%d" % fd, os.O_RDONLY))
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def rmmod():
    return subprocess.run(["rmmod", "tpm_safe"], capture_output=True).returncode


def do_held(a):
    """A reader holding the file and an O_PATH descriptor of it, across an
    unbind and the module's removal: the reader pins the module and gets
    ENODEV; the descriptor pins nothing and reopens to EIO (a bad inode),
    before and after the module is gone, never into freed code."""
    f = open(a.log, "rb", buffering=0)
    path = os.open(a.log, os.O_PATH)
    tap(reopen(path) == "ok", "held: an O_PATH descriptor reopens while published")
    with open(a.unbind, "w") as u:
        u.write(a.dev)
    try:
        f.read(64)
        tap(False, "held: a read after unbind fails with ENODEV", "it read")
    except OSError as e:
        tap(e.errno == errno.ENODEV, "held: a read after unbind fails with ENODEV", e)
    rc = rmmod()
    tap(rc != 0 and os.path.exists("/sys/module/tpm_safe"),
        "held: rmmod refused while the reader holds the file", "rmmod: %d" % rc)
    r = reopen(path)
    tap(r == "EIO", "held: after unbind the O_PATH descriptor reopens to EIO", r)
    f.close()
    rc = rmmod()
    tap(rc == 0 and not os.path.exists("/sys/module/tpm_safe"),
        "held: the reader closed, rmmod succeeds (the O_PATH descriptor pins nothing)",
        "rmmod: %d" % rc)
    r = reopen(path)
    tap(r == "EIO", "held: with the module gone it still reopens to EIO", r)
    os.close(path)


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("replay")
    p.add_argument("log")
    p.add_argument("--family", default="2")
    p.add_argument("--chip", required=True)
    p = sub.add_parser("ascii")
    p.add_argument("log")
    p.add_argument("text")
    p = sub.add_parser("tools")
    p.add_argument("log")
    p.add_argument("node")
    p = sub.add_parser("bad")
    p.add_argument("log")
    p.add_argument("--family", default="2")
    p.add_argument("outdir")
    p = sub.add_parser("slow")
    p.add_argument("log")
    p.add_argument("unbind")
    p.add_argument("dev")
    p = sub.add_parser("held")
    p.add_argument("log")
    p.add_argument("unbind")
    p.add_argument("dev")
    a = ap.parse_args()
    {"replay": do_replay, "ascii": do_ascii, "tools": do_tools,
     "bad": do_bad, "slow": do_slow, "held": do_held}[a.cmd](a)
    sys.exit(1 if tap.fails else 0)


if __name__ == "__main__":
    main()
