#!/usr/bin/env python3
"""Minimal QMP client for the QEMU e2e tests (QEMU Machine Protocol, docs/interop/qmp-spec).

  qmp.py SOCKET wait-ready [TIMEOUT_S]     until the monitor answers (QEMU started)
  qmp.py SOCKET cmd NAME [JSON_ARGS]       runs one command, prints its "return" as JSON
  qmp.py SOCKET migrate URI [TIMEOUT_S]    starts a migration on the source, polls
                                           query-migrate until it completes, prints its stats
  qmp.py SOCKET wait-event NAME [TIMEOUT_S] prints the event when it arrives
Exit status 1 on an error reply, a failed migration or a timeout.
"""
import json
import socket
import sys
import time


class Qmp:
    def __init__(self, path, timeout):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.events = []
        self.read()  # greeting
        self.execute("qmp_capabilities")

    def read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("monitor closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def execute(self, name, args=None):
        msg = {"execute": name}
        if args:
            msg["arguments"] = args
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self.read()
            if "event" in reply:
                self.events.append(reply)
                continue
            if "error" in reply:
                raise RuntimeError(f"{name}: {reply['error']}")
            return reply.get("return")

    def wait_event(self, name, deadline):
        while True:
            for e in self.events:
                if e["event"] == name:
                    return e
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            reply = self.read()
            if "event" in reply:
                self.events.append(reply)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    path, op = argv[1], argv[2]
    if op == "wait-ready":
        deadline = time.monotonic() + float(argv[3] if len(argv) > 3 else 30)
        while time.monotonic() < deadline:
            try:
                Qmp(path, 2).execute("query-status")
                return 0
            except (OSError, EOFError, ValueError):
                time.sleep(0.1)
        return 1
    if op == "cmd":
        args = json.loads(argv[4]) if len(argv) > 4 else None
        print(json.dumps(Qmp(path, 10).execute(argv[3], args)))
        return 0
    if op == "migrate":
        timeout = float(argv[4] if len(argv) > 4 else 60)
        q = Qmp(path, 10)
        q.execute("migrate", {"uri": argv[3]})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = q.execute("query-migrate")
            status = info.get("status")
            if status == "completed":
                print(json.dumps({k: info.get(k) for k in
                                  ("status", "total-time", "downtime", "setup-time")}
                                 | {"ram-transferred": info.get("ram", {}).get("transferred")}))
                return 0
            if status in ("failed", "cancelled"):
                print(json.dumps(info), file=sys.stderr)
                return 1
            time.sleep(0.02)
        print("migration did not complete in time", file=sys.stderr)
        return 1
    if op == "wait-event":
        timeout = float(argv[4] if len(argv) > 4 else 30)
        q = Qmp(path, timeout)
        print(json.dumps(q.wait_event(argv[3], time.monotonic() + timeout)))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (OSError, EOFError, RuntimeError, ValueError) as e:
        print(f"qmp.py: {e}", file=sys.stderr)
        sys.exit(1)
