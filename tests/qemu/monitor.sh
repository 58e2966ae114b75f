# SPDX-License-Identifier: GPL-2.0
# Sourced by run.sh and run-ram.sh: the QEMU human monitor at $out/monitor.
# mon CMD: one QEMU monitor command, its output on stdout (10 s at most)
mon() {
	python3 - "$out/monitor" "$1" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])


def until_prompt():
    buf = b""
    end = time.time() + 10
    while not buf.endswith(b"(qemu) ") and time.time() < end:
        buf += s.recv(65536)
    return buf


until_prompt()
s.sendall(sys.argv[2].encode() + b"\n")
# drop the echo of the command line (one line, with cursor moves)
sys.stdout.write(until_prompt().decode(errors="replace").split("\n", 1)[-1])
PY
}
