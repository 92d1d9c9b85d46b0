# The os-ken peer's logic without a switch: fake datapaths record what the app sends (each
# message serialised, as os-ken would put it on the wire), driven by the example configuration
# (examples/vmnctl-ofc.json: dpid in three forms, uplink by name and by number, pools as ranges
# and prefixes, one site with and two without a gateway MAC). The e2e test
# (tests/e2e/l3_migration_osken_test.sh) proves the same app against Open vSwitch.
#
#   /usr/bin/python3 tests/bench/peers/osken/test_vmnmob_osken.py      (exit 77: no os-ken)
import importlib.util
import os
import sys
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "..", "..", "..", "examples", "vmnctl-ofc.json")

try:
    from os_ken.controller.handler import DEAD_DISPATCHER, MAIN_DISPATCHER
    from os_ken.ofproto import ofproto_v1_3 as ofp
    from os_ken.ofproto import ofproto_v1_3_parser
except ImportError:
    print("SKIP: os-ken not installed (apt-get install python3-os-ken)")
    sys.exit(77)

spec = importlib.util.spec_from_file_location("vmnmob_osken", os.path.join(HERE, "vmnmob_osken.py"))
vo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(vo)

DP_A, DP_B, DP_C = 0xA, 0xB, 12
M1, M2, M3 = "52:54:00:00:00:01", "52:54:00:00:00:02", "52:54:00:00:00:03"
ROUTER_A, ROUTER_C = "02:00:00:00:01:01", "02:00:00:00:03:01"
VGW = "02:00:5e:00:00:01"


class FakeDatapath:
    ofproto = ofp
    ofproto_parser = ofproto_v1_3_parser

    def __init__(self, dpid, ports):
        self.id = dpid
        self.ports = {no: types.SimpleNamespace(port_no=no, name=name.encode()) for no, name in ports.items()}
        self.sent = []
        self._xid = 0

    def set_xid(self, msg):
        self._xid += 1
        msg.set_xid(self._xid)

    def send_msg(self, msg):
        if msg.xid is None:
            self.set_xid(msg)
        msg.serialize()  # what os-ken would write: fails on a malformed message
        self.sent.append(msg)

    def take(self):
        sent, self.sent = self.sent, []
        return sent


def arp_frame(src_mac, src_ip, dst_ip, op=vo.ARP_REQUEST, eth_dst=vo.BROADCAST, target_mac=vo.ZERO_MAC):
    return vo.arp_bytes(vo.ArpFrame(eth_dst, src_mac, vo.ETH_TYPE_ARP, op, src_mac, src_ip, target_mac, dst_ip))


def rarp_frame(mac):
    return vo.arp_bytes(vo.ArpFrame(vo.BROADCAST, mac, vo.ETH_TYPE_RARP, 3, mac, "0.0.0.0", mac, "0.0.0.0"))


def flow_mods(sent, command=ofp.OFPFC_ADD):
    return [m for m in sent if isinstance(m, ofproto_v1_3_parser.OFPFlowMod) and m.command == command]


def packet_outs(sent):
    """(output port, ArpFrame) of every packet-out."""
    return [(m.actions[0].port, vo.parse_arp_frame(m.data)) for m in sent
            if isinstance(m, ofproto_v1_3_parser.OFPPacketOut)]


def barriers(sent):
    return [m for m in sent if isinstance(m, ofproto_v1_3_parser.OFPBarrierRequest)]


def actions_of(fm):
    """Every set-field and output of a flow-mod, in order, as (kind, value)."""
    out = []
    for inst in fm.instructions:
        for a in getattr(inst, "actions", []):
            if isinstance(a, ofproto_v1_3_parser.OFPActionSetField):
                out.append((a.key, a.value))
            else:
                out.append(("output", a.port))
    return out


class OskenPeerTest(unittest.TestCase):
    def setUp(self):
        os.environ["VMNMOB_OSKEN_CONFIG"] = EXAMPLE
        self.app = vo.VmnMobility()
        self.a = FakeDatapath(DP_A, {1: "upA", 5: "vm5", 6: "vm6"})
        self.b = FakeDatapath(DP_B, {1: "up", 7: "vnet7", 8: "eth8"})
        self.c = FakeDatapath(DP_C, {2: "upC", 9: "vm9"})

    def tearDown(self):
        self.app.ticker.kill()

    def up(self, dp):
        self.app._state_change(types.SimpleNamespace(datapath=dp, state=MAIN_DISPATCHER))
        return dp.take()

    def packet_in(self, dp, port, data):
        msg = types.SimpleNamespace(datapath=dp, data=data, match={"in_port": port})
        self.app._packet_in(types.SimpleNamespace(msg=msg))

    def barrier_replies(self, *dps):
        for dp in dps:
            for m in barriers(dp.sent):
                self.app._barrier_reply(types.SimpleNamespace(msg=types.SimpleNamespace(datapath=dp, xid=m.xid)))

    def test_config_forms(self):
        sw = self.app.switches
        self.assertEqual(sorted(sw), [DP_A, DP_B, DP_C])  # 0x-hex, colon hex, decimal
        self.assertEqual((sw[DP_A].site.uplink_port, sw[DP_A].site.uplink_name), (None, "upA"))
        self.assertEqual(sw[DP_B].site.uplink_port, 1)
        self.assertEqual(sw[DP_B].gateway_mac, "02:00:00:00:02:01")
        self.assertIsNone(sw[DP_A].gateway_mac)
        # 192.168.3.160/28 gives its host addresses .161-.174.
        self.assertEqual(sw[DP_C].site.pool_ranges, [(0xC0A80364, 0xC0A80395), (0xC0A803A1, 0xC0A803AE)])
        self.assertEqual(self.app.config.hold_s, 30)
        self.assertEqual(self.app.config.virtual_gateway_mac, VGW)

    def test_switch_up_reconciles_and_probes_the_gateway(self):
        sent = self.up(self.a)
        first = sent[0]
        self.assertEqual((first.command, first.cookie, first.cookie_mask), (ofp.OFPFC_DELETE, 0xA7 << 56, 0xFF << 56))
        adds = flow_mods(sent)
        self.assertEqual(len(adds), 9)  # 9 base flows, the uplink's included
        self.assertTrue(all(fm.cookie == vo.cookie(vo.KIND_BASE, 0) for fm in adds))
        uplink = [fm for fm in adds if fm.priority == vo.PRIO_UPLINK]
        self.assertEqual(uplink[0].match["in_port"], 1)  # "upA" resolved from the port list
        # No gateway MAC configured: an ARP probe from 0.0.0.0 out the uplink.
        (port, probe), = packet_outs(sent)
        self.assertEqual((port, probe.sender_ip, probe.target_ip, probe.opcode), (1, "0.0.0.0", "192.168.1.1", 1))

    def test_detection_answers_and_translates(self):
        self.up(self.a)
        self.packet_in(self.a, 1, arp_frame(ROUTER_A, "192.168.1.1", "0.0.0.0", op=vo.ARP_REPLY))
        self.assertEqual(self.app.switches[DP_A].gateway_mac, ROUTER_A)
        self.a.take()
        self.packet_in(self.a, 5, arp_frame(M1, "10.10.0.1", "10.10.0.254"))
        sent = self.a.take()
        v = self.app.by_mac[M1]
        self.assertEqual((v.hoa, v.moa, v.dpid, v.port), ("10.10.0.1", "192.168.1.100", DP_A, 5))
        adds = flow_mods(sent)
        self.assertEqual([fm.table_id for fm in adds], [1, 2, 3])
        self.assertTrue(all(fm.cookie == vo.cookie(vo.KIND_LOCAL, 0, v.id) for fm in adds))
        self.assertEqual(actions_of(adds[2]), [("ipv4_src", "192.168.1.100"), ("eth_dst", ROUTER_A), ("output", 1)])
        self.assertEqual(actions_of(adds[1]), [("ipv4_dst", "10.10.0.1"), ("eth_src", VGW), ("eth_dst", M1), ("output", 5)])
        (p1, announce), (p2, answer) = packet_outs(sent)
        self.assertEqual((p1, announce.sender_mac, announce.sender_ip, announce.target_ip), (1, M1, "192.168.1.100", "192.168.1.1"))
        self.assertEqual((p2, answer.opcode, answer.sender_mac, answer.sender_ip, answer.target_mac),
                         (5, vo.ARP_REPLY, VGW, "10.10.0.254", M1))
        # The site router asks for the MoA: answered from the uplink with the VMN's MAC.
        self.packet_in(self.a, 1, arp_frame(ROUTER_A, "192.168.1.1", "192.168.1.100"))
        (port, reply), = packet_outs(self.a.take())
        self.assertEqual((port, reply.opcode, reply.sender_mac, reply.sender_ip), (1, vo.ARP_REPLY, M1, "192.168.1.100"))
        # A frame from a port that is not a VM port (vm_ports "vnet"/"tap" on site b) detects nothing.
        self.up(self.b)
        self.packet_in(self.b, 8, arp_frame(M3, "10.10.0.3", "10.10.0.254"))
        self.assertNotIn(M3, self.app.by_mac)
        self.assertEqual(self.b.take(), [])

    def detect_pair(self):
        for dp in (self.a, self.b, self.c):
            self.up(dp)
        self.packet_in(self.a, 1, arp_frame(ROUTER_A, "192.168.1.1", "0.0.0.0", op=vo.ARP_REPLY))
        self.packet_in(self.c, 2, arp_frame(ROUTER_C, "192.168.3.1", "0.0.0.0", op=vo.ARP_REPLY))
        self.packet_in(self.a, 5, arp_frame(M1, "10.10.0.1", "10.10.0.254"))
        self.packet_in(self.b, 7, arp_frame(M2, "10.10.0.2", "10.10.0.254"))
        for dp in (self.a, self.b, self.c):
            dp.take()
        # vmn2 asks for vmn1's HoA: proxy answer, both recorded as correspondents.
        self.packet_in(self.b, 7, arp_frame(M2, "10.10.0.2", "10.10.0.1"))
        return self.app.by_mac[M1], self.app.by_mac[M2]

    def test_correspondents_get_remote_flows(self):
        v1, v2 = self.detect_pair()
        self.assertEqual(v2.moa, "192.168.2.129")  # first host of 192.168.2.128/25
        sent_b, sent_a = self.b.take(), self.a.take()
        (port, answer), = packet_outs(sent_b)
        self.assertEqual((port, answer.sender_mac, answer.sender_ip), (7, M1, "10.10.0.1"))
        on_b = flow_mods(sent_b)
        self.assertEqual([(fm.table_id, fm.cookie) for fm in on_b], [(1, vo.cookie(vo.KIND_REMOTE, 0, v1.id))] * 1
                         + [(4, vo.cookie(vo.KIND_REMOTE, 0, v1.id))])
        self.assertEqual(actions_of(on_b[0]), [("ipv4_dst", "192.168.1.100")])
        self.assertEqual(actions_of(on_b[1]), [("ipv4_src", "10.10.0.1")])
        self.assertEqual(on_b[1].match["ipv4_src"], "192.168.1.100")
        self.assertEqual([fm.match["ipv4_dst"] for fm in flow_mods(sent_a) if fm.table_id == 1], ["10.10.0.2"])
        self.assertEqual((v1.correspondents, v2.correspondents), ({v2.id}, {v1.id}))

    def test_migration_is_make_before_break(self):
        v1, v2 = self.detect_pair()
        for dp in (self.a, self.b, self.c):
            dp.take()
        self.packet_in(self.c, 9, rarp_frame(M1))
        self.assertEqual((v1.dpid, v1.port, v1.moa, v1.generation), (DP_C, 9, "192.168.3.100", 1))
        sent_a, sent_b, sent_c = self.a.sent, self.b.sent, self.c.sent
        # New flows and barriers first; nothing is deleted before every barrier is answered.
        self.assertEqual([fm.table_id for fm in flow_mods(sent_c)], [1, 2, 3, 1, 4])  # local v1, remote v2
        self.assertEqual({fm.cookie for fm in flow_mods(sent_c)},
                         {vo.cookie(vo.KIND_LOCAL, 1, v1.id), vo.cookie(vo.KIND_REMOTE, 0, v2.id)})
        self.assertEqual([actions_of(fm) for fm in flow_mods(sent_b)],
                         [[("ipv4_dst", "192.168.3.100")], [("ipv4_src", "10.10.0.1")]])
        self.assertEqual((len(barriers(sent_b)), len(barriers(sent_c)), sent_a), (1, 1, []))
        (port, announce), = packet_outs(sent_c)
        self.assertEqual((port, announce.sender_ip, announce.target_ip), (2, "192.168.3.100", "192.168.3.1"))
        self.assertEqual(flow_mods(sent_b, ofp.OFPFC_DELETE), [])
        self.barrier_replies(self.b)
        self.assertEqual(self.a.sent, [])  # still waiting for c's barrier
        self.barrier_replies(self.c)
        deleted = {(dp.id, m.cookie, m.cookie_mask) for dp in (self.a, self.b, self.c)
                   for m in flow_mods(dp.sent, ofp.OFPFC_DELETE)}
        self.assertEqual(deleted, {(DP_A, vo.cookie(vo.KIND_LOCAL, 0, v1.id), vo.COOKIE_EXACT),
                                   (DP_A, vo.cookie(vo.KIND_REMOTE, 0, v2.id), vo.COOKIE_EXACT),
                                   (DP_B, vo.cookie(vo.KIND_REMOTE, 0, v1.id), vo.COOKIE_EXACT)})
        self.assertNotIn("192.168.1.100", self.app.switches[DP_A].pool.in_use)  # held, not reused
        for dp in (self.a, self.b, self.c):
            dp.take()
        # QEMU announces five times: the repeats change nothing and send nothing.
        self.packet_in(self.c, 9, rarp_frame(M1))
        self.assertEqual((self.a.sent, self.b.sent, self.c.sent, v1.generation), ([], [], [], 1))
        # A RARP with vmn1's MAC from an uplink is refused.
        self.packet_in(self.a, 1, rarp_frame(M1))
        self.assertEqual((v1.dpid, self.a.sent), (DP_C, []))
        # Onto its correspondent's switch: local delivery replaces the remote flow in place.
        self.packet_in(self.b, 7, rarp_frame(M1))
        self.assertEqual(v1.dpid, DP_B)
        deliver = [fm for fm in flow_mods(self.b.sent) if fm.table_id == 1 and fm.match["ipv4_dst"] == "10.10.0.1"]
        self.assertEqual(actions_of(deliver[0]), [("eth_dst", M1), ("output", 7)])

    def test_unknown_peer_is_probed_then_answered(self):
        v1, v2 = self.detect_pair()
        for dp in (self.a, self.b, self.c):
            dp.take()
        self.packet_in(self.a, 5, arp_frame(M1, "10.10.0.1", "10.10.0.3"))
        probes = {(dp.id, port) for dp in (self.a, self.b, self.c) for port, f in packet_outs(dp.take())
                  if f.sender_ip == "10.10.0.254" and f.target_ip == "10.10.0.3"}
        # Every VM port but the asker's: a6, b7 (vnet), c9; not uplinks, not b8 (not "vnet"/"tap").
        self.assertEqual(probes, {(DP_A, 6), (DP_B, 7), (DP_C, 9)})
        self.packet_in(self.a, 6, arp_frame(M3, "10.10.0.3", "10.10.0.254", op=vo.ARP_REPLY, eth_dst=VGW, target_mac=VGW))
        v3 = self.app.by_mac[M3]
        answers = [(port, f) for port, f in packet_outs(self.a.take()) if f.opcode == vo.ARP_REPLY]
        self.assertEqual([(port, f.target_mac, f.sender_mac, f.sender_ip) for port, f in answers],
                         [(5, M1, M3, "10.10.0.3")])
        self.assertIn(v3.id, v1.correspondents)

    def test_switch_down_keeps_identities(self):
        v1, _ = self.detect_pair()
        self.a.take()
        self.app._state_change(types.SimpleNamespace(datapath=self.a, state=DEAD_DISPATCHER))
        self.assertFalse(self.app.switches[DP_A].connected)
        self.assertEqual(v1.moa, "192.168.1.100")
        sent = self.up(self.a)  # reconnect: delete by owner, then base, local and remote again
        self.assertEqual(sent[0].command, ofp.OFPFC_DELETE)
        self.assertEqual(len(flow_mods(sent)), 9 + 3 + 2)


if __name__ == "__main__":
    unittest.main()
