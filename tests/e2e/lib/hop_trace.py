#!/usr/bin/env python3
"""Hop by hop around one migration: every capture of a REACTION_TRACE run on one time line.

    hop_trace.py WORK_DIR [--move N] [--before-ms 2] [--after-ms 15] [--port 6681]

WORK_DIR is a work directory kept by `REACTION_TRACE=1 TB_KEEP_WORK=1
tests/e2e/wire_reaction_test.sh` (vm.pcap, v2.pcap, up-a/b/c.pcap, of.pcap). Time 0 is the
RARP of move N (1-based) leaving vmn1; each line is one frame: its time in ms, the capture
(vm = vmn1's link, v2 = vmn2's, up-X = site X's uplink, OF = the OpenFlow channel) and what it
is: a probe request (REQ #seq) or reply with its addresses, an ARP, or the OpenFlow message
types (10 PACKET_IN, 13 PACKET_OUT, 14 FLOW_MOD, 20/21 BARRIER request/reply) in that segment.
"""
import argparse
import os
import subprocess
import sys


def fields(pcap, names, extra=()):
    cmd = ["tshark", "-n", "-r", pcap, *extra, "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,"]
    for n in names:
        cmd += ["-e", n]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        cols = line.split("\t")
        yield cols + [""] * (len(names) - len(cols))


def data_events(path, name):
    names = ["frame.time_epoch", "arp.opcode", "arp.src.proto_ipv4", "arp.dst.proto_ipv4", "ip.src", "ip.dst",
             "udp.dstport", "udp.payload"]
    for t, op, spa, tpa, src, dst, dport, payload in fields(path, names):
        if op:
            what = f"ARP op {op} {spa} -> {tpa}"
        else:
            seq = int.from_bytes(bytes.fromhex(payload[:8]), "little") if len(payload) >= 8 else -1
            what = f"{'REQ' if dport == '7000' else 'rep'} #{seq} {src} -> {dst}"
        yield float(t), name, what


def openflow_events(path, port):
    names = ["frame.time_epoch", "tcp.srcport", "tcp.dstport", "openflow_v4.type", "arp.opcode"]
    for t, sport, dport, types, op in fields(path, names, ["-d", f"tcp.port=={port},openflow", "-Y", "openflow_v4"]):
        who = "controller ->" if sport == str(port) else "-> controller"
        yield float(t), "OF", f"{who} {sport}->{dport} types {types}" + (f" (ARP op {op})" if op else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("work")
    ap.add_argument("--move", type=int, default=1)
    ap.add_argument("--before-ms", type=float, default=2)
    ap.add_argument("--after-ms", type=float, default=15)
    ap.add_argument("--port", type=int, default=6681)
    a = ap.parse_args()
    events = []
    for name in ("vm", "v2", "up-a", "up-b", "up-c"):
        path = os.path.join(a.work, f"{name}.pcap")
        if os.path.exists(path):
            events += data_events(path, name)
    of = os.path.join(a.work, "of.pcap")
    if os.path.exists(of):
        events += openflow_events(of, a.port)
    events.sort()
    rarps = [t for t, name, what in events if name == "vm" and what.startswith("ARP op 3")]
    firsts = [t for i, t in enumerate(rarps) if i == 0 or t - rarps[i - 1] > 1.0]
    if len(firsts) < a.move:
        print(f"hop_trace: only {len(firsts)} moves in {a.work}", file=sys.stderr)
        return 1
    t0 = firsts[a.move - 1]
    for t, name, what in events:
        if -a.before_ms <= (t - t0) * 1e3 <= a.after_ms:
            print(f"{(t - t0) * 1e3:8.3f} ms  {name:5} {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
