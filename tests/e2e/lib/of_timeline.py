#!/usr/bin/env python3
"""The timeline of each migration, read from packet captures with tshark's dissectors.

    of_timeline.py --of OF.pcap --mac MAC [--port 6653] [--data VM.pcap --probe-port 7000]
    of_timeline.py --data VM.pcap --mac MAC [--probe-port 7000]     (no controller: L2 baseline)

OF.pcap is a capture of the OpenFlow channel (tcpdump -i lo tcp port 6653). A migration starts
with the first PACKET_IN that carries a RARP (opcode 3) from MAC after more than --burst-gap-s
of silence (QEMU sends five announces 50, 150, 250 and 350 ms apart; only the first moves the
VMN); it ends where the next one starts. For each, one JSON line:

    packet_in_dpid     the datapath that sent the announce's PACKET_IN
    first_flow_mod_us  PACKET_IN -> first FLOW_MOD of the controller (any switch)
    reaction_us        PACKET_IN -> last FLOW_MOD of the migration (any switch): the reaction
                       on the wire
    barrier_reply_us   PACKET_IN -> last BARRIER_REPLY from a switch
    flow_mods          {dpid: number of FLOW_MODs} (adds and deletes)

With --data (a capture on the VMN's host-side link) each line also gets, measured from the
RARP frame on that link (the announce leaving the VMN):
    announce_to_packet_in_us  RARP on the VMN's link -> its PACKET_IN on the OpenFlow channel
    announce_to_delivery_us   RARP -> first UDP packet to --probe-port delivered to the VMN

Without --of (the L2 baseline has no controller) a migration is a burst of RARPs on the VMN's
link and each line has announce_t and announce_to_delivery_us only.

All times come from one kernel clock (both captures run on this host). Exit status 2 when
tshark fails or a capture has no OpenFlow 1.3 message.
"""
import argparse
import json
import subprocess
import sys

OFPT_FEATURES_REPLY = 6
OFPT_PACKET_IN = 10
OFPT_FLOW_MOD = 14
OFPT_BARRIER_REPLY = 21
ARP_RARP_REQUEST = 3


def tshark_rows(pcap, display_filter, fields, decode_as=()):
    cmd = ["tshark", "-n", "-r", pcap, "-Y", display_filter, "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for d in decode_as:
        cmd += ["-d", d]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        cols = line.split("\t")
        yield dict(zip(fields, cols + [""] * (len(fields) - len(cols))))


def values(cell):
    return [v for v in cell.split(",") if v != ""]


def openflow_frames(pcap, port):
    """(time, direction, stream, [types], dpid or None, [arp opcodes], [arp sender MACs])."""
    fields = ["frame.time_epoch", "tcp.stream", "tcp.srcport", "openflow_v4.type",
              "openflow_v4.switch_features.datapath_id", "arp.opcode", "arp.src.hw_mac"]
    frames = []
    for r in tshark_rows(pcap, "openflow_v4", fields, [f"tcp.port=={port},openflow"]):
        frames.append(dict(
            t=float(r["frame.time_epoch"]),
            from_controller=r["tcp.srcport"] == str(port),
            stream=r["tcp.stream"],
            types=[int(v) for v in values(r["openflow_v4.type"])],
            dpid=values(r["openflow_v4.switch_features.datapath_id"]),
            opcodes=[int(v, 0) for v in values(r["arp.opcode"])],
            macs=[v.lower() for v in values(r["arp.src.hw_mac"])],
        ))
    return frames


def data_events(pcap, mac, probe_port):
    """Times of RARP frames from MAC and of UDP packets to probe_port sent to MAC."""
    rarps, deliveries = [], []
    fields = ["frame.time_epoch", "arp.opcode", "udp.dstport", "eth.dst"]
    flt = f"(arp.opcode == 3 and arp.src.hw_mac == {mac}) or (udp.dstport == {probe_port} and eth.dst == {mac})"
    for r in tshark_rows(pcap, flt, fields):
        t = float(r["frame.time_epoch"])
        if r["arp.opcode"]:
            rarps.append(t)
        else:
            deliveries.append(t)
    return rarps, deliveries


def bursts(times, gap_s):
    """The first of each run of times separated by more than gap_s."""
    firsts, last = [], None
    for t in times:
        if last is None or t - last > gap_s:
            firsts.append(t)
        last = t
    return firsts


def migrations(frames, mac, burst_gap_s):
    dpid_of_stream = {}
    for f in frames:
        if OFPT_FEATURES_REPLY in f["types"] and f["dpid"]:
            dpid_of_stream[f["stream"]] = int(f["dpid"][0], 0)
    starts = []
    last_rarp = None
    for i, f in enumerate(frames):
        if f["from_controller"] or OFPT_PACKET_IN not in f["types"]:
            continue
        if not any(op == ARP_RARP_REQUEST and m == mac for op, m in zip(f["opcodes"], f["macs"])):
            continue
        if last_rarp is None or f["t"] - last_rarp > burst_gap_s:
            starts.append(i)
        last_rarp = f["t"]
    result = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(frames)
        t0 = frames[start]["t"]
        flow_mods = {}
        first_fm = last_fm = last_barrier = None
        for f in frames[start + 1:end]:
            dpid = dpid_of_stream.get(f["stream"])
            if f["from_controller"] and OFPT_FLOW_MOD in f["types"]:
                key = f"0x{dpid:x}" if dpid is not None else f"stream {f['stream']}"
                flow_mods[key] = flow_mods.get(key, 0) + f["types"].count(OFPT_FLOW_MOD)
                first_fm = f["t"] if first_fm is None else first_fm
                last_fm = f["t"]
            if not f["from_controller"] and OFPT_BARRIER_REPLY in f["types"]:
                last_barrier = f["t"]
        us = lambda t: None if t is None else round((t - t0) * 1e6, 1)
        dp = dpid_of_stream.get(frames[start]["stream"])
        result.append(dict(packet_in_t=t0, packet_in_dpid=None if dp is None else f"0x{dp:x}",
                           first_flow_mod_us=us(first_fm), reaction_us=us(last_fm),
                           barrier_reply_us=us(last_barrier), flow_mods=flow_mods))
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--of")
    ap.add_argument("--mac", required=True)
    ap.add_argument("--port", type=int, default=6653)
    ap.add_argument("--data")
    ap.add_argument("--probe-port", type=int, default=7000)
    ap.add_argument("--burst-gap-s", type=float, default=1.0)
    a = ap.parse_args()
    mac = a.mac.lower()
    if not a.of and not a.data:
        ap.error("--of or --data is needed")
    try:
        frames = openflow_frames(a.of, a.port) if a.of else None
        data = data_events(a.data, mac, a.probe_port) if a.data else None
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        print(f"of_timeline: tshark failed: {e}", file=sys.stderr)
        return 2
    if frames is None:
        for t_rarp in bursts(data[0], a.burst_gap_s):
            after = [t for t in data[1] if t > t_rarp]
            print(json.dumps(dict(announce_t=t_rarp, announce_to_delivery_us=round((after[0] - t_rarp) * 1e6, 1)
                                  if after else None)))
        return 0
    if not frames:
        print(f"of_timeline: no OpenFlow 1.3 message in {a.of}", file=sys.stderr)
        return 2
    for m in migrations(frames, mac, a.burst_gap_s):
        if data is not None:
            rarps, deliveries = data
            before = [t for t in rarps if t <= m["packet_in_t"]]
            if before:
                t_rarp = before[-1]
                m["announce_to_packet_in_us"] = round((m["packet_in_t"] - t_rarp) * 1e6, 1)
                after = [t for t in deliveries if t > t_rarp]
                m["announce_to_delivery_us"] = round((after[0] - t_rarp) * 1e6, 1) if after else None
        print(json.dumps(m))
    return 0


if __name__ == "__main__":
    sys.exit(main())
