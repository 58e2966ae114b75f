#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""TPM 1.2 on tpm_safe.  TAP on stdout.

  tpm12.py node /dev/tpmsafeN   a real TPM 1.2 (swtpm): every sysfs file
                                against the TPM's own answers, PCR extend
                                and read, GetRandom, the hwrng, cancel
  tpm12.py fake                 a TPM 1.2 server of this test's own on
                                /dev/tpmsafe-vtpmx: the timeout and duration
                                corrections, bad responses (short, size
                                mismatch, over-long, a TPM 2.0 tag: EIO, the
                                chip stays usable), cancel of the command
                                in flight (ECANCELED), no TPM2_Shutdown and
                                no TPM_SaveState at unbind
  tpm12.py vtpm                 swtpm without --tpm2 on /dev/tpmsafe-vtpmx
  tpm12.py getrandom NODE       exit 0 when TPM_GetRandom works"""

import errno
import glob
import hashlib
import os
import re
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tpmsafe as T  # noqa: E402

tap = T.Tap()
TIME_SCALE = int(os.environ.get("TIME_SCALE", "1"))
VT_UNBIND = "/sys/bus/platform/drivers/tpm_safe_vtpm/unbind"
CAP_FLAG = 4
FLAG_PERMANENT = 0x108
FLAG_VOLATILE = 0x109
PROP_PCR = 0x101
PROP_MANUFACTURER = 0x103
PROP_OWNER = 0x111
PROP_TIS_TIMEOUT = 0x115
PROP_TIS_DURATION = 0x120
CAP_VERSION = 6
INVALID_POSTINIT = 0x26


def sysfs(node):
    return "/sys/class/tpm_safe/" + os.path.basename(node)


def read(path):
    with open(path) as f:
        return f.read()


def read_errno(path):
    try:
        read(path)
        return 0
    except OSError as e:
        return e.errno


def body(rsp):
    """the parameters of a successful TPM 1.2 response"""
    T.check_rsp(rsp)
    tag = struct.unpack(">H", rsp[:2])[0]
    if tag != T.TPM1_TAG_RSP:
        raise ValueError("tag 0x%04x" % tag)
    return rsp[10:]


def cap(fd, c, sub=None):
    b = body(T.transact(fd, T.get_cap12(c, sub)))
    n = struct.unpack(">I", b[:4])[0]
    return b[4:4 + n]


def check_common(node, fd):
    """the files every TPM 1.2 chip has, against the TPM's answers (fd)"""
    s = sysfs(node)
    tap(read(s + "/tpm_version_major") == "1\n", "tpm_version_major is 1")
    banks = glob.glob(s + "/pcr-*")
    tap(not banks, "no pcr-<bank>/ directory", banks)
    rm = node.replace("tpmsafe", "tpmsaferm")
    tap(not os.path.exists(rm), "no resource manager node (%s)" % rm)
    want = {"tpm_version_major", "timeouts", "durations", "pcrs", "pubek",
            "caps", "enabled", "active", "owned", "temp_deactivated", "cancel"}
    have = {f for f in os.listdir(s) if os.path.isfile(os.path.join(s, f))}
    tap(want <= have, "upstream's TPM 1.2 files are all there",
        sorted(want - have))
    mode = os.stat(s + "/cancel").st_mode & 0o777
    tap(mode == 0o200, "cancel is write-only (0%o)" % mode)
    t = read(s + "/timeouts")
    tap(re.fullmatch(r"\d+ \d+ \d+ \d+ \[(original|adjusted)\]\n", t),
        "timeouts: four values and [original|adjusted]: %s" % t.strip())
    d = read(s + "/durations")
    tap(re.fullmatch(r"\d+ \d+ \d+ \[(original|adjusted)\]\n", d),
        "durations: three values and [original|adjusted]: %s" % d.strip())
    # ...and the values the TPM reports, corrected as the README says
    raw_t = struct.unpack(">4I", cap(fd, T.TPM1_CAP_PROPERTY, PROP_TIS_TIMEOUT)[:16])
    raw_d = struct.unpack(">3I", cap(fd, T.TPM1_CAP_PROPERTY, PROP_TIS_DURATION)[:12])
    want_t, adj_t = corrected(raw_t, (750, 2000, 750, 750), None)
    want_d, adj_d = corrected(raw_d, (2000, 20000, 60000), (20, 750, 2000))
    tap(shown(t, want_t, "adjusted" if adj_t else "original") and
        shown(d, want_d, "adjusted" if adj_d else "original"),
        "timeouts and durations from the TPM's own %s and %s" % (raw_t, raw_d),
        "%r %r" % (t, d))

    npcr = struct.unpack(">I", cap(fd, T.TPM1_CAP_PROPERTY, PROP_PCR))[0]
    lines = read(s + "/pcrs").splitlines()
    tap(len(lines) == npcr == 24, "pcrs: %d lines, the TPM has %d PCRs"
        % (len(lines), npcr))
    bad = []
    for i, line in enumerate(lines):
        raw = body(T.transact(fd, T.pcr_read12(i)))
        want_line = "PCR-%02d: " % i + "".join("%02X " % b for b in raw)
        if line != want_line.rstrip("\n"):
            bad.append("%r != %r" % (line, want_line))
    tap(lines and not bad, "pcrs: every line equals TPM_PCRRead's digest", bad[:3])

    # extend PCR 16: the TPM's answer, a fresh read and the sysfs line agree
    old = body(T.transact(fd, T.pcr_read12(16)))
    ext = hashlib.sha1(b"tpm_safe").digest()
    new = body(T.transact(fd, T.extend12(16, ext)))
    want16 = hashlib.sha1(old + ext).digest()
    line = [x for x in read(s + "/pcrs").splitlines() if x.startswith("PCR-16:")]
    tap(new == want16 and line == ["PCR-16: " + "".join("%02X " % b for b in want16)],
        "PCR 16 extended: SHA-1(old || data) in the answer and in pcrs",
        "%s %s" % (new.hex(), line))

    maker = struct.unpack(">I", cap(fd, T.TPM1_CAP_PROPERTY, PROP_MANUFACTURER))[0]
    v = cap(fd, T.TPM1_CAP_VERSION_VAL)
    want_caps = ("Manufacturer: 0x%x\nTCG version: %d.%d\nFirmware version: %d.%d\n"
                 % (maker, v[2], v[3], v[4], v[5]))
    got = read(s + "/caps")
    tap(got == want_caps and v[2:4] == b"\x01\x02",
        "caps: manufacturer 0x%x, TCG version 1.2, firmware %d.%d" % (maker, v[4], v[5]),
        "%r != %r" % (got, want_caps))

    perm = cap(fd, CAP_FLAG, FLAG_PERMANENT)
    vol = cap(fd, CAP_FLAG, FLAG_VOLATILE)
    owner = cap(fd, T.TPM1_CAP_PROPERTY, PROP_OWNER)
    flags = {"enabled": 0 if perm[2] else 1, "active": 0 if perm[4] else 1,
             "owned": 1 if owner[0] else 0,
             "temp_deactivated": 1 if vol[2] else 0}
    got = {k: read(s + "/" + k) for k in flags}
    tap(all(got[k] == "%d\n" % flags[k] for k in flags),
        "enabled, active, owned, temp_deactivated as the TPM's flags: %s" %
        " ".join("%s=%d" % kv for kv in flags.items()), got)
    return flags


def check_pubek(node, fd, owned):
    s = sysfs(node)
    rsp = T.transact(fd, T.cmd12(0x7C, bytes(20)))
    if owned or T.rsp_code(rsp):
        e = read_errno(s + "/pubek")
        tap(owned and T.rsp_code(rsp) and e == errno.EIO,
            "pubek of an owned TPM: EIO (TPM_ReadPubek refused: 0x%x)" %
            T.rsp_code(rsp), errno.errorcode.get(e, e))
        return
    raw = body(rsp)
    psize = struct.unpack(">I", raw[8:12])[0]
    mod_off = 12 + psize
    mlen = struct.unpack(">I", raw[mod_off:mod_off + 4])[0]
    mod = raw[mod_off + 4:mod_off + 4 + mlen]
    got = read(s + "/pubek")
    head = ("Algorithm: %s\nEncscheme: %s\nSigscheme: %s\nParameters: %s\n"
            "Modulus length: %d\nModulus:\n" % (
                " ".join("%02x" % b for b in raw[0:4]),
                " ".join("%02x" % b for b in raw[4:6]),
                " ".join("%02x" % b for b in raw[6:8]),
                " ".join("%02x" % b for b in raw[12:24]), mlen))
    hexes = "".join(got[len(head):].split())
    tap(got.startswith(head) and hexes == mod.hex() and mlen == 256,
        "pubek: the endorsement key as TPM_ReadPubek returns it (%d-byte modulus)"
        % mlen, got[:300])


def check_hwrng(node):
    num = int(os.path.basename(node)[7:])
    name = "tpm-safe-rng-%d" % num
    avail = read("/sys/class/misc/hw_random/rng_available").split()
    tap(name in avail, "hwrng %s offered" % name, avail)
    if name not in avail:
        return
    old = read("/sys/class/misc/hw_random/rng_current").strip()
    T.write_text("/sys/class/misc/hw_random/rng_current", name)
    try:
        with open("/dev/hwrng", "rb") as f:
            data = f.read(64)
    finally:
        T.write_text("/sys/class/misc/hw_random/rng_current", old)
    tap(len(data) == 64 and len(set(data)) > 8,
        "64 bytes from /dev/hwrng through TPM_GetRandom", data.hex())


def node_tests(node):
    fd = T.open_retry(node, os.O_RDWR, 10.0 * TIME_SCALE)
    try:
        rnd = body(T.transact(fd, T.get_random12(32)))
        n = struct.unpack(">I", rnd[:4])[0]
        tap(n == 32 and len(rnd) == 36, "TPM_GetRandom through %s: %d bytes" % (node, n))
        flags = check_common(node, fd)
        check_pubek(node, fd, flags["owned"])
        # a TPM 2.0 command: the TPM's own 1.2 error, not a driver error
        r = T.transact(fd, T.cmd(T.CC_GET_RANDOM, struct.pack(">H", 8)))
        tag, code = struct.unpack(">H", r[:2])[0], T.rsp_code(r)
        tap(tag == T.TPM1_TAG_RSP and code != 0,
            "a TPM 2.0 command gets the TPM's 1.2 error (tag 0x%04x, code 0x%x)"
            % (tag, code))
        # cancel with nothing in flight: accepted, cancels nothing later
        try:
            T.write_text(sysfs(node) + "/cancel", "1")
            body(T.transact(fd, T.get_random12(8)))
            good = True
        except (OSError, ValueError) as e:
            good = e
        tap(good is True, "cancel with no command in flight; the next "
            "command works", good)
    finally:
        os.close(fd)
    check_hwrng(node)


# --- a TPM 1.2 server of our own ---

def bad_once(ordinal, bad):
    state = {"done": False}

    def behave(cc, c):
        if cc == ordinal and not state["done"]:
            state["done"] = True
            return bad(c)
        return None
    return behave


def good12(c):
    return T.FakeTPM.answer12(T.ORD_PCR_READ, c)


BAD = [
    ("short (6 bytes)", lambda c: good12(c)[:6]),
    ("size field larger than written",
     lambda c: good12(c)[:2] + struct.pack(">I", 300) + good12(c)[6:]),
    ("over-long: more bytes than the size field",
     lambda c: good12(c) + bytes(16)),
    ("over-long: 5000 bytes", lambda c: good12(c)[:2] + struct.pack(">I", 5000) +
     good12(c)[6:] + bytes(5000 - len(good12(c)))),
    ("a TPM 2.0 tag", lambda c: struct.pack(">H", T.TPM2_ST_NO_SESSIONS) + good12(c)[2:]),
]


def corrected(raw, def_ms, min_ms):
    """the driver's corrections (README): a first value below 1 ms means
    milliseconds, none above 600 s, a zero gets the default, a value below
    the least is raised to it; and whether any value changed"""
    ms = 0 < raw[0] < 1000
    out, adjusted = [], False
    for i, r in enumerate(raw):
        v = min(r * 1000 if ms else r, 600 * 10**6)
        if not v:
            v = def_ms[i] * 1000
        elif min_ms and v < min_ms[i] * 1000:
            v = min_ms[i] * 1000
        adjusted |= v != r
        out.append(v)
    return out, adjusted


def shown(text, want, tag):
    """sysfs timeouts/durations: the values (in us, each rounded up to a
    whole jiffy: 10 ms at most) and the [tag] expected"""
    parts = text.split()
    if parts[-1] != "[%s]" % tag or len(parts) != len(want) + 1:
        return False
    return all(w <= int(g) < w + 10000 for g, w in zip(parts, want))


def unbind_fake(fake):
    dev = "/dev/tpmsafe%d" % fake.num
    T.write_text(VT_UNBIND, "tpm_safe_vtpm.%d" % fake.devid)
    return T.gone(dev, 10 * TIME_SCALE)


def fake_tests():
    # timeouts and durations as a TPM reports them, and corrected
    fake = T.FakeTPM(tpm12=True)
    s = "/sys/class/tpm_safe/tpmsafe%d" % fake.num
    tap(read(s + "/tpm_version_major") == "1\n", "fake TPM 1.2 registered as 1.2")
    t, d = read(s + "/timeouts"), read(s + "/durations")
    tap(shown(t, T.FAKE12_TIMEOUTS, "original") and
        shown(d, T.FAKE12_DURATIONS, "original"),
        "values in microseconds are taken as reported", t + d)
    unbind_fake(fake)
    cmds = fake.commands
    fake.close()
    tap(0x145 not in cmds and T.ORD_SAVE_STATE not in cmds,
        "unbind of a TPM 1.2 sends neither TPM2_Shutdown nor TPM_SaveState",
        ["0x%x" % c for c in cmds[-5:]])
    tap(T.ORD_STARTUP not in cmds, "a TPM already started gets no TPM_Startup",
        ["0x%x" % c for c in cmds[:8]])

    # a TPM not started yet refuses with TPM_INVALID_POSTINIT until
    # TPM_Startup: one TPM_Startup(ST_CLEAR), then the start-up goes on
    class Unstarted(T.FakeTPM):
        startups = []	# one instance: the class keeps what it saw

        def answer12(self, cc, c, code=0):
            if cc == T.ORD_STARTUP:
                self.startups.append(c[10:12])
            elif cc != T.CC_GET_CAPABILITY and not self.startups:
                return struct.pack(">HII", T.TPM1_TAG_RSP, 10, INVALID_POSTINIT)
            return T.FakeTPM.answer12(cc, c, code)
    try:
        fake = Unstarted(tpm12=True)
        major = read("/sys/class/tpm_safe/tpmsafe%d/tpm_version_major" % fake.num)
    except OSError as e:
        fake, major = None, e
    tap(major == "1\n" and Unstarted.startups == [b"\x00\x01"],
        "a TPM not started: one TPM_Startup(ST_CLEAR), then registered",
        "%r %s" % (major, Unstarted.startups))
    if fake:
        unbind_fake(fake)
        fake.close()

    # each ordinal waits its class's duration (reported: short 0.3 s,
    # medium 1.5 s, long 3 s); the server answers each after the driver
    # gave up (its late answer dropped), the next command after it
    durs = (300000, 1500000, 3000000)

    class Quick(T.FakeTPM):
        def answer12(self, cc, c, code=0):
            if cc == T.ORD_GET_CAP and len(c) >= 22 and \
                    struct.unpack(">I", c[18:22])[0] == 0x120:
                data = struct.pack(">3I", *durs)
                return struct.pack(">HII", T.TPM1_TAG_RSP, 14 + len(data), 0) + \
                    struct.pack(">I", len(data)) + data
            return T.FakeTPM.answer12(cc, c, code)
    # Extend (short), Seal (medium), CreateWrapKey (long)
    slow_s = {0x014: durs[0] / 1e6, 0x017: durs[1] / 1e6, 0x01F: durs[2] / 1e6}

    def late_by_class(cc, c):
        if cc in slow_s:
            time.sleep(slow_s[cc] + 0.5 * TIME_SCALE)
            return T.FakeTPM.answer12(cc, c)
        return None
    fake = Quick(late_by_class, tpm12=True)
    fd = os.open("/dev/tpmsafe%d" % fake.num, os.O_RDWR)
    for cc in sorted(slow_s, key=slow_s.get):
        t0 = time.monotonic()
        try:
            T.transact(fd, T.cmd12(cc))
            got = 0
        except OSError as e:
            got = e.errno
        took = time.monotonic() - t0
        tap(got == errno.ETIME and slow_s[cc] - 0.02 <= took < slow_s[cc] + 0.6 * TIME_SCALE,
            "ordinal 0x%03x: ETIME after its %.1f s duration (%.2f s)" % (cc, slow_s[cc], took),
            errno.errorcode.get(got, got))
    try:
        good = body(T.transact(fd, T.cmd12(0x0FE))) == struct.pack(">I", 0x0FE)
    except (OSError, ValueError) as e:
        good = e
    tap(good is True, "after three timed-out ordinals the next command gets its own answer",
        good)
    os.close(fd)
    unbind_fake(fake)
    fake.close()

    def in_ms(cc, c):
        if cc == T.ORD_GET_CAP:
            sub = struct.unpack(">I", c[18:22])[0]
            vals = {0x115: (800, 2100, 0, 700), 0x120: (30, 900, 3000)}.get(sub)
            if vals:
                data = struct.pack(">4I" if len(vals) == 4 else ">3I", *vals)
                return struct.pack(">HII", T.TPM1_TAG_RSP, 14 + len(data), 0) + \
                    struct.pack(">I", len(data)) + data
        return None
    class MsTPM(T.FakeTPM):
        """reports timeouts and durations in milliseconds, one timeout 0"""
        @staticmethod
        def answer12(cc, c, code=0):
            r = in_ms(cc, c)
            return r if r else T.FakeTPM.answer12(cc, c, code)
    fake = MsTPM(tpm12=True)
    s = "/sys/class/tpm_safe/tpmsafe%d" % fake.num
    t, d = read(s + "/timeouts"), read(s + "/durations")
    tap(shown(t, (800000, 2100000, 750000, 700000), "adjusted") and
        shown(d, (30000, 900000, 3000000), "adjusted"),
        "values in milliseconds are scaled, a zero timeout gets the default",
        t + d)
    unbind_fake(fake)
    fake.close()

    # a TPM 1.1 refuses TPM_CAP_VERSION_VAL (TPM_BAD_MODE): caps takes the
    # versions from TPM_CAP_VERSION (TPM_STRUCT_VER) instead
    asked = []

    def v11(cc, c):
        if cc != T.ORD_GET_CAP:
            return None
        area, sub = struct.unpack(">I", c[10:14])[0], c[18:22]
        asked.append(area)
        if area == T.TPM1_CAP_VERSION_VAL:
            return struct.pack(">HII", T.TPM1_TAG_RSP, 10, 0x2C)
        if area == CAP_VERSION:
            data = bytes((1, 1, 5, 2))
        elif area == T.TPM1_CAP_PROPERTY and sub == struct.pack(">I", PROP_MANUFACTURER):
            data = b"FAKE"
        else:
            return None
        return struct.pack(">HII", T.TPM1_TAG_RSP, 14 + len(data), 0) + \
            struct.pack(">I", len(data)) + data
    fake = T.FakeTPM(v11, tpm12=True)
    s = "/sys/class/tpm_safe/tpmsafe%d" % fake.num
    try:
        got = read(s + "/caps")
    except OSError as e:
        got = errno.errorcode.get(e.errno, e.errno)
    want = "Manufacturer: 0x%x\nTCG version: 1.1\nFirmware version: 5.2\n" % \
        struct.unpack(">I", b"FAKE")[0]
    tap(got == want and asked == [T.TPM1_CAP_PROPERTY, T.TPM1_CAP_VERSION_VAL, CAP_VERSION],
        "caps of a TPM 1.1: TCG version 1.1 from TPM_CAP_VERSION, after "
        "TPM_CAP_VERSION_VAL was refused", "%r %s" % (got, asked))
    unbind_fake(fake)
    fake.close()

    # bad responses (to a PCR read: the hwrng takes a GetRandom at
    # registration): EIO, and the chip keeps working
    for name, bad in BAD:
        fake = T.FakeTPM(bad_once(T.ORD_PCR_READ, bad), tpm12=True)
        fd = os.open("/dev/tpmsafe%d" % fake.num, os.O_RDWR)
        try:
            T.transact(fd, T.pcr_read12(3))
            got = 0
        except OSError as e:
            got = e.errno
        tap(got == errno.EIO, "bad TPM 1.2 response, %s: EIO" % name,
            errno.errorcode.get(got, got))
        try:
            body(T.transact(fd, T.get_random12(16)))
            good = True
        except (OSError, ValueError) as e:
            good = e
        tap(good is True, "bad TPM 1.2 response, %s: the chip stays usable" % name, good)
        os.close(fd)
        unbind_fake(fake)
        fake.close()

    # cancel: an ordinal of 120 s answered after 1.5 s, cancelled at 0.3 s.
    # The server has no cancel of its own: its late answer is dropped, and
    # the next command (120 s too) is served after it.
    slow = 0x0FF
    arrived = threading.Event()

    def late(cc, c):
        if cc == slow:
            arrived.set()
            time.sleep(1.5 * TIME_SCALE)
            return T.FakeTPM.answer12(cc, c)
        return None
    fake = T.FakeTPM(late, tpm12=True)
    node = "/dev/tpmsafe%d" % fake.num
    fd = os.open(node, os.O_RDWR)
    res = {}

    def client():
        t0 = time.monotonic()
        try:
            T.transact(fd, T.cmd12(slow))
            res["errno"] = 0
        except OSError as e:
            res["errno"] = e.errno
        res["s"] = time.monotonic() - t0
    stat = sysfs(node) + "/stats/cancelled"
    before = int(T.read_text(stat))
    th = threading.Thread(target=client)
    th.start()
    tap(arrived.wait(10 * TIME_SCALE), "cancel: the command reached the server")
    T.write_text(sysfs(node) + "/cancel", "1")
    th.join(10 * TIME_SCALE)
    tap(res.get("errno") == errno.ECANCELED and res["s"] < 1.2 * TIME_SCALE,
        "cancel: the command in flight ends with ECANCELED (%.2f s)" % res.get("s", -1),
        res)
    after = int(T.read_text(stat))
    tap((before, after) == (0, 1), "cancel: stats/cancelled %d -> %d" % (before, after))
    try:
        # its own answer (its ordinal back), not the cancelled one's
        good = body(T.transact(fd, T.cmd12(slow - 1))) == struct.pack(">I", slow - 1)
    except (OSError, ValueError) as e:
        good = e
    tap(good is True, "cancel: the next command gets its own answer", good)
    os.close(fd)
    unbind_fake(fake)
    fake.close()


def vtpm_tests():
    state = "/tmp/tpm12-vtpm"
    os.makedirs(state, exist_ok=True)
    # an endorsement key, as a TPM 1.2 leaves the factory with
    r = subprocess.run(["swtpm_setup", "--tpmstate", state, "--createek"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    tap(r.returncode == 0, "swtpm_setup --createek (TPM 1.2)", r.stdout)
    proc, num, devid = T.launch(state, tpm2=False)
    tap(num is not None, "swtpm (TPM 1.2) on /dev/tpmsafe-vtpmx: tpmsafe%s" % num)
    if num is None:
        proc.kill()
        return
    node = "/dev/tpmsafe%d" % num
    try:
        node_tests(node)
    finally:
        T.write_text(VT_UNBIND, "tpm_safe_vtpm.%d" % devid)
        tap(T.gone(node, 10 * TIME_SCALE), "unbind: %s gone" % node)
        proc.kill()
        proc.wait()


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "node":
        node_tests(sys.argv[2])
    elif what == "fake":
        fake_tests()
    elif what == "vtpm":
        vtpm_tests()
    elif what == "getrandom":
        fd = T.open_retry(sys.argv[2], os.O_RDWR, 10.0 * TIME_SCALE)
        try:
            n = struct.unpack(">I", body(T.transact(fd, T.get_random12(16)))[:4])[0]
        finally:
            os.close(fd)
        return 0 if n == 16 else 1
    else:
        print(__doc__)
        return 2
    return 1 if tap.fails else 0


if __name__ == "__main__":
    sys.exit(main())
