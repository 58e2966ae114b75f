#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The resource manager node (/dev/tpmsafermN) from raw TPM 2.0 commands:
isolation of spaces, virtual handles, the manager's own answers, slot
exhaustion, bad input, close and kill leaving nothing in the TPM (read on
the raw node), the context gap, and the objects a space leaves loaded between its
commands.  TAP on stdout.

usage: rm.py basics --rm /dev/tpmsafermN --raw /dev/tpmsafeN
       rm.py kill --rm ... --raw ... [--rounds N]
       rm.py gap --rm ... --raw ...
       rm.py removal --rm ... --raw ... --cmd 'SHELL COMMAND'
"""

import argparse
import errno
import os
import random
import signal
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tpmsafe as T  # noqa: E402

ST_SESSIONS = 0x8002
CC_EVICT_CONTROL = 0x120
CC_CREATE_PRIMARY = 0x131
CC_CREATE = 0x153
CC_LOAD = 0x157
CC_CONTEXT_LOAD = 0x161
CC_CONTEXT_SAVE = 0x162
CC_FLUSH_CONTEXT = 0x165
CC_READ_PUBLIC = 0x173
CC_START_AUTH_SESSION = 0x176
CC_POLICY_GET_DIGEST = 0x189
CAP_HANDLES = 1
CAP_TPM_PROPERTIES = 6
PT_CONTEXT_GAP_MAX = 0x114
HR_TRANSIENT = 0x80000000
HR_LOADED_SESSION = 0x02000000
HR_SAVED_SESSION = 0x03000000
RH_OWNER = 0x40000001
RH_NULL = 0x40000007
RS_PW = 0x40000009
RM = 0xB0000
RC_HANDLE = 0x08B
RC_COMMAND_SIZE = 0x142
RC_COMMAND_CODE = 0x143
RC_OBJECT_MEMORY = 0x902
RC_SESSION_MEMORY = 0x903
SLOTS = 16          # rm_objects and rm_sessions defaults

tap = T.Tap()


def pw_auth():
    """an authorization area with one empty password session"""
    s = struct.pack(">IHBH", RS_PW, 0, 0, 0)
    return struct.pack(">I", len(s)) + s


def create_primary():
    """ECC P-256 storage key under the owner hierarchy"""
    public = struct.pack(">HHI", 0x0023, 0x000B, 0x00030072)
    public += struct.pack(">H", 0)                      # authPolicy
    public += struct.pack(">HHH", 0x0006, 128, 0x0043)  # AES-128-CFB
    public += struct.pack(">HHH", 0x0010, 0x0003, 0x0010)  # P-256
    public += struct.pack(">HH", 0, 0)                  # unique
    body = struct.pack(">I", RH_OWNER) + pw_auth()
    body += struct.pack(">HHH", 4, 0, 0)                # inSensitive
    body += struct.pack(">H", len(public)) + public
    body += struct.pack(">HI", 0, 0)                    # outsideInfo, PCRs
    return T.cmd(CC_CREATE_PRIMARY, body, ST_SESSIONS)


def sign_public():
    """ECDSA P-256 signing key template"""
    public = struct.pack(">HHIH", 0x0023, 0x000B, 0x00040072, 0)
    public += struct.pack(">HHHHH", 0x0010, 0x0018, 0x000B, 0x0003, 0x0010)
    public += struct.pack(">HH", 0, 0)
    return struct.pack(">H", len(public)) + public


def create(parent):
    body = struct.pack(">I", parent) + pw_auth()
    body += struct.pack(">HHH", 4, 0, 0) + sign_public()
    body += struct.pack(">HI", 0, 0)
    return T.cmd(CC_CREATE, body, ST_SESSIONS)


def created(rsp):
    """outPrivate and outPublic (each with its size) of a Create answer"""
    off = 14
    n = struct.unpack(">H", rsp[off:off + 2])[0]
    priv = rsp[off:off + 2 + n]
    off += 2 + n
    n = struct.unpack(">H", rsp[off:off + 2])[0]
    return priv, rsp[off:off + 2 + n]


def load(parent, priv, pub):
    body = struct.pack(">I", parent) + pw_auth() + priv + pub
    return T.cmd(CC_LOAD, body, ST_SESSIONS)


def evict_control(obj, persistent):
    body = struct.pack(">II", RH_OWNER, obj) + pw_auth()
    return T.cmd(CC_EVICT_CONTROL, body + struct.pack(">I", persistent),
                 ST_SESSIONS)


def start_session(policy=True):
    body = struct.pack(">II", RH_NULL, RH_NULL)
    body += struct.pack(">H", 16) + os.urandom(16)
    body += struct.pack(">HBHH", 0, 1 if policy else 0, 0x0010, 0x000B)
    return T.cmd(CC_START_AUTH_SESSION, body)


def h_cmd(cc, handle, rest=b""):
    return T.cmd(cc, struct.pack(">I", handle) + rest)


def get_cap(cap, prop, count=64):
    return T.cmd(T.CC_GET_CAPABILITY, struct.pack(">III", cap, prop, count))


class Space:
    def __init__(self, path, flags=0):
        self.fd = os.open(path, os.O_RDWR | flags)

    def send(self, command):
        """(rc, response), or (-errno, None)"""
        try:
            rsp = T.transact(self.fd, command)
        except OSError as e:
            return -e.errno, None
        return T.rsp_code(rsp), rsp

    def handle(self, command):
        """the handle a successful command returns, else an exception"""
        rc, rsp = self.send(command)
        if rc != 0:
            raise ValueError("rc %s" % (hex(rc) if rc > 0 else
                                        errno.errorcode[-rc]))
        return struct.unpack(">I", rsp[10:14])[0]

    def handles(self, prop):
        rc, rsp = self.send(get_cap(CAP_HANDLES, prop))
        if rc:
            raise ValueError("GetCapability: 0x%x" % rc)
        n = struct.unpack(">I", rsp[15:19])[0]
        return list(struct.unpack(">%dI" % n, rsp[19:19 + 4 * n]))

    def close(self):
        os.close(self.fd)


def raw_handles(raw):
    """every transient object and session the TPM holds, from the raw node"""
    s = Space(raw)
    try:
        return (s.handles(HR_TRANSIENT) + s.handles(HR_LOADED_SESSION) +
                s.handles(HR_SAVED_SESSION))
    finally:
        s.close()


def raw_empty(raw, seconds=10):
    return T.wait_until(lambda: not raw_handles(raw), seconds)


def check(desc, fn):
    try:
        r = fn()
        tap(r is None or r is True, desc, "" if r in (None, True) else r)
    except Exception as e:  # noqa: BLE001 - any failure is a test failure
        tap(False, desc, repr(e))


def basics(a):
    tap(not raw_handles(a.raw), "the TPM holds no object or session at the start",
        raw_handles(a.raw))
    A, B = Space(a.rm), Space(a.rm)
    a1, a2 = A.handle(create_primary()), A.handle(create_primary())
    b1 = B.handle(create_primary())
    tap(a1 >> 24 == 0x80 and a2 >> 24 == 0x80 and a1 != a2,
        "space A's primaries have virtual handles (0x%08x 0x%08x)" % (a1, a2))
    tap(sorted(A.handles(HR_TRANSIENT)) == sorted([a1, a2]),
        "A lists its 2 objects", A.handles(HR_TRANSIENT))
    tap(B.handles(HR_TRANSIENT) == [b1], "B lists its 1 object only",
        B.handles(HR_TRANSIENT))
    tap(not raw_handles(a.raw),
        "between commands the TPM holds nothing of theirs", raw_handles(a.raw))
    rc, rsp = B.send(h_cmd(CC_READ_PUBLIC, a2))
    tap(rc == -errno.EINVAL, "B naming A's second handle: EINVAL (%s)" % rc)
    rc, _ = A.send(h_cmd(CC_READ_PUBLIC, a2))
    tap(rc == 0, "A reads its own object (0x%x)" % rc)
    for h in (0x80123456, 0x80FFFFFF, 0x80000000 + SLOTS):
        rc, _ = A.send(h_cmd(CC_FLUSH_CONTEXT, h))
        tap(rc == -errno.EINVAL, "forged handle 0x%08x: EINVAL (%s)" % (h, rc))
    rc, _ = A.send(T.cmd(0x11E))
    tap(rc == RM | RC_COMMAND_CODE,
        "a command the TPM lacks: the manager's TPM_RC_COMMAND_CODE (0x%x)" % rc)
    rc, _ = A.send(T.cmd(CC_FLUSH_CONTEXT))
    tap(rc == RM | RC_COMMAND_SIZE,
        "FlushContext with no handle: the manager's TPM_RC_COMMAND_SIZE (0x%x)" % rc)
    rc, _ = A.send(T.cmd(CC_READ_PUBLIC, b"\x80\xff"))
    tap(rc == RM | RC_COMMAND_SIZE,
        "a truncated handle area: TPM_RC_COMMAND_SIZE (0x%x)" % rc)
    big = bytearray(T.get_random(16) + bytes(4096 - 12))
    struct.pack_into(">I", big, 2, 4096)
    rc, _ = A.send(bytes(big))
    tap(rc >= 0, "a 4096-byte command: a TPM answer (0x%x)" % rc)
    check("...and the space still works", lambda: T.check_rsp(
        T.transact(A.fd, h_cmd(CC_READ_PUBLIC, a1))) and None)

    # context save and load on virtual handles, and across spaces
    rc, blob = A.send(h_cmd(CC_CONTEXT_SAVE, a1))
    tap(rc == 0, "ContextSave of a virtual handle (0x%x)" % rc)
    if rc == 0:
        blob = blob[10:]
        rc, _ = A.send(h_cmd(CC_FLUSH_CONTEXT, a1))
        tap(rc == 0 and a1 not in A.handles(HR_TRANSIENT),
            "FlushContext of a virtual handle frees it (0x%x)" % rc)
        a3 = A.handle(T.cmd(CC_CONTEXT_LOAD, blob))
        tap(a3 in A.handles(HR_TRANSIENT),
            "ContextLoad gives a new virtual handle (0x%08x)" % a3)
        rc, _ = B.send(T.cmd(CC_CONTEXT_LOAD, blob))
        tap(rc >= 0, "ContextLoad of A's blob in B: a TPM answer (0x%x)" % rc)
        check("...B still works", lambda: B.handle(create_primary()) and None)
        check("...A still works", lambda: T.check_rsp(
            T.transact(A.fd, h_cmd(CC_READ_PUBLIC, a3))) and None)

    # sessions: kept across commands, listed to their space only
    s = A.handle(start_session())
    tap(s >> 24 == 0x03, "a policy session (0x%08x)" % s)
    ok = all(A.send(h_cmd(CC_POLICY_GET_DIGEST, s))[0] == 0 for _ in range(3))
    tap(ok, "...used by 3 commands in a row")
    la, lb = A.handles(HR_SAVED_SESSION), B.handles(HR_SAVED_SESSION)
    # the TPM lists saved sessions as HMAC ones (0x02...), by their number
    tap([h & 0xFFFFFF for h in la] == [s & 0xFFFFFF] and not lb,
        "...listed to A (saved), not to B", "A %s B %s" % (la, lb))
    rc, _ = B.send(h_cmd(CC_POLICY_GET_DIGEST, s))
    tap(rc == -errno.EINVAL, "B naming A's session: EINVAL (%s)" % rc)
    rc, _ = B.send(h_cmd(CC_FLUSH_CONTEXT, s))
    tap(rc == -errno.EINVAL, "B flushing A's session: EINVAL (%s)" % rc)
    def rand_auth(area, size=None):
        # GetRandom with an authorization area; its size field may lie
        size = len(area) if size is None else size
        return T.cmd(T.CC_GET_RANDOM, struct.pack(">I", size) + area +
                     struct.pack(">H", 8), ST_SESSIONS)
    rc, _ = B.send(rand_auth(struct.pack(">IHBH", s, 0, 1, 0)))
    tap(rc == -errno.EINVAL, "B naming A's session in its auth area: EINVAL (%s)" % rc)
    rc, _ = A.send(rand_auth(struct.pack(">IHBH", s, 0, 1, 0), 4096))
    tap(rc > 0, "an auth area longer than the command: a TPM error (0x%x)" % rc)
    rc, _ = A.send(rand_auth(struct.pack(">IH", s, 0)))
    tap(rc > 0, "an auth area cut inside A's session: a TPM error (0x%x)" % rc)
    tap(A.send(h_cmd(CC_POLICY_GET_DIGEST, s))[0] == 0, "...and A's session still works")
    la = A.handles(HR_SAVED_SESSION)
    tap([h & 0xFFFFFF for h in la] == [s & 0xFFFFFF], "...and is still A's only one", la)
    spaces = T.read_text("/sys/kernel/debug/tpm_safe/spaces")
    me = [ln for ln in spaces.splitlines() if " pid %d " % os.getpid() in ln]
    tap(len(me) >= 2 and any("0x%08x" % s in ln for ln in me),
        "debugfs spaces lists A and B with their handles", spaces)
    # a saved session by the handle the TPM lists it under (0x02...)
    s2 = A.handle(start_session())
    l2 = [h for h in A.handles(HR_SAVED_SESSION) if h & 0xFFFFFF == s2 & 0xFFFFFF]
    rc = A.send(h_cmd(CC_FLUSH_CONTEXT, l2[0]))[0] if l2 else None
    tap(rc == 0 and len(A.handles(HR_SAVED_SESSION)) == 1,
        "FlushContext of a session by its listed handle (%s, 0x%x): gone" %
        (["0x%08x" % h for h in l2], s2))
    A.close()
    B.close()
    tap(raw_empty(a.raw, 1), "closing A and B leaves nothing in the TPM",
        raw_handles(a.raw))

    # a session its client saves (ContextSave) is the client's: loaded
    # again, handed to another space, or by the next process (tpm2-tools)
    D, E = Space(a.rm), Space(a.rm)
    s3 = D.handle(start_session())
    rc, rsp = D.send(h_cmd(CC_CONTEXT_SAVE, s3))
    tap(rc == 0, "D's client saves its session (0x%x)" % rc)
    rc, rsp = D.send(T.cmd(CC_CONTEXT_LOAD, rsp[10:] if rsp else b""))
    h3 = struct.unpack(">I", rsp[10:14])[0] if rc == 0 else 0
    tap(rc == 0 and h3 & 0xFFFFFF == s3 & 0xFFFFFF and
        D.send(h_cmd(CC_POLICY_GET_DIGEST, h3))[0] == 0,
        "...loads it again and it works (0x%x, 0x%08x)" % (rc, h3))
    rc, rsp = D.send(h_cmd(CC_CONTEXT_SAVE, h3))
    D.close()
    tap(rc == 0, "...saves it again and closes (0x%x)" % rc)
    rc, rsp = E.send(T.cmd(CC_CONTEXT_LOAD, rsp[10:])) if rc == 0 else (rc, None)
    he = struct.unpack(">I", rsp[10:14])[0] if rc == 0 else 0
    tap(rc == 0 and E.send(h_cmd(CC_POLICY_GET_DIGEST, he))[0] == 0,
        "E, opened before, loads it after D closed: it works (0x%x)" % rc)
    E.close()
    tap(raw_empty(a.raw, 1), "E's close flushes it: nothing left in the TPM",
        raw_handles(a.raw))

    # exhaustion: SLOTS objects and sessions, then the manager's errors
    C = Space(a.rm)
    for what, make, full in (("objects", create_primary, RC_OBJECT_MEMORY),
                             ("sessions", start_session, RC_SESSION_MEMORY)):
        hs = []
        for _ in range(SLOTS + 1):
            rc, rsp = C.send(make())
            if rc:
                break
            hs.append(struct.unpack(">I", rsp[10:14])[0])
        tap(len(hs) == SLOTS and rc == RM | full,
            "%d %s, then the manager's 0x%x (0x%x after %d)"
            % (SLOTS, what, RM | full, rc, len(hs)))
        tap(bool(hs) and C.send(h_cmd(CC_FLUSH_CONTEXT, hs[0]))[0] == 0 and
            C.send(make())[0] == 0, "...after a flush the space makes one again")
    C.close()
    tap(raw_empty(a.raw, 1), "closing a full space leaves nothing in the TPM",
        raw_handles(a.raw))
    resident(a)


def resident(a):
    """a space's objects stay loaded after its command, until anyone
    else's command (another space's, the raw node's) flushes them first"""
    num = int(a.raw.rsplit("tpmsafe", 1)[1])

    def commands():
        with open("/sys/class/tpm_safe/tpmsafe%d/stats/commands" % num) as f:
            return int(f.read())

    def loaded():
        """{number of objects: number loaded} of this process's spaces"""
        me = "tpmsafe%d space pid %d objects" % (num, os.getpid())
        out = {}
        for ln in T.read_text("/sys/kernel/debug/tpm_safe/spaces").splitlines():
            if ln.startswith(me + " "):
                objs = ln[len(me):].split(" sessions")[0].split()
                out[len(objs)] = sum("(loaded)" in o for o in objs)
        return out

    A, B = Space(a.rm), Space(a.rm)
    k = A.handle(create_primary())
    tap(loaded() == {1: 1, 0: 0}, "A's new object stays loaded after its command",
        loaded())
    B.handle(create_primary())
    B.handle(create_primary())
    tap(loaded() == {1: 0, 2: 1},
        "B's commands flushed A's object, B's second one B's first",
        loaded())
    rc = A.send(h_cmd(CC_READ_PUBLIC, k))[0]
    tap(rc == 0 and loaded() == {1: 1, 2: 0},
        "A's next command flushed B's and loaded A's again (0x%x)" % rc,
        loaded())
    # the fewest of 3 tries: a hwrng read in between costs a flush and load
    fewest = None
    for _ in range(3):
        c0 = commands()
        bad = sum(A.send(h_cmd(CC_READ_PUBLIC, k))[0] != 0 for _ in range(3))
        n = commands() - c0
        fewest = n if fewest is None else min(fewest, n)
    tap(bad == 0 and fewest == 3,
        "3 commands on A's loaded object reach the TPM as 3 commands, "
        "nothing loaded, saved or flushed (fewest of 3 tries: %s)" % fewest)
    tap(not raw_handles(a.raw),
        "a raw-node command finds nothing of theirs in the TPM",
        raw_handles(a.raw))
    tap(loaded() == {1: 0, 2: 0}, "...it flushed A's object first", loaded())
    rc = A.send(h_cmd(CC_READ_PUBLIC, k))[0]
    tap(rc == 0, "A's object loads again when named (0x%x)" % rc)
    B.close()

    # two of A's objects loaded, and a command that loads a persistent key
    # and needs a slot of its own: the TPM's 3 slots are not enough until
    # the manager takes out what the command does not name
    pers = 0x81000F00
    rc = A.send(evict_control(k, pers))[0]
    tap(rc == 0, "A's primary made persistent (0x%08x, 0x%x)" % (pers, rc))
    try:
        p2 = A.handle(create_primary())
        rc, rsp = A.send(create(p2))
        k2 = A.handle(load(p2, *created(rsp))) if rc == 0 else None
        tap(k2 is not None and loaded() == {3: 2},
            "A loaded a key under its second primary: two of its objects "
            "loaded (0x%x)" % rc, loaded())
        rc = A.send(create(pers))[0]
        tap(rc == 0, "...a Create under the persistent key succeeds (0x%x)" % rc)
        rc = A.send(h_cmd(CC_READ_PUBLIC, k2))[0] if k2 else None
        tap(rc == 0, "...and A's key still works (%s)" % rc)
    finally:
        rc = A.send(evict_control(pers, pers))[0]
        tap(rc == 0, "the persistent key removed (0x%x)" % rc)
    A.close()
    tap(raw_empty(a.raw, 1), "closing A (resident) and B leaves nothing in the TPM",
        raw_handles(a.raw))


def kill(a):
    """clients killed at random, mid-command or not"""
    rounds = a.rounds
    for i in range(rounds):
        pid = os.fork()
        if pid == 0:
            try:
                S = Space(a.rm)
                s = S.handle(start_session())
                S.handle(create_primary())
                while True:
                    S.send(h_cmd(CC_POLICY_GET_DIGEST, s))
                    S.send(create_primary())
                    S.send(h_cmd(CC_FLUSH_CONTEXT, S.handles(HR_TRANSIENT)[-1]))
            finally:
                os._exit(1)
        time.sleep(random.uniform(0.05, 0.4))   # where the kill lands
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    tap(raw_empty(a.raw, 20),
        "%d clients killed at random: nothing left in the TPM" % rounds,
        raw_handles(a.raw))


def gap(a):
    """one space keeps a policy session while another saves sessions past
    the TPM's context gap"""
    raw = Space(a.raw)
    rc, rsp = raw.send(get_cap(CAP_TPM_PROPERTIES, PT_CONTEXT_GAP_MAX, 1))
    raw.close()
    gmax = struct.unpack(">I", rsp[23:27])[0] if rc == 0 else 0
    tap(rc == 0 and gmax > 0, "TPM_PT_CONTEXT_GAP_MAX read (%d)" % gmax)
    A, B = Space(a.rm), Space(a.rm)
    s = A.handle(start_session())
    tap(A.send(h_cmd(CC_POLICY_GET_DIGEST, s))[0] == 0, "A's policy session works")
    t = B.handle(start_session())
    n = gmax + 10
    bad = 0
    t0 = time.monotonic()
    for _ in range(n):
        if B.send(h_cmd(CC_POLICY_GET_DIGEST, t))[0] != 0:
            bad += 1
    secs = time.monotonic() - t0
    print("FIGURE context gap: %d session saves in %.1f s" % (n, secs))
    tap(bad == 0, "B: %d commands, each a session save, all answered (%d failed)" % (n, bad))
    rc, _ = A.send(h_cmd(CC_POLICY_GET_DIGEST, s))
    tap(rc == 0, "A's session still works past the gap (0x%x)" % rc)
    A.close()
    B.close()
    tap(raw_empty(a.raw, 1), "nothing left in the TPM", raw_handles(a.raw))


def removal(a):
    """spaces holding objects and sessions while the chip goes away: 4 idle
    ones, and --busy more, each looping commands in a thread of its own"""
    sp = [Space(a.rm) for _ in range(4)]
    for S in sp:
        S.handle(create_primary())
        S.handle(start_session())
    busy = [Space(a.rm) for _ in range(a.busy)]
    sess = [S.handle(start_session()) for S in busy]
    done = {}
    rounds = [0] * a.busy
    first = threading.Semaphore(0)
    scale = float(os.environ.get("TIME_SCALE", "1"))

    def churn(i, S):
        def run(command):
            rc, rsp = S.send(command)
            if rc:
                raise OSError(-rc if rc < 0 else 0, "rc 0x%x" % rc)
            return rsp
        try:
            while True:
                o = struct.unpack(">I", run(create_primary())[10:14])[0]
                run(h_cmd(CC_CONTEXT_SAVE, o))
                run(h_cmd(CC_POLICY_GET_DIGEST, sess[i]))
                run(h_cmd(CC_FLUSH_CONTEXT, o))
                rounds[i] += 1
                if rounds[i] == 1:
                    first.release()
        except OSError as e:
            done[i] = e.errno if e.errno else str(e)
        except Exception as e:  # noqa: BLE001 - reported below
            done[i] = repr(e)
        if not rounds[i]:
            first.release()
    th = [threading.Thread(target=churn, args=(i, S), daemon=True)
          for i, S in enumerate(busy)]
    for t in th:
        t.start()
    for _ in th:
        first.acquire(timeout=120 * scale)
    # 4 more, each holding a session, closed while the removal runs
    closers = [Space(a.rm) for _ in range(4)]
    for S in closers:
        S.handle(start_session())
    ct = threading.Thread(target=lambda: [S.close() for S in closers])
    ct.start()
    rc = subprocess.call(a.cmd, shell=True)
    tap(rc == 0, "removal with %d spaces open, %d busy: %s (exit %d)"
        % (len(sp) + a.busy + len(closers), a.busy, a.cmd, rc))
    ct.join(60 * scale)
    tap(not ct.is_alive(), "...4 spaces closed as it ran: each close returned")
    res = [S.send(T.get_random())[0] for S in sp]
    res.append(sp[0].send(T.cmd(0x11E))[0])
    tap(all(r == -errno.EPIPE for r in res),
        "...each idle space's next command, and one the manager would "
        "answer: EPIPE (%s)" % res)
    if a.busy:
        for t in th:
            t.join(60 * scale)
        ends = sorted(set(done.values()), key=str)
        tap(len(done) == a.busy and min(rounds) > 0,
            "...each of the %d busy spaces ran and ended (%d ended, rounds %s)"
            % (a.busy, len(done), sorted(rounds)))
        tap(set(ends) <= {errno.EPIPE, errno.ENODEV},
            "...with EPIPE or ENODEV only (%s)" % ends)
    closed = []
    for S in sp + busy:
        try:
            S.close()
            closed.append(0)
        except OSError as e:
            closed.append(e.errno)
    tap(closed == [0] * len(sp + busy), "...and each closes (%s)" % closed)


def left_in_tpm(raw):
    """exits 0 when nothing of any space is left in the TPM (the raw node's
    view, within 10 s), else names what is left"""
    if raw_empty(raw, 10):
        sys.exit(0)
    sys.exit("left: %s" % ["0x%08x" % h for h in raw_handles(raw)])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=("basics", "kill", "gap", "removal", "empty", "serves"),
                   help="a scenario (TAP output), or, by exit status: empty "
                   "(nothing left in the TPM), serves (a space makes a "
                   "primary, and closing it leaves nothing)")
    p.add_argument("--rm")
    p.add_argument("--raw", required=True)
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--cmd")
    p.add_argument("--busy", type=int, default=0)
    a = p.parse_args()
    if a.what == "serves":
        s = Space(a.rm)
        s.handle(create_primary())
        s.close()
    if a.what in ("empty", "serves"):
        left_in_tpm(a.raw)
    try:
        {"basics": basics, "kill": kill, "gap": gap,
         "removal": removal}[a.what](a)
    except Exception as e:  # noqa: BLE001 - reported, then fail
        tap(False, "%s finished" % a.what, repr(e))
    sys.exit(1 if tap.fails else 0)


if __name__ == "__main__":
    main()
