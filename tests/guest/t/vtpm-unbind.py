#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Unbind/rebind tpm_safe_vtpm.M under load: blocking and O_NONBLOCK
clients, sysfs readers, a hwrng reader, an open/close loop
(tests/guest/stress.py unbind).  TAP output."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import stress  # noqa: E402
import tpmsafe as T  # noqa: E402

if __name__ == "__main__":
    sys.exit(T.run_test(lambda: stress.main(
        ["unbind", "--cycles", os.environ.get("UNBIND_CYCLES") or "100"]), stress.tap))
