# vmnmob_osken: the paper's design (Fujimoto et al., HoA<->MoA rewriting on the edge OFS, VMN
# detection by ARP, migration by RARP) as an os-ken app (OpenFlow 1.3). os-ken is the maintained
# fork of Ryu, which the paper's prototype used. This is the benchmark's peer: it does what
# libvmnmob's mobility engine does (docs/MOBILITY.md: same tables, priorities, cookies, flows,
# answers and make-before-break order), reads the same JSON configuration as vmnctl-ofc, and
# keeps no state across restarts (no state file, no SIGHUP).
#
#   VMNMOB_OSKEN_CONFIG=/path/config.json osken-manager --ofp-tcp-listen-port 6653 vmnmob_osken.py
#
# (tests/bench/peers/osken/run-osken.sh does exactly that.) One event thread drives everything,
# like the engine's single event loop; a second green thread only ticks the timers.

import collections
import dataclasses
import ipaddress
import json
import os
import time
from typing import Optional

from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import DEAD_DISPATCHER, MAIN_DISPATCHER, set_ev_cls
from os_ken.lib import hub
from os_ken.lib.packet import arp, ethernet, packet
from os_ken.ofproto import ofproto_v1_3

ETH_TYPE_IPV4 = 0x0800
ETH_TYPE_ARP = 0x0806
ETH_TYPE_RARP = 0x8035
ARP_REQUEST, ARP_REPLY = 1, 2
BROADCAST = "ff:ff:ff:ff:ff:ff"
ZERO_MAC = "00:00:00:00:00:00"
UNSPECIFIED = "0.0.0.0"

# The five consecutive tables and the priorities of docs/MOBILITY.md ("Table layout").
T_CLASSIFY, T_EGRESS, T_INGRESS, T_EGRESS_SOURCE, T_INGRESS_SOURCE = range(5)
PRIO_ARP, PRIO_UPLINK, PRIO_TRANSLATE, PRIO_UNKNOWN_HOME, PRIO_MISS = 1000, 100, 300, 200, 0

# Cookies: owner(8) | kind(8) | generation(16) | VMN id(32), so exactly one group can be deleted.
COOKIE_OWNER = 0xA7
KIND_BASE, KIND_LOCAL, KIND_REMOTE = 1, 2, 3
COOKIE_EXACT = 0xFFFFFFFFFFFFFFFF
COOKIE_OWNER_MASK = 0xFF << 56

TICK_S = 0.5
GATEWAY_PROBE_INTERVAL_S = 2.0


def cookie(kind, generation, vmn_id=0):
    return (COOKIE_OWNER << 56) | (kind << 48) | ((generation & 0xFFFF) << 32) | (vmn_id & 0xFFFFFFFF)


# ---- configuration: the schema of vmnctl-ofc (apps/vmnctl-ofc/config.cpp) ----------------------

class ConfigError(ValueError):
    pass


def parse_dpid(text):
    """0x-hex, OVS-style colon-separated hex (8 octets) or decimal, as vmnctl-ofc accepts."""
    try:
        if text[:2] in ("0x", "0X") and len(text) <= 18:
            return int(text[2:], 16)
        if ":" in text:
            octets = text.split(":")
            if len(text) != 23 or len(octets) != 8 or any(len(o) != 2 for o in octets):
                raise ValueError(text)
            return int("".join(octets), 16)
        if text.isdigit():
            return int(text, 10)
    except ValueError:
        pass
    raise ConfigError("not a datapath id: %r" % text)


def parse_pool_entry(text):
    """A range "a.b.c.d-e.f.g.h" or a prefix; a prefix shorter than /31 gives its host addresses."""
    if "-" in text:
        first, last = (int(ipaddress.IPv4Address(part.strip())) for part in text.split("-", 1))
        if last < first:
            raise ConfigError("empty range %r" % text)
        return first, last
    net = ipaddress.IPv4Network(text, strict=False)
    lo, hi = int(net.network_address), int(net.broadcast_address)
    return (lo, hi) if net.prefixlen >= 31 else (lo + 1, hi - 1)


@dataclasses.dataclass
class SiteConfig:
    name: str
    dpid: int
    uplink_port: Optional[int]
    uplink_name: str
    gateway_ip: str
    gateway_mac: Optional[str]
    pool_ranges: list
    vm_port_prefixes: list


@dataclasses.dataclass
class Config:
    home_prefix: ipaddress.IPv4Network
    home_gateway: str
    virtual_gateway_mac: str
    sites: list
    hold_s: float
    probe_timeout_s: float


def load_config(path):
    with open(path) as f:
        doc = json.load(f)
    try:
        home = doc["home"]
        prefix = ipaddress.IPv4Network(home["prefix"], strict=False)
        gateway = str(ipaddress.IPv4Address(home["gateway"]))
        if ipaddress.IPv4Address(gateway) not in prefix:
            raise ConfigError("home.gateway is not inside home.prefix")
        sites = []
        for i, s in enumerate(doc["sites"]):
            uplink = s["uplink"]
            if isinstance(uplink, bool) or not isinstance(uplink, (int, str)) or uplink in (0, ""):
                raise ConfigError("sites[%d].uplink: a port number or a port name" % i)
            mac = s.get("gateway_mac")
            sites.append(SiteConfig(
                name=s.get("name", ""), dpid=parse_dpid(str(s["dpid"])),
                uplink_port=uplink if isinstance(uplink, int) else None,
                uplink_name=uplink if isinstance(uplink, str) else "",
                gateway_ip=str(ipaddress.IPv4Address(s["gateway"])),
                gateway_mac=mac.lower() if mac else None,
                pool_ranges=sorted(parse_pool_entry(p) for p in s["mobile_pool"]),
                vm_port_prefixes=list(s.get("vm_ports", []))))
        mobility = doc.get("mobility", {})
        return Config(home_prefix=prefix, home_gateway=gateway,
                      virtual_gateway_mac=home.get("virtual_gateway_mac", "02:00:5e:00:00:01").lower(),
                      sites=sites, hold_s=float(mobility.get("moa_hold_s", 60)),
                      probe_timeout_s=float(mobility.get("probe_timeout_s", 3)))
    except (KeyError, TypeError, ValueError) as e:
        raise ConfigError("%s: %s" % (path, e)) from e


# ---- the MoA pool: fresh addresses first, released ones only after the hold time ---------------

class AddressPool:
    def __init__(self, ranges, hold_s):
        self.hold_s = hold_s
        self._fresh = (a for lo, hi in ranges for a in range(lo, hi + 1))
        self._free = collections.deque()  # released and past their hold, oldest first
        self._held = collections.deque()  # (address, until)
        self.in_use = set()

    def allocate(self, now):
        """The next MoA as a dotted string, or None when exhausted (never a duplicate)."""
        self._expire(now)
        a = next(self._fresh, None)
        if a is None:
            if not self._free:
                return None
            a = self._free.popleft()
        moa = str(ipaddress.IPv4Address(a))
        self.in_use.add(moa)
        return moa

    def release(self, moa, now):
        if moa in self.in_use:
            self.in_use.discard(moa)
            self._held.append((int(ipaddress.IPv4Address(moa)), now + self.hold_s))
            self._expire(now)

    def _expire(self, now):
        while self._held and self._held[0][1] <= now:
            self._free.append(self._held.popleft()[0])


# ---- the registry (paper table 3) and what each switch holds -----------------------------------

@dataclasses.dataclass
class Vmn:
    id: int
    mac: str
    hoa: str
    moa: str
    dpid: int
    port: int
    generation: int = 0
    correspondents: set = dataclasses.field(default_factory=set)


@dataclasses.dataclass(frozen=True)
class LocalFlows:
    """What a switch got for one of its own VMNs (compared to decide whether to rewrite)."""
    generation: int
    mac: str
    hoa: str
    moa: str
    port: int
    gateway_mac: Optional[str]
    uplink: Optional[int]

    @property
    def has_egress(self):
        return self.gateway_mac is not None and self.uplink is not None


@dataclasses.dataclass
class RemoteEntry:
    """A VMN attached elsewhere that VMNs of this switch talk to: refs is how many do; its
    remote flows are wanted here while refs > 0; installed is (generation, hoa, moa) or None."""
    refs: int = 0
    installed: Optional[tuple] = None


class Switch:
    """Per OFS state (paper table 2): pool, gateway MAC, datapath; plus what was sent to it."""

    def __init__(self, site, hold_s):
        self.site = site
        self.pool = AddressPool(site.pool_ranges, hold_s)
        self.datapath = None
        self.port_names = {}
        self.uplink = site.uplink_port
        self.gateway_mac = site.gateway_mac
        self.last_gateway_probe = 0.0
        self.base_generation = 0
        self.base = None  # (generation, uplink) as installed
        self.local = {}   # VMN id -> LocalFlows
        self.remote = {}  # VMN id -> RemoteEntry

    @property
    def connected(self):
        return self.datapath is not None

    def forget_installed(self):
        self.base = None
        self.local.clear()
        for vmn_id in list(self.remote):
            self.remote[vmn_id].installed = None
            if self.remote[vmn_id].refs == 0:
                del self.remote[vmn_id]

    def resolve_uplink(self):
        if self.site.uplink_port is not None:
            self.uplink = self.site.uplink_port
            return
        self.uplink = next((no for no, name in self.port_names.items() if name == self.site.uplink_name), None)

    def is_vm_port(self, port_no):
        if port_no == self.uplink or port_no == 0 or port_no > ofproto_v1_3.OFPP_MAX:
            return False
        prefixes = self.site.vm_port_prefixes
        return not prefixes or any(self.port_names.get(port_no, "").startswith(p) for p in prefixes)


@dataclasses.dataclass
class ArpFrame:
    eth_dst: str
    eth_src: str
    ethertype: int
    opcode: int
    sender_mac: str
    sender_ip: str
    target_mac: str
    target_ip: str

    @property
    def is_rarp(self):
        return self.ethertype == ETH_TYPE_RARP

    @property
    def is_gratuitous(self):
        return self.ethertype == ETH_TYPE_ARP and self.sender_ip != UNSPECIFIED and self.sender_ip == self.target_ip


def parse_arp_frame(data):
    """ARP or RARP (os-ken's ethernet parser knows no RARP, so the body is parsed directly);
    tagged frames are ignored like the engine does."""
    try:
        eth, _, body = ethernet.ethernet.parser(data)
        if eth.ethertype not in (ETH_TYPE_ARP, ETH_TYPE_RARP):
            return None
        a, _, _ = arp.arp.parser(body)
    except Exception:  # a short or malformed frame is not ours to answer
        return None
    if a.hwtype != 1 or a.proto != ETH_TYPE_IPV4 or a.hlen != 6 or a.plen != 4:
        return None
    return ArpFrame(eth.dst, eth.src, eth.ethertype, a.opcode, a.src_mac, a.src_ip, a.dst_mac, a.dst_ip)


def arp_bytes(f):
    pkt = packet.Packet()
    pkt.add_protocol(ethernet.ethernet(dst=f.eth_dst, src=f.eth_src, ethertype=f.ethertype))
    pkt.add_protocol(arp.arp(opcode=f.opcode, src_mac=f.sender_mac, src_ip=f.sender_ip,
                             dst_mac=f.target_mac, dst_ip=f.target_ip))
    pkt.serialize()
    return pkt.data


class Batch:
    """One event's messages in the engine's order: adds, packet-outs, then (after a barrier on
    every switch that got adds, and only once all barrier replies are in) the deletes, so every
    correspondent points at the new MoA before the old location's flows go."""

    def __init__(self, started):
        self.started = started
        self.adds = []         # (dpid, msg)
        self.packet_outs = []  # (dpid, msg)
        self.deletes = []      # (dpid, msg)
        self.done_logs = []    # lines logged when the last flow write is sent, with the reaction
        self.waiting = set()   # (dpid, xid) of barriers not yet answered


class VmnMobility(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        path = os.environ.get("VMNMOB_OSKEN_CONFIG")
        if not path:
            raise ConfigError("VMNMOB_OSKEN_CONFIG must name the vmnctl-ofc JSON configuration")
        self.config = load_config(path)
        self.switches = {s.dpid: Switch(s, self.config.hold_s) for s in self.config.sites}
        self.vmns = []  # by id
        self.by_mac, self.by_hoa, self.by_moa = {}, {}, {}
        self.pending_probes = []  # [hoa, asker id, expires]
        self.waiting_batches = {}  # (dpid, xid) -> Batch
        self.batch = None
        self.logger.info("vmnmob-osken: %d sites from %s", len(self.switches), path)
        self.ticker = hub.spawn(self._tick_loop)

    # ---- sending ----------------------------------------------------------------------------

    def _begin(self):
        self.batch = Batch(time.perf_counter())
        return self.batch

    def _flush(self):
        b, self.batch = self.batch, None
        barrier_dps = sorted({dp for dp, _ in b.adds})
        for dp, msg in b.adds + b.packet_outs:
            self._send(dp, msg)
        if b.deletes and barrier_dps:
            for dp in barrier_dps:
                datapath = self.switches[dp].datapath
                if datapath is None:
                    continue
                barrier = datapath.ofproto_parser.OFPBarrierRequest(datapath)
                datapath.send_msg(barrier)  # assigns the xid
                b.waiting.add((dp, barrier.xid))
                self.waiting_batches[(dp, barrier.xid)] = b
        if not b.waiting:
            self._finish(b)

    def _finish(self, b):
        for dp, msg in b.deletes:
            self._send(dp, msg)
        reaction_us = int((time.perf_counter() - b.started) * 1e6)
        for line in b.done_logs:
            self.logger.info("%s reaction %d us", line, reaction_us)

    def _send(self, dp, msg):
        sw = self.switches.get(dp)
        if sw is not None and sw.datapath is not None:
            sw.datapath.send_msg(msg)

    def _flow_mod(self, sw, table, priority, cookie_value, match, instructions):
        p = sw.datapath.ofproto_parser
        return p.OFPFlowMod(sw.datapath, cookie=cookie_value, table_id=table, priority=priority,
                            command=ofproto_v1_3.OFPFC_ADD, buffer_id=ofproto_v1_3.OFP_NO_BUFFER,
                            match=match, instructions=instructions)

    def _delete_by_cookie(self, sw, cookie_value, mask=COOKIE_EXACT):
        p = sw.datapath.ofproto_parser
        return p.OFPFlowMod(sw.datapath, cookie=cookie_value, cookie_mask=mask,
                            table_id=ofproto_v1_3.OFPTT_ALL, command=ofproto_v1_3.OFPFC_DELETE,
                            out_port=ofproto_v1_3.OFPP_ANY, out_group=ofproto_v1_3.OFPG_ANY,
                            match=p.OFPMatch())

    def _packet_out(self, dp, port, frame):
        sw = self.switches[dp]
        if not sw.connected:
            return
        p = sw.datapath.ofproto_parser
        msg = p.OFPPacketOut(sw.datapath, buffer_id=ofproto_v1_3.OFP_NO_BUFFER,
                             in_port=ofproto_v1_3.OFPP_CONTROLLER,
                             actions=[p.OFPActionOutput(port)], data=arp_bytes(frame))
        self.batch.packet_outs.append((dp, msg))

    # ---- the flows (docs/MOBILITY.md "Table layout") ----------------------------------------

    def _base_flows(self, sw, generation):
        p = sw.datapath.ofproto_parser
        c = cookie(KIND_BASE, generation)
        apply = ofproto_v1_3.OFPIT_APPLY_ACTIONS
        to_controller = [p.OFPInstructionActions(apply, [p.OFPActionOutput(
            ofproto_v1_3.OFPP_CONTROLLER, ofproto_v1_3.OFPCML_NO_BUFFER)])]
        net = self.config.home_prefix
        flows = [
            # RARP has its own flow so the announce never queues behind other packet-ins.
            (T_CLASSIFY, PRIO_ARP, p.OFPMatch(eth_type=ETH_TYPE_RARP), to_controller),
            # All ARP, unicast too: guests re-check neighbours by unicast ARP.
            (T_CLASSIFY, PRIO_ARP, p.OFPMatch(eth_type=ETH_TYPE_ARP), to_controller),
        ]
        if sw.uplink is not None:
            flows.append((T_CLASSIFY, PRIO_UPLINK, p.OFPMatch(in_port=sw.uplink),
                          [p.OFPInstructionGotoTable(T_INGRESS)]))
        flows += [
            (T_CLASSIFY, PRIO_MISS, p.OFPMatch(), [p.OFPInstructionGotoTable(T_EGRESS)]),
            (T_EGRESS, PRIO_UNKNOWN_HOME,
             p.OFPMatch(eth_type=ETH_TYPE_IPV4, ipv4_dst=(str(net.network_address), str(net.netmask))), []),
            (T_EGRESS, PRIO_MISS, p.OFPMatch(), []),
            (T_INGRESS, PRIO_MISS, p.OFPMatch(), []),
            (T_EGRESS_SOURCE, PRIO_MISS, p.OFPMatch(), []),
            # No instruction: the action set written in T+2 outputs the packet (OF 1.3 5.10).
            (T_INGRESS_SOURCE, PRIO_MISS, p.OFPMatch(), []),
        ]
        return [self._flow_mod(sw, t, prio, c, m, i) for t, prio, m, i in flows]

    def _local_flows(self, sw, v, egress_only=False):
        """A VMN attached here: local delivery (T+1), ingress MoA->HoA (T+2), egress HoA->MoA
        toward the site gateway (T+3, once gateway MAC and uplink are known)."""
        p = sw.datapath.ofproto_parser
        c = cookie(KIND_LOCAL, v.generation, v.id)
        apply = ofproto_v1_3.OFPIT_APPLY_ACTIONS
        flows = []
        if not egress_only:
            flows.append(self._flow_mod(sw, T_EGRESS, PRIO_TRANSLATE, c,
                                        p.OFPMatch(eth_type=ETH_TYPE_IPV4, ipv4_dst=v.hoa),
                                        [p.OFPInstructionActions(apply, [p.OFPActionSetField(eth_dst=v.mac),
                                                                         p.OFPActionOutput(v.port)])]))
            flows.append(self._flow_mod(sw, T_INGRESS, PRIO_TRANSLATE, c,
                                        p.OFPMatch(eth_type=ETH_TYPE_IPV4, ipv4_dst=v.moa), [
                p.OFPInstructionActions(apply, [p.OFPActionSetField(ipv4_dst=v.hoa),
                                                p.OFPActionSetField(eth_src=self.config.virtual_gateway_mac),
                                                p.OFPActionSetField(eth_dst=v.mac)]),
                p.OFPInstructionActions(ofproto_v1_3.OFPIT_WRITE_ACTIONS, [p.OFPActionOutput(v.port)]),
                p.OFPInstructionGotoTable(T_INGRESS_SOURCE)]))
        if v.gateway_mac is not None and v.uplink is not None:
            flows.append(self._flow_mod(sw, T_EGRESS_SOURCE, PRIO_TRANSLATE, c,
                                        p.OFPMatch(in_port=v.port, eth_type=ETH_TYPE_IPV4, ipv4_src=v.hoa),
                                        [p.OFPInstructionActions(apply, [p.OFPActionSetField(ipv4_src=v.moa),
                                                                         p.OFPActionSetField(eth_dst=v.gateway_mac),
                                                                         p.OFPActionOutput(v.uplink)])]))
        return flows

    def _remote_flows(self, sw, vmn_id, generation, hoa, moa):
        """A correspondent attached elsewhere: HoA->MoA on the way out (T+1, then T+3 rewrites
        our source), MoA->HoA on the way in (T+4)."""
        p = sw.datapath.ofproto_parser
        c = cookie(KIND_REMOTE, generation, vmn_id)
        apply = ofproto_v1_3.OFPIT_APPLY_ACTIONS
        return [
            self._flow_mod(sw, T_EGRESS, PRIO_TRANSLATE, c, p.OFPMatch(eth_type=ETH_TYPE_IPV4, ipv4_dst=hoa),
                           [p.OFPInstructionActions(apply, [p.OFPActionSetField(ipv4_dst=moa)]),
                            p.OFPInstructionGotoTable(T_EGRESS_SOURCE)]),
            self._flow_mod(sw, T_INGRESS_SOURCE, PRIO_TRANSLATE, c, p.OFPMatch(eth_type=ETH_TYPE_IPV4, ipv4_src=moa),
                           [p.OFPInstructionActions(apply, [p.OFPActionSetField(ipv4_src=hoa)])]),
        ]

    # ---- keeping each switch in line with the registry ---------------------------------------

    def _sync_base(self, dp, sw):
        if not sw.connected:
            return
        want = (sw.base_generation, sw.uplink)
        if sw.base == want:
            return
        stale = None
        if sw.base is not None and sw.base[1] != sw.uplink:
            # The uplink flow's match changes: a new generation, the old one deleted exactly.
            stale = cookie(KIND_BASE, sw.base[0])
            sw.base_generation += 1
            want = (sw.base_generation, sw.uplink)
        self.batch.adds += [(dp, m) for m in self._base_flows(sw, want[0])]
        if stale is not None:
            self.batch.deletes.append((dp, self._delete_by_cookie(sw, stale)))
        sw.base = want

    def _sync_local(self, dp, v):
        sw = self.switches.get(dp)
        if sw is None or not sw.connected:
            return
        installed = sw.local.get(v.id)
        if v.dpid != dp:
            if installed is not None:
                self.batch.deletes.append((dp, self._delete_by_cookie(sw, cookie(KIND_LOCAL, installed.generation, v.id))))
                del sw.local[v.id]
            return
        want = LocalFlows(v.generation, v.mac, v.hoa, v.moa, v.port, sw.gateway_mac, sw.uplink)
        if installed == want:
            return
        self.batch.adds += [(dp, m) for m in self._local_flows(sw, want_as_vmn(v.id, want))]
        if installed is not None:
            # Same generation: same matches, replaced in place by the adds; only the egress flow
            # of a lost uplink has to go on its own.
            if installed.generation != want.generation:
                self.batch.deletes.append((dp, self._delete_by_cookie(sw, cookie(KIND_LOCAL, installed.generation, v.id))))
            elif installed.has_egress and not want.has_egress:
                for fm in self._local_flows(sw, want_as_vmn(v.id, installed), egress_only=True):
                    fm.command = ofproto_v1_3.OFPFC_DELETE_STRICT
                    fm.cookie_mask = COOKIE_EXACT
                    fm.out_port, fm.out_group, fm.instructions = ofproto_v1_3.OFPP_ANY, ofproto_v1_3.OFPG_ANY, []
                    self.batch.deletes.append((dp, fm))
        sw.local[v.id] = want

    def _sync_remote(self, dp, v):
        sw = self.switches.get(dp)
        if sw is None or not sw.connected:
            return
        entry = sw.remote.get(v.id)
        if entry is None:
            return  # neither wanted nor installed
        if v.dpid == dp or entry.refs == 0:
            if entry.installed is not None:
                self.batch.deletes.append((dp, self._delete_by_cookie(sw, cookie(KIND_REMOTE, entry.installed[0], v.id))))
                entry.installed = None
            if entry.refs == 0:
                del sw.remote[v.id]
            return
        want = (v.generation, v.hoa, v.moa)
        if entry.installed == want:
            return
        self.batch.adds += [(dp, m) for m in self._remote_flows(sw, v.id, *want)]
        if entry.installed is not None and entry.installed[0] != want[0]:
            self.batch.deletes.append((dp, self._delete_by_cookie(sw, cookie(KIND_REMOTE, entry.installed[0], v.id))))
        entry.installed = want

    def _sync_all_local(self, dp):
        for v in self.vmns:
            if v.dpid == dp:
                self._sync_local(dp, v)

    def _add_ref(self, dp, peer_id):
        sw = self.switches.get(dp)
        if sw is not None:
            sw.remote.setdefault(peer_id, RemoteEntry()).refs += 1

    def _drop_ref(self, dp, peer_id):
        sw = self.switches.get(dp)
        entry = sw.remote.get(peer_id) if sw is not None else None
        if entry is not None and entry.refs > 0:
            entry.refs -= 1  # the entry goes with its flows, in _sync_remote

    # ---- ARP out ----------------------------------------------------------------------------

    def _reply(self, dp, port, to_mac, to_ip, answer_mac, answer_ip):
        self._packet_out(dp, port, ArpFrame(to_mac, answer_mac, ETH_TYPE_ARP, ARP_REPLY,
                                            answer_mac, answer_ip, to_mac, to_ip))

    def _probe_gateway(self, dp, sw):
        # An ARP probe from 0.0.0.0 is answered by a Linux router: the gateway MAC is learnt
        # without owning an address on the site LAN.
        if sw.gateway_mac is not None or sw.uplink is None:
            return
        vgw = self.config.virtual_gateway_mac
        self._packet_out(dp, sw.uplink, ArpFrame(BROADCAST, vgw, ETH_TYPE_ARP, ARP_REQUEST,
                                                 vgw, UNSPECIFIED, ZERO_MAC, sw.site.gateway_ip))
        sw.last_gateway_probe = time.monotonic()

    def _announce_moa(self, dp, v):
        # A Linux router makes a neighbour entry from a request for its own address, not from a
        # gratuitous ARP: ask for the site gateway from the MoA.
        sw = self.switches.get(dp)
        if sw is None or not sw.connected or sw.uplink is None:
            return
        self._packet_out(dp, sw.uplink, ArpFrame(BROADCAST, v.mac, ETH_TYPE_ARP, ARP_REQUEST,
                                                 v.mac, v.moa, ZERO_MAC, sw.site.gateway_ip))

    # ---- behaviour (docs/MOBILITY.md "Behaviour") -------------------------------------------

    def _link(self, a, b):
        if a.id == b.id or b.id in a.correspondents:
            return
        a.correspondents.add(b.id)
        b.correspondents.add(a.id)
        self._add_ref(a.dpid, b.id)
        self._add_ref(b.dpid, a.id)
        self._sync_remote(a.dpid, b)
        self._sync_remote(b.dpid, a)
        self.logger.info("correspondents-linked %s <-> %s (%s)", a.mac, b.mac, b.hoa)

    def _detect(self, dp, port, sw, mac, hoa):
        moa = sw.pool.allocate(time.monotonic())
        if moa is None:
            self.logger.warning("pool-exhausted dp %#x: no MoA for %s hoa %s", dp, mac, hoa)
            return None
        v = Vmn(len(self.vmns), mac, hoa, moa, dp, port)
        self.vmns.append(v)
        self.by_mac[mac], self.by_hoa[hoa], self.by_moa[moa] = v, v, v
        self.logger.info("vmn-detected %s hoa %s moa %s at dp %#x port %d", mac, hoa, moa, dp, port)
        self._sync_local(dp, v)
        self._announce_moa(dp, v)
        self._answer_pending(v)
        return v

    def _answer_pending(self, found):
        still = []
        for hoa, asker_id, expires in self.pending_probes:
            if hoa != found.hoa:
                still.append([hoa, asker_id, expires])
                continue
            asker = self.vmns[asker_id]
            self._reply(asker.dpid, asker.port, asker.mac, asker.hoa, found.mac, found.hoa)
            self._link(asker, found)
        self.pending_probes = still

    def _migrate(self, v, dp, port):
        old_dp, old_port, old_moa = v.dpid, v.port, v.moa
        now = time.monotonic()
        moa = old_moa
        if dp != old_dp:
            moa = self.switches[dp].pool.allocate(now)
            if moa is None:
                self.logger.warning("pool-exhausted dp %#x: %s stays at dp %#x", dp, v.mac, old_dp)
                return
            del self.by_moa[old_moa]
            self.by_moa[moa] = v
            v.moa = moa
        v.dpid, v.port = dp, port
        v.generation += 1
        if dp != old_dp:
            self.switches[old_dp].pool.release(old_moa, now)
            for peer_id in v.correspondents:
                self._drop_ref(old_dp, peer_id)
                self._add_ref(dp, peer_id)
        # New state first; the batch sends the deletes only after the barriers anyway.
        self._sync_local(dp, v)
        self._sync_remote(dp, v)
        for peer_id in sorted(v.correspondents):
            peer = self.vmns[peer_id]
            self._sync_remote(peer.dpid, v)
            self._sync_remote(dp, peer)
        self._sync_local(old_dp, v)
        self._sync_remote(old_dp, v)
        for peer_id in sorted(v.correspondents):
            self._sync_remote(old_dp, self.vmns[peer_id])
        if moa != old_moa:
            self._announce_moa(dp, v)
        self.batch.done_logs.append("migrated %s hoa %s from dp %#x port %d moa %s to dp %#x port %d moa %s"
                                    % (v.mac, v.hoa, old_dp, old_port, old_moa, dp, port, moa))

    def _probe(self, asker, hoa):
        now = time.monotonic()
        probing = False
        for entry in self.pending_probes:
            if entry[0] != hoa:
                continue
            probing = True
            if entry[1] == asker.id:
                entry[2] = now + self.config.probe_timeout_s
                return
        self.pending_probes.append([hoa, asker.id, now + self.config.probe_timeout_s])
        if probing:
            return
        # Broadcasts cross no site (and no secure bridge): ask every VM port of every switch in
        # the home gateway's name, so that the answer comes to the controller.
        vgw = self.config.virtual_gateway_mac
        frame = ArpFrame(BROADCAST, vgw, ETH_TYPE_ARP, ARP_REQUEST, vgw, self.config.home_gateway, ZERO_MAC, hoa)
        for dp, sw in self.switches.items():
            if not sw.connected:
                continue
            for no in sorted(sw.port_names):
                if (dp, no) != (asker.dpid, asker.port) and sw.is_vm_port(no):
                    self._packet_out(dp, no, frame)
        self.logger.info("probe-sent hoa %s for %s", hoa, asker.mac)

    def _answer_request(self, dp, port, asker, f):
        if f.target_ip == self.config.home_gateway:
            self._reply(dp, port, f.sender_mac, f.sender_ip, self.config.virtual_gateway_mac, f.target_ip)
            return
        peer = self.by_hoa.get(f.target_ip)
        if peer is not None:
            if peer.id != asker.id:
                self._link(asker, peer)  # flows first, so the answer's first packet finds them
                self._reply(dp, port, f.sender_mac, f.sender_ip, peer.mac, f.target_ip)
            return
        if ipaddress.IPv4Address(f.target_ip) in self.config.home_prefix and f.target_ip != asker.hoa:
            self._probe(asker, f.target_ip)

    def _is_vmn(self, mac, hoa):
        if hoa == UNSPECIFIED or hoa == self.config.home_gateway:
            return False
        if mac == ZERO_MAC or int(mac[:2], 16) & 1:
            return False
        return ipaddress.IPv4Address(hoa) in self.config.home_prefix

    def _on_vm_port_arp(self, dp, port, sw, f):
        mac = f.sender_mac
        if mac != f.eth_src:
            return  # not taken as anybody's announce
        v = self.by_mac.get(mac)
        if v is not None:
            if not f.is_rarp and f.sender_ip != UNSPECIFIED and f.sender_ip != v.hoa:
                self.logger.warning("address-conflict %s claims hoa %s (has %s)", mac, f.sender_ip, v.hoa)
                return
            if (v.dpid, v.port) != (dp, port):
                if not sw.is_vm_port(port):
                    self.logger.warning("spoof-refused %s claimed at dp %#x port %d, stays at dp %#x port %d",
                                        mac, dp, port, v.dpid, v.port)
                    return
                self._migrate(v, dp, port)
                if (v.dpid, v.port) != (dp, port):
                    return  # the move failed (pool exhausted)
        else:
            if f.is_rarp or not sw.is_vm_port(port) or not self._is_vmn(mac, f.sender_ip):
                return
            owner = self.by_hoa.get(f.sender_ip)
            if owner is not None:
                self.logger.warning("address-conflict %s claims hoa %s (holder %s)", mac, f.sender_ip, owner.mac)
                return
            v = self._detect(dp, port, sw, mac, f.sender_ip)
            if v is None:
                return
        if not f.is_rarp and f.opcode == ARP_REQUEST and not f.is_gratuitous:
            self._answer_request(dp, port, v, f)

    def _on_uplink_arp(self, dp, port, sw, f):
        if f.is_rarp:
            if f.sender_mac in self.by_mac:
                self.logger.warning("spoof-refused %s: RARP from the uplink of dp %#x", f.sender_mac, dp)
            return
        if (f.sender_ip == sw.site.gateway_ip and sw.site.gateway_mac is None and sw.gateway_mac != f.sender_mac
                and f.sender_mac != ZERO_MAC and not int(f.sender_mac[:2], 16) & 1):
            sw.gateway_mac = f.sender_mac
            self.logger.info("gateway-resolved dp %#x gateway %s at %s", dp, f.sender_ip, f.sender_mac)
            self._sync_all_local(dp)
        if f.opcode == ARP_REQUEST:
            # The site router asks for a MoA: answer with the VMN's MAC, which the LAN learnt at
            # this uplink from the announce.
            v = self.by_moa.get(f.target_ip)
            if v is not None and v.dpid == dp:
                self._reply(dp, port, f.sender_mac, f.sender_ip, v.mac, v.moa)

    # ---- OpenFlow events --------------------------------------------------------------------

    @set_ev_cls(ofp_event.EventOFPStateChange, [MAIN_DISPATCHER, DEAD_DISPATCHER])
    def _state_change(self, ev):
        datapath = ev.datapath
        sw = self.switches.get(datapath.id) if datapath.id is not None else None
        if ev.state == MAIN_DISPATCHER:
            if sw is None:
                self.logger.warning("unknown-switch dp %#x", datapath.id)
                return
            self._switch_up(datapath, sw)
        elif sw is not None and sw.datapath is datapath:
            sw.datapath = None
            sw.forget_installed()
            for key in [k for k in self.waiting_batches if k[0] == datapath.id]:
                b = self.waiting_batches.pop(key)
                b.waiting.discard(key)
                if not b.waiting:
                    self._finish(b)
            self.logger.info("switch-down dp %#x", datapath.id)

    def _switch_up(self, datapath, sw):
        dp = datapath.id
        self._begin()
        sw.datapath = datapath
        sw.port_names = {no: port_name(p) for no, p in datapath.ports.items()}
        sw.resolve_uplink()
        sw.forget_installed()
        # OVS keeps flows across a disconnect in secure mode: whatever of ours is there may be
        # stale, so delete all of it (by the owner byte) before adding the current set.
        self.batch.adds.append((dp, self._delete_by_cookie(sw, COOKIE_OWNER << 56, COOKIE_OWNER_MASK)))
        self._sync_base(dp, sw)
        for v in self.vmns:
            if v.dpid == dp:
                self._sync_local(dp, v)
        for peer_id in sorted(sw.remote):
            self._sync_remote(dp, self.vmns[peer_id])
        self._probe_gateway(dp, sw)
        self._flush()
        self.logger.info("switch-up dp %#x (%s) uplink %s", dp, sw.site.name, sw.uplink)

    @set_ev_cls(ofp_event.EventOFPPortStatus, MAIN_DISPATCHER)
    def _port_status(self, ev):
        msg = ev.msg
        sw = self.switches.get(msg.datapath.id)
        if sw is None or sw.datapath is not msg.datapath:
            return
        if msg.reason == ofproto_v1_3.OFPPR_DELETE:
            sw.port_names.pop(msg.desc.port_no, None)
        else:
            sw.port_names[msg.desc.port_no] = port_name(msg.desc)
        before = sw.uplink
        sw.resolve_uplink()
        if sw.uplink != before:
            self._begin()
            self._sync_base(msg.datapath.id, sw)
            self._sync_all_local(msg.datapath.id)
            self._probe_gateway(msg.datapath.id, sw)
            self._flush()

    @set_ev_cls(ofp_event.EventOFPPacketIn, MAIN_DISPATCHER)
    def _packet_in(self, ev):
        msg = ev.msg
        dp = msg.datapath.id
        sw = self.switches.get(dp)
        if sw is None or sw.datapath is not msg.datapath:
            return
        f = parse_arp_frame(msg.data)
        if f is None:
            return
        self._begin()
        port = msg.match["in_port"]
        if port == sw.uplink:
            self._on_uplink_arp(dp, port, sw, f)
        else:
            self._on_vm_port_arp(dp, port, sw, f)
        self._flush()

    @set_ev_cls(ofp_event.EventOFPBarrierReply, MAIN_DISPATCHER)
    def _barrier_reply(self, ev):
        key = (ev.msg.datapath.id, ev.msg.xid)
        b = self.waiting_batches.pop(key, None)
        if b is None:
            return
        b.waiting.discard(key)
        if not b.waiting:
            self._finish(b)

    @set_ev_cls(ofp_event.EventOFPErrorMsg, MAIN_DISPATCHER)
    def _error(self, ev):
        msg = ev.msg
        self.logger.error("dp %#x: OpenFlow error type %d code %d (xid %d)", msg.datapath.id, msg.type, msg.code, msg.xid)

    # ---- timers -----------------------------------------------------------------------------

    def _tick_loop(self):
        while True:
            hub.sleep(TICK_S)
            now = time.monotonic()
            self._begin()
            for dp, sw in self.switches.items():
                if sw.connected and sw.gateway_mac is None and now - sw.last_gateway_probe >= GATEWAY_PROBE_INTERVAL_S:
                    self._probe_gateway(dp, sw)
            expired = [p for p in self.pending_probes if p[2] <= now]
            self.pending_probes = [p for p in self.pending_probes if p[2] > now]
            for hoa, asker_id, _ in expired:
                self.logger.info("probe-expired hoa %s for %s", hoa, self.vmns[asker_id].mac)
            self._flush()


def want_as_vmn(vmn_id, flows):
    """The fields _local_flows reads, from an installed (or wanted) LocalFlows."""
    return _LocalView(vmn_id, flows.generation, flows.mac, flows.hoa, flows.moa, flows.port,
                      flows.gateway_mac, flows.uplink)


_LocalView = collections.namedtuple("_LocalView", "id generation mac hoa moa port gateway_mac uplink")


def port_name(port):
    name = port.name
    return name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name)
