#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Exclusive mode: unbind/bind tpm_safe_tis (or tpm_safe_crb in a guest
with -device tpm-crb) under load: blocking and O_NONBLOCK clients, sysfs
readers, a hwrng reader, open/close (tests/guest/stress.py unbind).  With
TIS_IRQ, the chip uses that interrupt line.  TAP output."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import stress  # noqa: E402
import tpmsafe as T  # noqa: E402

IRQ = os.environ.get("TIS_IRQ") or "0"
IFACE = os.environ.get("IFACE") or "tis"


def irq_in_use():
    with open("/proc/interrupts") as f:
        return any(line.split(":")[0].strip() == IRQ and "tpm_safe_tis" in line
                   for line in f)


def main():
    if int(IRQ) > 0:
        stress.tap(irq_in_use(), "/proc/interrupts shows tpm_safe_tis on IRQ %s" % IRQ)
    return stress.main(["unbind", "--driver", "tpm_safe_" + IFACE, "--device",
                        "MSFT0101:00", "--cycles", os.environ.get("UNBIND_CYCLES") or "100"])


if __name__ == "__main__":
    T.crb_release_builtin()
    sys.exit(T.run_test(main, stress.tap, ("irq=" + IRQ,)))
