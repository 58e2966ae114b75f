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
    """what QEMU printed up to its prompt; exit 1 when it closed the
    monitor or printed none within 10 s"""
    buf = b""
    end = time.time() + 10
    while not buf.endswith(b"(qemu) "):
        chunk = s.recv(65536) if time.time() < end else b""
        if not chunk:
            sys.stdout.write(buf.decode(errors="replace"))
            sys.exit(1)
        buf += chunk
    return buf


until_prompt()
s.sendall(sys.argv[2].encode() + b"\n")
if sys.argv[2] == "quit":
    sys.exit(0)
# drop the echo of the command line (one line, with cursor moves)
sys.stdout.write(until_prompt().decode(errors="replace").split("\n", 1)[-1])
PY
}
