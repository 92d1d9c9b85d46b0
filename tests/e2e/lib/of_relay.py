#!/usr/bin/env python3
"""A scripted OpenFlow relay for fault tests: sits between one switch and the controller.

  of_relay.py --listen PORT --to HOST:PORT --control SOCKET

The switch dials 127.0.0.1:PORT; for each connection the relay dials the controller and copies
bytes both ways. The switch-to-controller stream is cut into OpenFlow messages (8-byte header)
so single messages can be held or trigger a cut. Commands, one line each on the unix socket
SOCKET (`echo status | socat - UNIX-CONNECT:SOCKET`), answered with one line:

  mode pass             forward everything (the start mode)
  mode hold-barrier [kill PID]
                        hold every BARRIER_REPLY from the switch (the rest still flows); with
                        kill PID, SIGKILL process PID the moment the first one is held (a
                        controller killed while its barrier is outstanding, with no poll delay)
  mode cut-on-barrier   at the next BARRIER_REPLY: drop it and close both sides of that
                        connection at once, then back to pass (the switch reconnects through us)
  release               forward the held replies, then pass
  cut                   close every connection now
  status                JSON: mode, live connections, accepted, barrier_replies seen, held now,
                        held_total, cuts

When either side closes, the other is closed too and anything held for it is dropped.
Loopback only. Events go to stderr with a timestamp.
"""
import argparse
import json
import os
import selectors
import signal
import socket
import struct
import sys
import time

BARRIER_REPLY = 21


def log(msg):
    print(f"{time.time():.6f} of_relay: {msg}", file=sys.stderr, flush=True)


class Pair:
    def __init__(self, switch, controller, number):
        self.switch, self.controller, self.number = switch, controller, number
        self.from_switch = b""  # bytes of an incomplete message
        self.held = []
        self.out = {switch: b"", controller: b""}  # pending writes per socket
        self.closed = False

    def peer(self, sock):
        return self.controller if sock is self.switch else self.switch


class Relay:
    def __init__(self, listen_port, target, control_path):
        self.sel = selectors.DefaultSelector()
        self.target = target
        self.mode = "pass"
        self.kill_on_hold = None  # pid to SIGKILL when a barrier reply is first held
        self.pairs = {}
        self.stats = {"accepted": 0, "barrier_replies": 0, "held_total": 0, "cuts": 0}
        self.listener = socket.create_server(("127.0.0.1", listen_port), reuse_port=False)
        self.listener.setblocking(False)
        self.sel.register(self.listener, selectors.EVENT_READ, ("accept", None))
        if os.path.exists(control_path):
            os.unlink(control_path)
        self.control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.control.bind(control_path)
        self.control.listen(8)
        self.control.setblocking(False)
        self.sel.register(self.control, selectors.EVENT_READ, ("control", None))

    # --- connections ---
    def accept(self):
        sw, addr = self.listener.accept()
        try:
            ctl = socket.create_connection(self.target, timeout=2)
        except OSError as e:
            log(f"switch {addr} connected, controller {self.target} not reachable ({e}): closing")
            sw.close()
            return
        self.stats["accepted"] += 1
        for s in (sw, ctl):
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pair = Pair(sw, ctl, self.stats["accepted"])
        self.pairs[sw] = self.pairs[ctl] = pair
        self.sel.register(sw, selectors.EVENT_READ, ("data", pair))
        self.sel.register(ctl, selectors.EVENT_READ, ("data", pair))
        log(f"connection {pair.number}: switch {addr} <-> controller {self.target}")

    def close(self, pair, why):
        if pair.closed:
            return
        pair.closed = True
        for s in (pair.switch, pair.controller):
            self.pairs.pop(s, None)
            try:
                self.sel.unregister(s)
            except (KeyError, ValueError):
                pass
            try:
                s.close()
            except OSError:
                pass
        log(f"connection {pair.number} closed: {why} ({len(pair.held)} held messages dropped)")

    def send(self, pair, sock, data):
        pair.out[sock] += data
        self.flush(pair, sock)

    def flush(self, pair, sock):
        if pair.closed:
            return
        try:
            while pair.out[sock]:
                n = sock.send(pair.out[sock])
                pair.out[sock] = pair.out[sock][n:]
        except BlockingIOError:
            pass
        except OSError as e:
            self.close(pair, f"write failed: {e}")
            return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if pair.out[sock] else 0)
        self.sel.modify(sock, events, ("data", pair))

    def on_data(self, pair, sock, mask):
        if mask & selectors.EVENT_WRITE:
            self.flush(pair, sock)
            if pair.closed:
                return
        if not mask & selectors.EVENT_READ:
            return
        try:
            data = sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as e:
            self.close(pair, f"read failed: {e}")
            return
        if not data:
            self.close(pair, "switch closed" if sock is pair.switch else "controller closed")
            return
        if sock is pair.controller:
            self.send(pair, pair.switch, data)
            return
        pair.from_switch += data
        while len(pair.from_switch) >= 8:
            _, kind, length = struct.unpack("!BBH", pair.from_switch[:4])
            if length < 8 or len(pair.from_switch) < length:
                if length < 8:  # not OpenFlow: pass the rest through untouched
                    self.send(pair, pair.controller, pair.from_switch)
                    pair.from_switch = b""
                break
            msg, pair.from_switch = pair.from_switch[:length], pair.from_switch[length:]
            if kind == BARRIER_REPLY:
                self.stats["barrier_replies"] += 1
                xid = struct.unpack("!I", msg[4:8])[0]
                if self.mode == "hold-barrier":
                    pair.held.append(msg)
                    self.stats["held_total"] += 1
                    log(f"connection {pair.number}: holding BARRIER_REPLY xid {xid}")
                    if self.kill_on_hold is not None:
                        pid, self.kill_on_hold = self.kill_on_hold, None
                        try:
                            os.kill(pid, signal.SIGKILL)
                            log(f"sent SIGKILL to {pid}")
                        except OSError as e:
                            log(f"cannot kill {pid}: {e}")
                    continue
                if self.mode == "cut-on-barrier":
                    self.mode = "pass"
                    self.stats["cuts"] += 1
                    self.close(pair, f"cut at BARRIER_REPLY xid {xid} (dropped)")
                    return
            self.send(pair, pair.controller, msg)

    # --- control ---
    def unique_pairs(self):
        seen = []
        for p in self.pairs.values():
            if p not in seen:
                seen.append(p)
        return seen

    def command(self, line):
        words = line.split()
        if words[:1] == ["mode"] and len(words) == 2 and words[1] in ("pass", "hold-barrier", "cut-on-barrier"):
            self.mode, self.kill_on_hold = words[1], None
            log(f"mode {self.mode}")
            return "ok"
        if words[:2] == ["mode", "hold-barrier"] and len(words) == 4 and words[2] == "kill" and words[3].isdigit():
            self.mode, self.kill_on_hold = "hold-barrier", int(words[3])
            log(f"mode hold-barrier, SIGKILL to {self.kill_on_hold} at the first held reply")
            return "ok"
        if words == ["release"]:
            for p in self.unique_pairs():
                held, p.held = p.held, []
                for m in held:
                    self.send(p, p.controller, m)
            self.mode = "pass"
            log("released held messages; mode pass")
            return "ok"
        if words == ["cut"]:
            for p in self.unique_pairs():
                self.stats["cuts"] += 1
                self.close(p, "cut by command")
            return "ok"
        if words == ["status"]:
            pairs = self.unique_pairs()
            return json.dumps(dict(self.stats, mode=self.mode, connections=len(pairs),
                                   held=sum(len(p.held) for p in pairs)))
        return f"error: unknown command {line!r}"

    def on_control(self):
        conn, _ = self.control.accept()
        conn.settimeout(2)
        try:
            data = b""
            while not data.endswith(b"\n"):
                chunk = conn.recv(1024)
                if not chunk:
                    break
                data += chunk
            reply = self.command(data.decode().strip())
            conn.sendall(reply.encode() + b"\n")
        except OSError:
            pass
        finally:
            conn.close()

    def run(self):
        while True:
            for key, mask in self.sel.select():
                kind, pair = key.data
                if kind == "accept":
                    self.accept()
                elif kind == "control":
                    self.on_control()
                elif not pair.closed:
                    self.on_data(pair, key.fileobj, mask)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--to", required=True, help="controller HOST:PORT")
    ap.add_argument("--control", required=True)
    a = ap.parse_args()
    host, _, port = a.to.rpartition(":")
    relay = Relay(a.listen, (host, int(port)), a.control)
    log(f"listening on 127.0.0.1:{a.listen} for {a.to}, control {a.control}")
    try:
        relay.run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
