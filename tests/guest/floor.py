#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The floor: swtpm's own unix socket in the guest, no kernel driver.
Exposes a file-like object so latency.py can measure it the same way."""

import os
import socket
import struct


class SocketTPM:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.pending = b""

    def write(self, cmd):
        self.s.sendall(cmd)
        return len(cmd)

    def read(self):
        buf = b""
        while len(buf) < 10:
            buf += self.s.recv(4096)
        size = struct.unpack(">I", buf[2:6])[0]
        while len(buf) < size:
            buf += self.s.recv(4096)
        return buf
