#include "fakes/sample_messages.hpp"

#include <string_view>

#include "vmnmob/ofp/codec.hpp"

namespace vmnmob::testing {

using namespace vmnmob::ofp;

namespace {

MacAddress mac(std::string_view s) { return *MacAddress::parse(s); }
Ipv4Address ip(std::string_view s) { return *Ipv4Address::parse(s); }

ByteVector bytes(std::string_view s) { return ByteVector(as_bytes(s).begin(), as_bytes(s).end()); }

// in_port=1, eth_type=IPv4, ipv4_src=HoA, ipv4_dst=HoA of the correspondent: the egress match
// of the HoA->MoA translation.
Match translation_match() {
  Match m;
  m.add(OxmField::InPort, 1)
      .add(OxmField::EthType, 0x0800)
      .add(OxmField::Ipv4Src, ip("10.0.0.1"))
      .add(OxmField::Ipv4Dst, ip("10.0.0.2"));
  return m;
}

InstructionList translation_instructions() {
  return {ApplyActions{{set_field(OxmField::Ipv4Src, ip("192.168.1.10")),
                        set_field(OxmField::Ipv4Dst, ip("192.168.2.20")),
                        set_field(OxmField::EthDst, mac("00:00:5e:00:01:01")), Output{2, 0}}}};
}

Port sample_port(std::uint32_t no, std::string name) {
  Port p;
  p.port_no = no;
  p.hw_addr = MacAddress::from_u64(0x020000000000u + no);
  p.name = std::move(name);
  p.config = 0;
  p.state = port_state::kLive;
  p.curr = (1u << 6) | (1u << 11);  // OFPPF_1GB_FD | OFPPF_COPPER
  p.advertised = p.curr;
  p.supported = p.curr;
  p.curr_speed = 1000000;
  p.max_speed = 1000000;
  return p;
}

Message msg(std::uint32_t xid, MessageBody body) {
  Message m;
  m.xid = xid;
  m.body = std::move(body);
  return m;
}

}  // namespace

ByteVector sample_arp_request() {
  return bytes_from_hex(
      "ffffffffffff 525400123456 0806 0001 0800 06 04 0001 525400123456 0a000001"
      "000000000000 0a0000fe");
}

std::vector<SampleMessage> sample_messages() {
  std::vector<SampleMessage> out;
  std::uint32_t xid = 0x100;
  auto c2s = [&](std::string name, MessageBody body, std::uint16_t mp = kNoMultipart) -> SampleMessage& {
    return out.emplace_back(SampleMessage{true, std::move(name), mp, msg(++xid, std::move(body))});
  };
  auto s2c = [&](std::string name, MessageBody body, std::uint16_t mp = kNoMultipart) -> SampleMessage& {
    // A reply reuses the request's xid, as a switch does.
    return out.emplace_back(SampleMessage{false, std::move(name), mp, msg(xid, std::move(body))});
  };

  // Handshake (spec 6.3.1).
  c2s("HELLO from the controller", Hello{{VersionBitmap::of({1, 4})}});
  s2c("HELLO from the switch", Hello{{VersionBitmap::of({1, 2, 3, 4})}});
  c2s("FEATURES_REQUEST", FeaturesRequest{});
  s2c("FEATURES_REPLY", FeaturesReply{0x0000c0ffee000001u, 256, 254, 0, 0x4f, 0});
  c2s("SET_CONFIG", SetConfig{{config_flags::kFragNormal, 128}});
  c2s("GET_CONFIG_REQUEST", GetConfigRequest{});
  s2c("GET_CONFIG_REPLY", GetConfigReply{{config_flags::kFragNormal, 128}});
  c2s("ECHO_REQUEST", EchoRequest{bytes("liveness 1")});
  s2c("ECHO_REPLY", EchoReply{bytes("liveness 1")});
  c2s("ROLE_REQUEST", RoleRequest{ControllerRole::Master, 7});
  s2c("ROLE_REPLY", RoleReply{ControllerRole::Master, 7});
  c2s("GET_ASYNC_REQUEST", GetAsyncRequest{});
  AsyncConfig async;
  async.packet_in_mask[0] = 0x7;  // no_match, action, invalid_ttl
  async.port_status_mask[0] = 0x7;
  async.port_status_mask[1] = 0x7;
  async.flow_removed_mask[0] = 0xf;
  s2c("GET_ASYNC_REPLY", GetAsyncReply{async});
  c2s("SET_ASYNC", SetAsync{async});
  c2s("EXPERIMENTER", Experimenter{0x00abcdef, 3, bytes("opaque!!")});

  // Multipart requests and replies (spec 7.3.5).
  c2s("MULTIPART_REQUEST DESC", MultipartRequest{0, DescRequest{}}, 0);
  s2c("MULTIPART_REPLY DESC",
      MultipartReply{0, DescReply{"libvmnmob project", "userspace", "3.1.0", "None", "edge OFS site A"}}, 0);
  c2s("MULTIPART_REQUEST PORT_DESC", MultipartRequest{0, PortDescRequest{}}, 13);
  s2c("MULTIPART_REPLY PORT_DESC",
      MultipartReply{0, PortDescReply{{sample_port(1, "vmn1"), sample_port(2, "uplink"),
                                        sample_port(port::kLocal, "br-site-a")}}},
      13);
  FlowStatsRequest flows_filter;
  flows_filter.table_id = 0;
  flows_filter.cookie = 0x0100000000000001u;
  flows_filter.cookie_mask = 0xff00000000000000u;
  flows_filter.match.add(OxmField::EthType, 0x0800);
  c2s("MULTIPART_REQUEST FLOW", MultipartRequest{0, flows_filter}, 1);
  FlowStats fs;
  fs.table_id = 0;
  fs.duration_sec = 12;
  fs.duration_nsec = 345000000;
  fs.priority = 1000;
  fs.idle_timeout = 0;
  fs.hard_timeout = 0;
  fs.flags = flow_mod_flags::kSendFlowRem;
  fs.cookie = 0x0100000000000001u;
  fs.packet_count = 42;
  fs.byte_count = 4200;
  fs.match = translation_match();
  fs.instructions = translation_instructions();
  FlowStats fs2 = fs;
  fs2.cookie = 0x0100000000000002u;
  fs2.priority = 0;
  fs2.match = Match{};
  fs2.instructions = {ApplyActions{{Output{port::kController, kControllerMaxLenNoBuffer}}}};
  s2c("MULTIPART_REPLY FLOW, more to come", MultipartReply{multipart_flags::kMore, FlowStatsReply{{fs}}}, 1);
  s2c("MULTIPART_REPLY FLOW, last", MultipartReply{0, FlowStatsReply{{fs2}}}, 1);
  c2s("MULTIPART_REQUEST AGGREGATE", MultipartRequest{0, AggregateStatsRequest{flows_filter}}, 2);
  s2c("MULTIPART_REPLY AGGREGATE", MultipartReply{0, AggregateStatsReply{42, 4200, 1}}, 2);
  c2s("MULTIPART_REQUEST TABLE", MultipartRequest{0, TableStatsRequest{}}, 3);
  s2c("MULTIPART_REPLY TABLE",
      MultipartReply{0, TableStatsReply{{{0, 3, 1000, 900}, {1, 0, 0, 0}, {2, 1, 5, 5}}}}, 3);
  c2s("MULTIPART_REQUEST PORT_STATS", MultipartRequest{0, PortStatsRequest{1}}, 4);
  PortStats ps;
  ps.port_no = 1;
  ps.rx_packets = 10;
  ps.tx_packets = 11;
  ps.rx_bytes = 1000;
  ps.tx_bytes = 1100;
  ps.rx_dropped = 1;
  ps.duration_sec = 60;
  ps.duration_nsec = 5;
  s2c("MULTIPART_REPLY PORT_STATS", MultipartReply{0, PortStatsReply{{ps}}}, 4);
  c2s("MULTIPART_REQUEST GROUP_DESC", MultipartRequest{0, GroupDescRequest{}}, 7);
  GroupDesc gd;
  gd.type = GroupType::Select;
  gd.group_id = 1;
  gd.buckets = {Bucket{10, port::kAny, kGroupAny, {Output{1, 0}}},
                Bucket{20, port::kAny, kGroupAny, {set_field(OxmField::Ipv4Dst, ip("10.0.0.9")), Output{2, 0}}}};
  s2c("MULTIPART_REPLY GROUP_DESC", MultipartReply{0, GroupDescReply{{gd}}}, 7);
  c2s("MULTIPART_REQUEST METER_CONFIG", MultipartRequest{0, MeterConfigRequest{kMeterAll}}, 10);
  MeterBand drop{MeterBandType::Drop, 1000, 100, 0, 0, {}};
  MeterBand remark{MeterBandType::DscpRemark, 500, 50, 1, 0, {}};
  s2c("MULTIPART_REPLY METER_CONFIG",
      MultipartReply{0, MeterConfigReply{{MeterConfig{meter_flags::kKbps | meter_flags::kBurst, 5, {drop, remark}}}}},
      10);
  c2s("MULTIPART_REQUEST METER_FEATURES", MultipartRequest{0, MeterFeaturesRequest{}}, 11);
  s2c("MULTIPART_REPLY METER_FEATURES",
      MultipartReply{0, MeterFeaturesReply{0x40000, 1u << 1, meter_flags::kKbps | meter_flags::kPktps |
                                               meter_flags::kBurst | meter_flags::kStats, 8, 0}},
      11);
  // A multipart type the codec keeps raw: queue stats (ofp_queue_stats_request: port, queue).
  c2s("MULTIPART_REQUEST QUEUE (kept unknown)",
      MultipartRequest{0, UnknownMultipart{static_cast<std::uint16_t>(MultipartType::Queue),
                                           bytes_from_hex("ffffffff ffffffff")}},
      5);
  s2c("MULTIPART_REPLY QUEUE (kept unknown)",
      MultipartReply{0, UnknownMultipart{static_cast<std::uint16_t>(MultipartType::Queue),
                                         bytes_from_hex("00000001 00000000 0000000000000064 0000000000000005"
                                                        "0000000000000000 0000000a 00000000")}},
      5);

  // Modifications.
  FlowMod fm;
  fm.cookie = 0x0100000000000001u;
  fm.table_id = 0;
  fm.command = FlowModCommand::Add;
  fm.idle_timeout = 300;
  fm.priority = 1000;
  fm.flags = flow_mod_flags::kSendFlowRem | flow_mod_flags::kCheckOverlap;
  fm.match = translation_match();
  fm.instructions = translation_instructions();
  c2s("FLOW_MOD", fm);
  FlowMod all_instructions;
  all_instructions.cookie = 2;
  all_instructions.table_id = 1;
  all_instructions.priority = 10;
  all_instructions.match.add(OxmField::Metadata, 0x5, 0xff).add(OxmField::EthDst, mac("01:00:00:00:00:00"), mac("01:00:00:00:00:00"));
  all_instructions.instructions = {MeterInstruction{5}, ApplyActions{{PushVlan{0x8100}, set_field(OxmField::VlanVid, kVlanPresent | 100)}},
                                   ClearActions{}, WriteActions{{GroupAction{1}}},
                                   WriteMetadata{0x10, 0xff}, GotoTable{2}};
  c2s("FLOW_MOD every instruction", all_instructions);
  FlowMod many_actions;
  many_actions.cookie = 3;
  many_actions.table_id = 2;
  many_actions.priority = 20;
  many_actions.match.add(OxmField::EthType, 0x8847).add(OxmField::MplsLabel, 17);
  many_actions.instructions = {ApplyActions{{CopyTtlIn{}, PopMpls{0x0800}, DecNwTtl{}, SetNwTtl{9},
                                             PushMpls{0x8847}, SetMplsTtl{10}, DecMplsTtl{}, CopyTtlOut{},
                                             PushPbb{0x88e7}, PopPbb{}, PopVlan{}, SetQueue{1},
                                             Output{port::kInPort, 0}}}};
  c2s("FLOW_MOD every action", many_actions);
  FlowMod del;
  del.command = FlowModCommand::Delete;
  del.table_id = kTableAll;
  del.cookie = 0x0100000000000000u;
  del.cookie_mask = 0xff00000000000000u;
  c2s("FLOW_MOD delete by cookie", del);
  c2s("BARRIER_REQUEST", BarrierRequest{});
  s2c("BARRIER_REPLY", BarrierReply{});
  GroupMod gm;
  gm.command = GroupModCommand::Add;
  gm.type = GroupType::FastFailover;
  gm.group_id = 4;
  gm.buckets = {Bucket{0, 1, kGroupAny, {Output{1, 0}}}, Bucket{0, 2, kGroupAny, {Output{2, 0}}}};
  c2s("GROUP_MOD", gm);
  c2s("PORT_MOD", PortMod{2, MacAddress::from_u64(0x020000000002u), port_config::kNoPacketIn,
                               port_config::kNoPacketIn, 0});
  c2s("TABLE_MOD", TableMod{0, 0});
  c2s("METER_MOD add", MeterMod{MeterModCommand::Add, meter_flags::kKbps | meter_flags::kBurst, 5, {drop, remark}});
  MeterBand experimenter_band{MeterBandType::Experimenter, 200, 20, 0, 0x00002320,
                              bytes_from_hex("01 02 03 04 05 06 07 08")};
  c2s("METER_MOD", MeterMod{MeterModCommand::Modify, meter_flags::kKbps | meter_flags::kBurst, 33,
                            {drop, remark, experimenter_band}})
      .dissector_gap =
      "openflow_v4 marks an experimenter meter band after the first band as malformed: its "
      "expert item for the band body is sized from the absolute offset, not the band's";

  // Asynchronous messages and the packet path.
  ByteVector arp = sample_arp_request();
  PacketIn pin;
  pin.buffer_id = kNoBuffer;
  pin.total_len = static_cast<std::uint16_t>(arp.size());
  pin.reason = PacketInReason::Action;
  pin.table_id = 0;
  pin.cookie = 0x0200000000000001u;
  pin.match.add(OxmField::InPort, 1);
  pin.data = Payload(arp);
  s2c("PACKET_IN", pin);
  PacketOut pout;
  pout.buffer_id = kNoBuffer;
  pout.in_port = port::kController;
  pout.actions = {set_field(OxmField::EthSrc, mac("00:00:5e:00:01:01")), Output{1, 0}};
  // The proxy ARP reply the controller sends for the gateway.
  pout.data = Payload(bytes_from_hex("525400123456 00005e000101 0806 0001 0800 06 04 0002 00005e000101 0a0000fe"
                                     "525400123456 0a000001"));
  c2s("PACKET_OUT", pout);
  c2s("PACKET_OUT buffered", PacketOut{77, port::kController, {Output{port::kTable, 0}}, Payload{}});
  s2c("PORT_STATUS", PortStatus{PortReason::Add, sample_port(3, "vmn2")});
  FlowRemoved fr;
  fr.cookie = 0x0100000000000001u;
  fr.priority = 1000;
  fr.reason = FlowRemovedReason::IdleTimeout;
  fr.table_id = 0;
  fr.duration_sec = 301;
  fr.duration_nsec = 7;
  fr.idle_timeout = 300;
  fr.packet_count = 42;
  fr.byte_count = 4200;
  fr.match = translation_match();
  s2c("FLOW_REMOVED", fr);
  // An error carrying the whole offending request, as OVS sends it.
  ErrorMsg err;
  err.type = ErrorType::BadAction;
  err.code = static_cast<std::uint16_t>(BadActionCode::BadOutGroup);
  Message bad = msg(0x999, fm);
  err.data = *encode(bad);
  s2c("ERROR", err);
  // Only the header of the offending request: fewer than the 64 bytes spec 7.4.4 asks a switch
  // for, which the codec keeps as it comes.
  s2c("ERROR with a cut request",
      ErrorMsg{ErrorType::FlowModFailed, static_cast<std::uint16_t>(FlowModFailedCode::BadCommand), 0,
               bytes_from_hex("04 0e 00 48 00 00 00 01")})
      .dissector_gap =
      "openflow_v4 dissects the carried request by its header's length (72) and reports the "
      "missing bytes as malformed";
  s2c("ERROR experimenter", ErrorMsg{ErrorType::Experimenter, 0x0102, 0x00002320, bytes_from_hex("de ad be ef")});

  // Message types the codec keeps raw: queue config request and reply (spec 7.3.6).
  c2s("QUEUE_GET_CONFIG_REQUEST (kept unknown)", UnknownMessage{22, bytes_from_hex("00000001 00000000")});
  s2c("QUEUE_GET_CONFIG_REPLY (kept unknown)", UnknownMessage{23, bytes_from_hex("00000001 00000000")});

  // Edge cases of the handshake and of unknown types.
  c2s("HELLO with versions past 31 and an unknown element",
      Hello{{VersionBitmap::of({1, 4, 5, 40}), UnknownHelloElement{7, bytes_from_hex("0a 0b 0c")}}});
  c2s("HELLO without elements", Hello{});
  c2s("unknown type 200", UnknownMessage{200, bytes_from_hex("01 02 03")});
  return out;
}

}  // namespace vmnmob::testing
