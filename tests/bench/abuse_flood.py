#!/usr/bin/env python3
"""An OpenFlow 1.3 switch that floods ARP packet-ins at a controller (loopback only).

abuse_flood.py --controller 127.0.0.1:6653 --dpid 0xf100d --rate 200000 --seconds 10
Plays the handshake (HELLO, FEATURES_REPLY, PORT_DESC), answers echo and barrier requests,
then writes PACKET_INs of one ARP request (a VM on port 2 asking for the home gateway) in
chunks paced to --rate. TCP back-pressure caps the real rate at what the controller reads;
the rate offered and the rate written are printed as JSON at the end.
"""
import argparse, json, signal, socket, struct, threading, time

OFP_VERSION = 4


def header(msg_type, length, xid):
    return struct.pack("!BBHI", OFP_VERSION, msg_type, length, xid)


def port(no, name):
    return struct.pack("!I4x6s2x16sIIIIIIII", no, bytes([2, 0xf1, 0, 0, 0, no]), name.encode(), 0, 4, 0, 0, 0, 0, 0, 0)


def arp_request_frame():
    mac = bytes([2, 0xf1, 0, 0, 0, 9])
    eth = b"\xff" * 6 + mac + struct.pack("!H", 0x0806)
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac, socket.inet_aton("10.0.9.9"), b"\0" * 6,
                      socket.inet_aton("10.0.0.1"))
    frame = eth + arp
    return frame + b"\0" * (60 - len(frame))


def packet_in(in_port, frame, xid=0):
    oxm = struct.pack("!HBBI", 0x8000, 0 << 1, 4, in_port)  # OXM_OF_IN_PORT
    match = struct.pack("!HH", 1, 4 + len(oxm)) + oxm
    match += b"\0" * ((8 - len(match) % 8) % 8)
    body = struct.pack("!IHBBQ", 0xffffffff, len(frame), 1, 0, 0) + match + b"\0\0" + frame
    return header(10, 8 + len(body), xid) + body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--controller", default="127.0.0.1:6653")
    ap.add_argument("--dpid", default="0xf100d")
    ap.add_argument("--rate", type=float, default=200000)
    ap.add_argument("--seconds", type=float, default=10)
    a = ap.parse_args()
    host, port_s = a.controller.rsplit(":", 1)
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("abuse_flood.py: loopback controllers only")
    s = socket.create_connection((host, int(port_s)))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    lock = threading.Lock()
    up = threading.Event()
    done = threading.Event()

    def send(b):
        with lock:
            s.sendall(b)

    def reader():
        buf = b""
        while not done.is_set():
            try:
                chunk = s.recv(1 << 16)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            while len(buf) >= 8:
                _, t, length, xid = struct.unpack("!BBHI", buf[:8])
                if len(buf) < length:
                    break
                msg, buf = buf[:length], buf[length:]
                if t == 5:  # FEATURES_REQUEST
                    send(header(6, 32, xid) + struct.pack("!QIBB2xII", int(a.dpid, 0), 0, 254, 0, 0x4f, 0))
                elif t == 18 and struct.unpack("!H", msg[8:10])[0] == 13:  # PORT_DESC request
                    body = struct.pack("!HH4x", 13, 0) + port(1, "up-flood") + port(2, "vnet-flood")
                    send(header(19, 8 + len(body), xid) + body)
                    up.set()
                elif t == 2:  # ECHO_REQUEST
                    send(header(3, length, xid) + msg[8:])
                elif t == 20:  # BARRIER_REQUEST
                    send(header(21, 8, xid))

    send(header(0, 8, 1))  # HELLO
    threading.Thread(target=reader, daemon=True).start()
    if not up.wait(5):
        raise SystemExit("abuse_flood.py: handshake did not complete")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    one = packet_in(2, arp_request_frame())
    per_tick = max(1, int(a.rate / 100))  # paced every 10 ms
    chunk = one * per_tick
    sent = 0
    start = time.monotonic()
    tick = start
    while time.monotonic() - start < a.seconds and not stop.is_set():
        send(chunk)
        sent += per_tick
        tick += 0.01
        delay = tick - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    elapsed = time.monotonic() - start
    done.set()
    print(json.dumps({"offered_per_s": a.rate, "sent": sent, "seconds": round(elapsed, 3),
                      "written_per_s": round(sent / elapsed)}), flush=True)
    s.close()


if __name__ == "__main__":
    main()
