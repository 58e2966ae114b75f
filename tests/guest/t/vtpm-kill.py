#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""swtpm SIGKILLed at random points (registration, idle, mid-command) with
clients, sysfs and hwrng readers active (tests/guest/stress.py kill).  TAP
output."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import stress  # noqa: E402
import tpmsafe as T  # noqa: E402

if __name__ == "__main__":
    sys.exit(T.run_test(lambda: stress.main(
        ["kill", "--cycles", os.environ.get("KILL_CYCLES") or "50"]), stress.tap))
