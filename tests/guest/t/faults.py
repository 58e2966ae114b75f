#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Allocation failure, site by site (debug kernel: failslab and
fail_page_alloc).  /proc/thread-self/fail-nth makes the N-th fault site
this thread reaches fail; for N = 1, 2, ... one operation (probe through
the sysfs bind file, removal, opening a node, a command, a sysfs read, a
new virtual TPM) runs with site N failing, until N is past the last site
the operation reaches.  Only the operation's own syscall is in the window,
so the failures land in tpm_safe and the kernel code it calls.

After every injection the operation failed with an errno or succeeded,
and the device is in a state that works: bound and answering, or unbound
with its node gone.  At the end every object is balanced and both chips
answer.  TAP on stdout; FIGURE lines for the torture table."""

import errno
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import tpmsafe as T  # noqa: E402

FAILNTH = "/proc/thread-self/fail-nth"
DBG = "/sys/kernel/debug"
# securityfs, where a chip's firmware event log is published
SEC = "/sys/kernel/security"
OBJ = DBG + "/tpm_safe/objects"
# the platform chip: MSFT0101:00 under tpm_safe_tis, or tpm_safe_crb in a
# guest with -device tpm-crb (IFACE=crb); a TPM 1.2 behind TIS is PNP 00:00
# (FAULT_BUS=pnp FAULT_DEV=00:00, with TPM_FAMILY=1.2)
IFACE = os.environ.get("IFACE", "tis")
TIS_DEV = os.environ.get("FAULT_DEV", "MSFT0101:00")
TIS_BUS = os.environ.get("FAULT_BUS", "platform")
TIS_DRV = "/sys/bus/%s/drivers/tpm_safe_%s" % (TIS_BUS, IFACE)
VT_DRV = "/sys/bus/platform/drivers/tpm_safe_vtpm"
# FAULT_MAX_SITES caps each sweep; FAULT_STRIDE > 1 fails every k-th site
# only (a shorter run); FAULT_OPS picks sweeps: the platform chip (tis or
# crb, as IFACE), vtpm, vtpmx (default: all three)
MAX_SITES = int(os.environ.get("FAULT_MAX_SITES", "3000"))
STRIDE = int(os.environ.get("FAULT_STRIDE", "1"))
OPS = os.environ.get("FAULT_OPS", IFACE + ",vtpm,vtpmx").split(",")
TIME_SCALE = int(os.environ.get("TIME_SCALE", "1"))
# Fewest fault sites each operation reaches (measured: a TIS probe over 600,
# a vtpm probe over 500, unbind and open 9 or more, each sysfs read 1): a
# sweep that reaches fewer is broken, not passing.
MIN_PROBE = 100
MIN_UNBIND = 2
MIN_OPEN = 1
MIN_VTPMX = 2
MIN_ATTR = 1
MIN_RM_LIFE = 4		# the space, its tables, two saved contexts

tap = T.Tap()
errnos = {}


def setup():
    """Fail only where fail-nth says; quiet; sleeping allocations too."""
    for kind in ("failslab", "fail_page_alloc"):
        d = os.path.join(DBG, kind)
        for name, value in (("probability", "0"), ("verbose", "0"),
                            ("ignore-gfp-wait", "N"), ("times", "-1")):
            with open(os.path.join(d, name), "w") as f:
                f.write(value)
    with open(os.path.join(DBG, "fail_page_alloc", "min-order"), "w") as f:
        f.write("0")
    # the event log directories a failed probe must not leave behind
    with open("/proc/filesystems") as f:
        has = "securityfs" in f.read().split()
    if has and not os.path.ismount(SEC):
        r = subprocess.run(["mount", "-t", "securityfs", "securityfs", SEC],
                           capture_output=True, text=True)
        tap(r.returncode == 0, "securityfs mounted", r.stderr)
    if not has:
        print("# no securityfs: no event log directory to check")


def wait_until(cond, seconds):
    end = time.monotonic() + seconds * TIME_SCALE
    while not cond():
        if time.monotonic() > end:
            return False
        time.sleep(0.02)
    return True


def bus_of(dev):
    return TIS_BUS if dev == TIS_DEV else "platform"


def driver_of(dev):
    link = "/sys/bus/%s/devices/%s/driver" % (bus_of(dev), dev)
    return os.path.basename(os.readlink(link)) if os.path.islink(link) else None


def chip_of(dev):
    """/dev node of the chip under a platform device, or None."""
    d = "/sys/bus/%s/devices/%s/tpm_safe" % (bus_of(dev), dev)
    try:
        names = os.listdir(d)
    except OSError:
        return None
    return "/dev/" + names[0] if names else None


def works(node):
    try:
        fd = T.open_retry(node, os.O_RDWR, 5.0 * TIME_SCALE)
    except OSError:
        return False
    try:
        T.check_rsp(T.transact(fd, T.get_random(16)))
        return True
    except (OSError, ValueError):
        return False
    finally:
        os.close(fd)


def balanced():
    """created - destroyed == live, for every object kind."""
    return not T.objects_leaked()


def pending():
    """Chips unregistered but not yet released (DEBUG_KOBJECT_RELEASE
    defers releases by seconds; each holds a chip number meanwhile)."""
    for line in open(OBJ):
        kind, made, gone = line.split()
        if kind == "chip":
            return int(made) - int(gone) - len(os.listdir("/sys/class/tpm_safe"))
    return 0


def drain():
    """Keep chip numbers free: wait while many releases are pending."""
    if pending() > 16:
        wait_until(lambda: pending() <= 0, 10)


def inject(n, op):
    """Run op() with fault site n failing.  Return (hit, errno or 0)."""
    fd = os.open(FAILNTH, os.O_RDWR)
    try:
        os.write(fd, b"%d" % n)
        try:
            op()
            err = 0
        except OSError as e:
            err = e.errno
        left = int(os.pread(fd, 32, 0))
        if left:
            os.pwrite(fd, b"0", 0)
        return left == 0, err
    finally:
        os.close(fd)


def sweep(name, op, after=None, minimum=1):
    """Fail each site op() reaches in turn; after(n, err) checks the state
    and restores the starting point, returning an error text or None.
    op() must reach at least `minimum` sites (counted whatever the stride:
    the last site hit), else the sweep tested less than it says.
    Prints one TAP line unless name is None.  Returns (sites, problems)."""
    bad = []
    n = 1 - STRIDE
    retries = 0
    while n < MAX_SITES:
        n += STRIDE
        try:
            hit, err = inject(n, op)
        except MemoryError:
            # the interpreter's own allocation: again, a bounded number
            # of times (a site that always lands there is not tested)
            retries += 1
            if retries > 20:
                bad.append("site %d: the interpreter's own allocation "
                           "failed 20 times" % n)
                break
            n -= STRIDE
            continue
        retries = 0
        if not hit:
            break
        key = errno.errorcode.get(err, str(err)) if err else "ok"
        errnos[key] = errnos.get(key, 0) + 1
        problem = after(n, err) if after else None
        if problem:
            bad.append("site %d (%s): %s" % (n, key, problem))
    if n >= MAX_SITES and "FAULT_MAX_SITES" not in os.environ:
        bad.append("more than %d sites" % MAX_SITES)
    sites = len(range(1, n, STRIDE))
    # the last site that was hit (0: none; with a stride, a lower bound)
    reached = n - STRIDE if n > 1 else 0
    if reached < minimum:
        bad.append("reached %d fault sites, expected at least %d"
                   % (reached, minimum))
    if name is not None:
        every = "" if STRIDE == 1 else " (every %d-th)" % STRIDE
        tap(not bad, "%s: %d fault sites failed in turn%s, each unwound"
            % (name, sites, every), "\n".join(bad[:10]))
    return sites, bad


def write_op(path, text):
    fd = os.open(path, os.O_WRONLY)

    def op():
        os.write(fd, text.encode())
    return fd, op


def bound_sane(dev, drv):
    """After a bind attempt: bound and answering, or unbound and no node."""
    if driver_of(dev) == drv:
        node = chip_of(dev)
        if not node or not works(node):
            return "bound, but its chip does not answer"
        return None
    if chip_of(dev):
        return "not bound, but a chip is left"
    return None


def set_bound(dev, drv_dir, bound):
    """Bind or unbind dev unless it already is."""
    if (driver_of(dev) == os.path.basename(drv_dir)) != bound:
        with open(drv_dir + ("/bind" if bound else "/unbind"), "w") as f:
            f.write(dev)


def log_dirs():
    """tpm_safe's event log directories in securityfs"""
    try:
        return sorted(n for n in os.listdir(SEC) if n.startswith("tpmsafe"))
    except OSError:
        return []


def sweep_bind(dev, drv_dir):
    drv = os.path.basename(drv_dir)
    # the device whose firmware event log eventlog.sh saved in this guest:
    # published before the sweep, and again after it
    try:
        with open("/tmp/log-safe.dev") as f:
            had_log = f.read().strip() == dev
    except OSError:
        had_log = False
    if had_log:
        node = chip_of(dev)
        name = os.path.basename(node or "/dev/none")
        tap(name in log_dirs(), "%s: its event log is published before the sweep" % dev,
            "%s, %s" % (name, log_dirs()))

    def after(n, err):
        problem = bound_sane(dev, drv)
        set_bound(dev, drv_dir, False)
        drain()
        # a probe that failed after the log's setup removed it again
        left = sorted(set(log_dirs()) - others)
        if not problem and left:
            problem = "unbound, but securityfs keeps %s" % left
        return problem
    set_bound(dev, drv_dir, False)
    # the other chips' directories, which stay
    others = set(log_dirs())
    fd, op = write_op(drv_dir + "/bind", dev)
    try:
        sites = sweep("probe of %s (bind)" % dev, op, after, MIN_PROBE)[0]
    finally:
        os.close(fd)
    drain()
    set_bound(dev, drv_dir, True)	# unless the last, uninjected, bind did
    tap(chip_of(dev) and works(chip_of(dev)),
        "%s: a clean bind afterwards works" % dev)
    # the event log eventlog.sh saved in this guest: published again whole
    if had_log:
        name = os.path.basename(chip_of(dev) or "/dev/none")
        try:
            with open("%s/%s/binary_bios_measurements" % (SEC, name), "rb") as f, \
                    open("/tmp/log-safe", "rb") as g:
                same = f.read() == g.read()
        except OSError as e:
            same = e
        tap(same is True and sorted(set(log_dirs()) - others) == [name],
            "%s: ...and publishes the same event log, one directory" % dev,
            "%s, %s" % (same, log_dirs()))
    return sites


def sweep_unbind(dev, drv_dir):
    drv = os.path.basename(drv_dir)
    fd, op = write_op(drv_dir + "/unbind", dev)

    def after(n, err):
        problem = None
        if driver_of(dev) == drv:
            # the write may fail before it reaches the driver core
            if not err:
                problem = "still bound after a successful unbind"
            set_bound(dev, drv_dir, False)
        elif not wait_until(lambda: chip_of(dev) is None, 5):
            problem = "unbound, but its chip is left"
        drain()
        set_bound(dev, drv_dir, True)
        if not problem and not works(chip_of(dev) or "/nonexistent"):
            problem = "rebound chip does not answer"
        return problem
    try:
        sites = sweep("removal of %s (unbind)" % dev, op, after, MIN_UNBIND)[0]
    finally:
        os.close(fd)
    drain()
    set_bound(dev, drv_dir, True)	# the last, uninjected, unbind unbound it
    return sites


def sweep_node(node):
    """open(), a command, and every plain sysfs attribute."""
    holder = {}

    def open_op():
        holder["fd"] = os.open(node, os.O_RDWR)

    def after_open(n, err):
        if "fd" in holder:
            os.close(holder.pop("fd"))
        return None if works(node) else "chip does not answer"
    sites = sweep("open of %s" % node, open_op, after_open, MIN_OPEN)[0]
    if "fd" in holder:		# the last, uninjected, open
        os.close(holder.pop("fd"))

    holder["fd"] = T.open_retry(node, os.O_RDWR, 5.0 * TIME_SCALE)

    def cmd_op():
        T.check_rsp(T.transact(holder["fd"], T.get_random(16)))

    def after_cmd(n, err):
        # a new file: nothing half done carries over
        os.close(holder.pop("fd"))
        problem = None if works(node) else "chip does not answer"
        holder["fd"] = T.open_retry(node, os.O_RDWR, 5.0 * TIME_SCALE)
        return problem
    try:
        # buffers are the file's, allocated at open: none expected here,
        # the sweep checks the command still works with fail-nth armed
        sites += sweep("a command on %s" % node, cmd_op, after_cmd, 0)[0]
    finally:
        os.close(holder.pop("fd"))

    s = "/sys/class/tpm_safe/" + os.path.basename(node)
    # every readable file (TPM 1.2's cancel is write-only)
    attrs = [os.path.join(s, a) for a in sorted(os.listdir(s))
             if os.path.isfile(os.path.join(s, a)) and a != "uevent" and
             os.stat(os.path.join(s, a)).st_mode & 0o444]
    attrs += [os.path.join(s, "stats", a) for a in sorted(os.listdir(s + "/stats"))]
    if T.FAMILY != "1.2":
        attrs.append(s + "/pcr-sha256/0")
    total = 0
    bad = []
    for a in attrs:
        try:
            afd = os.open(a, os.O_RDONLY)
        except OSError as e:
            bad.append("%s cannot be opened: %s" % (a, e))
            continue
        n, problems = sweep(None, lambda afd=afd: os.pread(afd, 4096, 0),
                            minimum=MIN_ATTR)
        problems = ["%s: %s" % (a, p) for p in problems]
        total += n
        bad += problems
        os.close(afd)
        try:
            with open(a) as f:
                f.read()
        except OSError as e:
            bad.append("%s unreadable afterwards: %s" % (a, e))
    tap(not bad, "%d sysfs attributes of %s: %d fault sites failed in turn"
        % (len(attrs), os.path.basename(node), total), "\n".join(bad))
    return sites + total


def sweep_rm(node):
    """The resource-manager node: opening a space, and a space's life (an
    object made and saved, a session started, both used, the file closed).
    After each: the rm node serves a new space and the TPM holds nothing
    (read on the raw node)."""
    import rm
    rmnode = node.replace("/dev/tpmsafe", "/dev/tpmsaferm")
    holder = {}

    def clean():
        try:
            sp = rm.Space(rmnode)
        except OSError as e:
            return "rm node does not open: %s" % e
        try:
            sp.handle(rm.create_primary())
        except (OSError, ValueError) as e:
            return "a new space does not work: %r" % e
        finally:
            sp.close()
        return None if rm.raw_empty(node, 10) else \
            "left in the TPM: %s" % rm.raw_handles(node)

    def open_op():
        holder["fd"] = os.open(rmnode, os.O_RDWR)

    def after_open(n, err):
        if "fd" in holder:
            os.close(holder.pop("fd"))
        return clean()
    sites = sweep("open of %s" % rmnode, open_op, after_open, MIN_OPEN)[0]
    if "fd" in holder:
        os.close(holder.pop("fd"))

    def life_op():
        sp = rm.Space(rmnode)
        try:
            o = sp.handle(rm.create_primary())
            s = sp.handle(rm.start_session())
            T.check_rsp(T.transact(sp.fd, rm.h_cmd(rm.CC_READ_PUBLIC, o)))
            T.check_rsp(T.transact(sp.fd, rm.h_cmd(rm.CC_POLICY_GET_DIGEST, s)))
        except ValueError as e:
            raise OSError(errno.EPROTO, str(e))
        finally:
            sp.close()
    sites += sweep("a space's life on %s" % rmnode, life_op,
                   lambda n, err: clean(), MIN_RM_LIFE)[0]
    return sites


def sweep_vtpmx():
    """Opening /dev/tpmsafe-vtpmx creates a virtual TPM device."""
    holder = {}

    def op():
        holder["fd"] = os.open(T.VTPMX, os.O_RDWR)

    def after(n, err):
        if "fd" in holder:
            os.close(holder.pop("fd"))
        # no server: the new device goes again
        return None if wait_until(balanced, 10) else "objects unbalanced"
    sites = sweep("new virtual TPM (open of %s)" % T.VTPMX, op, after,
                  MIN_VTPMX)[0]
    if "fd" in holder:		# the last, uninjected, open
        os.close(holder.pop("fd"))
    return sites


def main():
    tap(wait_until(lambda: os.path.exists("/dev/tpmsafe0"), 10),
        "tpm_safe_%s bound %s" % (IFACE, TIS_DEV))
    setup()
    sites = 0
    proc, num, devid = T.launch("/tmp/faults-vtpm")
    vdev = "tpm_safe_vtpm.%d" % devid
    tap(num is not None, "swtpm attached (tpmsafe%s)" % num)
    try:
        if num is None:
            return 1
        # every sweep asked for must be one this guest has, and run
        unknown = set(OPS) - {IFACE, "vtpm", "vtpmx"}
        tap(not unknown, "FAULT_OPS=%s: every sweep is known here (IFACE=%s)"
            % (",".join(OPS), IFACE), sorted(unknown))
        ran = 0
        for key, dev, drv in ((IFACE, TIS_DEV, TIS_DRV), ("vtpm", vdev, VT_DRV)):
            if key not in OPS:
                continue
            ran += 1
            sites += sweep_bind(dev, drv)
            sites += sweep_unbind(dev, drv)
            sites += sweep_node(chip_of(dev))
            if T.FAMILY != "1.2":	# TPM 1.2 has no rm node
                sites += sweep_rm(chip_of(dev))
        if "vtpmx" in OPS:
            sites += sweep_vtpmx()
            ran += 1
        tap(ran == len(set(OPS)) and sites > 0,
            "%d of %d sweeps ran, %d fault sites" % (ran, len(set(OPS)), sites))
        for dev in (TIS_DEV, vdev):
            tap(works(chip_of(dev) or "/nonexistent"), "%s answers at the end" % dev)
        tap(wait_until(balanced, 10), "objects balanced", open(OBJ).read())
    finally:
        proc.kill()
        proc.wait()
    print("FIGURE faults: cycles=%d fault sites, clients: %s"
          % (sites, json.dumps(errnos, sort_keys=True)), flush=True)
    return 1 if tap.fails else 0


if __name__ == "__main__":
    if not os.path.exists("/proc/self/fail-nth") or \
            not os.path.isdir("/sys/kernel/debug/failslab"):
        tap(False, "kernel has fault injection (failslab, fail_page_alloc, fail-nth)")
        sys.exit(1)
    T.crb_release_builtin()
    sys.exit(T.run_test(main, tap))
