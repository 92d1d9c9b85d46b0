// The codec against golden bytes from Open vSwitch 3.1 (tests/fixtures/ovs, captured by
// tests/fixtures/capture-ovs.sh): every message decodes, re-encodes to identical bytes, and
// the values OVS was told to use come back out. Truncated variants must fail cleanly.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "lib/fixtures.hpp"
#include "vmnmob/ofp/codec.hpp"
#include "vmnmob/ofp/message.hpp"

using namespace vmnmob;
using namespace vmnmob::ofp;
using vmnmob::testing::Fixture;
using vmnmob::testing::FixtureMessage;

namespace {

const std::string kDir = vmnmob::testing::ovs_fixture_dir(VMNMOB_FIXTURES_DIR);

const Fixture& fixture(const std::string& name) {
  static std::vector<Fixture> all = vmnmob::testing::load_fixtures(kDir);
  for (const auto& f : all)
    if (f.name == name) return f;
  FAIL("no fixture " << name << " in " << kDir);
  throw std::logic_error("unreachable");
}

std::string where(const Fixture& f, const FixtureMessage& m) {
  return f.name + ".txt:" + std::to_string(m.line);
}

// Decoded messages of one fixture, each with its source line. PacketIn/PacketOut data borrow
// from the fixture, which lives for the whole test run.
struct Decoded {
  const FixtureMessage* raw;
  Message msg;
};

std::vector<Decoded> decode_all(const Fixture& f) {
  std::vector<Decoded> out;
  for (const auto& m : f.messages) {
    auto r = decode(as_bytes(m.bytes));
    INFO(where(f, m) << " " << to_hex(as_bytes(m.bytes), '\0').substr(0, 64));
    REQUIRE(r.has_value());
    out.push_back({&m, std::move(*r)});
  }
  return out;
}

template <class T>
std::vector<const T*> bodies(const std::vector<Decoded>& msgs, const std::string& direction = "") {
  std::vector<const T*> out;
  for (const auto& d : msgs) {
    if (!direction.empty() && d.raw->direction != direction) continue;
    if (const T* b = std::get_if<T>(&d.msg.body)) out.push_back(b);
  }
  return out;
}

template <class T>
std::vector<const T*> replies(const std::vector<Decoded>& msgs) {
  std::vector<const T*> out;
  for (const auto* r : bodies<MultipartReply>(msgs))
    if (const T* b = std::get_if<T>(&r->body)) out.push_back(b);
  return out;
}


std::uint64_t oxm_uint(const Match& m, OxmField f) {
  auto v = m.get_uint(f);
  INFO("field " << static_cast<int>(f));
  REQUIRE(v.has_value());
  return *v;
}

MacAddress oxm_mac(const Match& m, OxmField f) { return MacAddress::from_u64(oxm_uint(m, f)); }

const FlowMod& flow_mod_with_cookie(const std::vector<Decoded>& msgs, std::uint64_t cookie) {
  for (const auto* fm : bodies<FlowMod>(msgs))
    if (fm->cookie == cookie) return *fm;
  FAIL("no flow mod with cookie " << cookie);
  throw std::logic_error("unreachable");
}

const ActionList& apply_actions(const InstructionList& ins) {
  for (const auto& i : ins)
    if (const auto* a = std::get_if<ApplyActions>(&i)) return a->actions;
  FAIL("no apply-actions instruction");
  throw std::logic_error("unreachable");
}

const std::string kArpRequest =
    "ffffffffffff525400000001080600010800060400015254000000010a0000010000000000000a0000fe";

}  // namespace

TEST_CASE("every OVS fixture message decodes and re-encodes to identical bytes", "[ofp][fixtures]") {
  auto all = vmnmob::testing::load_fixtures(kDir);
  REQUIRE(all.size() >= 15);
  std::size_t count = 0;
  for (const auto& f : all) {
    REQUIRE_FALSE(f.messages.empty());
    for (const auto& m : f.messages) {
      INFO(where(f, m));
      auto decoded = decode(as_bytes(m.bytes));
      if (!decoded) FAIL(where(f, m) << ": " << decoded.error().to_string());
      auto encoded = encode(*decoded);
      REQUIRE(encoded.has_value());
      CHECK(to_hex(as_bytes(*encoded), '\0') == to_hex(as_bytes(m.bytes), '\0'));
      // Decoding our own encoding gives the same value again.
      auto again = decode(as_bytes(*encoded));
      REQUIRE(again.has_value());
      CHECK(*again == *decoded);
      ++count;
    }
  }
  CHECK(count > 300);
}

TEST_CASE("truncated fixture messages fail cleanly", "[ofp][fixtures]") {
  for (const auto& f : vmnmob::testing::load_fixtures(kDir)) {
    for (const auto& m : f.messages) {
      const std::size_t n = m.bytes.size();
      // Every cut for short messages, a spread of cuts for long ones.
      std::vector<std::size_t> cuts;
      for (std::size_t c = 0; c < n; c += (c < 128 ? 1 : 1 + n / 64)) cuts.push_back(c);
      cuts.push_back(n - 1);
      for (std::size_t cut : cuts) {
        INFO(where(f, m) << " cut at " << cut << " of " << n);
        ByteVector prefix(m.bytes.begin(), m.bytes.begin() + static_cast<std::ptrdiff_t>(cut));
        // The header still claims the full length: never a valid message.
        CHECK_FALSE(decode(as_bytes(prefix)).has_value());
        // The header is patched to the cut length: the body is inconsistent or merely shorter.
        // Either way no crash (ASan/UBSan builds run this), and whatever decodes must
        // re-encode and decode to the same value.
        if (cut >= kHeaderLength) {
          prefix[2] = static_cast<std::byte>(cut >> 8);
          prefix[3] = static_cast<std::byte>(cut & 0xff);
          auto r = decode(as_bytes(prefix));
          if (r) {
            auto e = encode(*r);
            REQUIRE(e.has_value());
            auto again = decode(as_bytes(*e));
            REQUIRE(again.has_value());
            CHECK(*again == *r);
          } else {
            CHECK(r.error().offset <= cut);
          }
        }
      }
    }
  }
}

TEST_CASE("show: handshake, features and port description from OVS", "[ofp][fixtures]") {
  auto msgs = decode_all(fixture("show"));
  auto hellos = bodies<Hello>(msgs);
  REQUIRE(hellos.size() == 4);  // ovs-ofctl show opens two connections
  for (const auto* h : hellos) {
    REQUIRE(h->version_bitmap() != nullptr);
    CHECK(h->version_bitmap()->supports(4));
  }
  auto features = bodies<FeaturesReply>(msgs, "s2c");
  REQUIRE(features.size() == 1);
  CHECK(features[0]->datapath_id == 0xc0ffeeu);
  CHECK(features[0]->n_tables == 254);
  CHECK(features[0]->n_buffers == 0);

  auto descs = replies<PortDescReply>(msgs);
  REQUIRE(descs.size() == 1);
  const auto& ports = descs[0]->ports;
  REQUIRE(ports.size() == 4);
  auto find = [&](std::uint32_t no) -> const Port& {
    auto it = std::find_if(ports.begin(), ports.end(), [&](const Port& p) { return p.port_no == no; });
    REQUIRE(it != ports.end());
    return *it;
  };
  CHECK(find(1).name == "vmnfx-veth1");
  CHECK(find(1).hw_addr == *MacAddress::parse("02:00:00:00:00:01"));
  CHECK((find(1).state & port_state::kLive) != 0);
  CHECK(find(2).name == "vmnfx-int2");
  CHECK(find(2).hw_addr == *MacAddress::parse("02:00:00:00:00:02"));
  CHECK(find(3).name == "vmnfx-int3");
  CHECK(find(port::kLocal).name == "vmnfx0");
  CHECK(find(port::kLocal).hw_addr == *MacAddress::parse("02:00:00:c0:ff:ee"));
  CHECK(find(1).curr_speed == 10000000);  // kbps

  auto config = bodies<GetConfigReply>(msgs);
  REQUIRE(config.size() == 1);
  CHECK(config[0]->config.flags == config_flags::kFragNormal);
}

TEST_CASE("flow mods encoded by ovs-ofctl: match fields, actions and instructions", "[ofp][fixtures]") {
  auto msgs = decode_all(fixture("flow-mods"));
  REQUIRE(bodies<FlowMod>(msgs).size() == 16);

  SECTION("ARP request to the controller") {
    const FlowMod& fm = flow_mod_with_cookie(msgs, 0x1001);
    CHECK(fm.command == FlowModCommand::Add);
    CHECK(fm.priority == 1000);
    CHECK(fm.table_id == 0);
    CHECK(fm.buffer_id == kNoBuffer);
    CHECK(oxm_uint(fm.match, OxmField::InPort) == 1);
    CHECK(oxm_mac(fm.match, OxmField::EthSrc) == *MacAddress::parse("52:54:00:00:00:01"));
    CHECK(oxm_mac(fm.match, OxmField::EthDst) == MacAddress::broadcast());
    CHECK(oxm_uint(fm.match, OxmField::EthType) == 0x0806);
    CHECK(oxm_uint(fm.match, OxmField::ArpOp) == 1);
    CHECK(oxm_uint(fm.match, OxmField::ArpSpa) == Ipv4Address::parse("10.0.0.1")->value);
    CHECK(oxm_uint(fm.match, OxmField::ArpTpa) == Ipv4Address::parse("10.0.0.254")->value);
    CHECK(apply_actions(fm.instructions) == ActionList{Output{port::kController, 0xffff}});
  }
  SECTION("HoA to MoA style rewrite: set_field ipv4 and eth, dec_ttl, output") {
    const FlowMod& fm = flow_mod_with_cookie(msgs, 0x1003);
    CHECK(oxm_uint(fm.match, OxmField::Ipv4Src) == Ipv4Address::parse("10.0.0.1")->value);
    CHECK(oxm_uint(fm.match, OxmField::Ipv4Dst) == Ipv4Address::parse("10.0.0.2")->value);
    ActionList expected{set_field(OxmField::Ipv4Src, *Ipv4Address::parse("192.168.1.10")),
                        set_field(OxmField::Ipv4Dst, *Ipv4Address::parse("192.168.2.20")),
                        set_field(OxmField::EthDst, *MacAddress::parse("00:00:5e:00:01:01")),
                        DecNwTtl{}, Output{2, 0}};
    // ovs-ofctl sends max_len 0 for output to a physical port.
    CHECK(apply_actions(fm.instructions) == expected);
  }
  SECTION("masked ipv4, vlan match, pop_vlan") {
    const FlowMod& fm = flow_mod_with_cookie(msgs, 0x1004);
    const OxmTlv* dst = fm.match.find(OxmField::Ipv4Dst);
    REQUIRE(dst != nullptr);
    CHECK(dst->has_mask());
    CHECK(dst->value_uint() == Ipv4Address::parse("10.1.0.0")->value);
    CHECK(dst->mask_uint() == 0xffff0000u);
    CHECK(oxm_uint(fm.match, OxmField::VlanVid) == (kVlanPresent | 100));
    CHECK(oxm_uint(fm.match, OxmField::VlanPcp) == 3);
    CHECK(oxm_uint(fm.match, OxmField::TcpDst) == 80);
    CHECK(apply_actions(fm.instructions) == ActionList{PopVlan{}, Output{2, 0}});
  }
  SECTION("push_vlan with set_field vlan_vid") {
    const FlowMod& fm = flow_mod_with_cookie(msgs, 0x1005);
    CHECK(oxm_uint(fm.match, OxmField::UdpSrc) == 53);
    CHECK(apply_actions(fm.instructions) ==
          ActionList{PushVlan{0x8100}, set_field(OxmField::VlanVid, 4196), Output{2, 0}});
  }
  SECTION("MPLS: pop_mpls + goto_table, push_mpls + set_field + ttl actions") {
    const FlowMod& pop = flow_mod_with_cookie(msgs, 0x1006);
    CHECK(oxm_uint(pop.match, OxmField::MplsLabel) == 17);
    CHECK(oxm_uint(pop.match, OxmField::MplsTc) == 2);
    CHECK(oxm_uint(pop.match, OxmField::MplsBos) == 1);
    REQUIRE(pop.instructions.size() == 2);
    CHECK(pop.instructions[0] == Instruction{ApplyActions{{PopMpls{0x0800}}}});
    CHECK(pop.instructions[1] == Instruction{GotoTable{1}});
    const FlowMod& push = flow_mod_with_cookie(msgs, 0x1007);
    CHECK(oxm_uint(push.match, OxmField::IpDscp) == 46);
    CHECK(oxm_uint(push.match, OxmField::IpEcn) == 1);
    CHECK(apply_actions(push.instructions) ==
          ActionList{PushMpls{0x8847}, set_field(OxmField::MplsLabel, 42), SetMplsTtl{10},
                     DecMplsTtl{}, Output{2, 0}});
  }
  SECTION("meter, write_actions, write_metadata, goto_table in spec order") {
    const FlowMod& fm = flow_mod_with_cookie(msgs, 0x1008);
    CHECK(fm.table_id == 1);
    const OxmTlv* md = fm.match.find(OxmField::Metadata);
    REQUIRE(md != nullptr);
    CHECK(md->value_uint() == 5);
    CHECK(md->mask_uint() == 0xff);
    InstructionList expected{MeterInstruction{1}, WriteActions{{Output{3, 0}}},
                             WriteMetadata{0x10, 0xff}, GotoTable{2}};
    CHECK(fm.instructions == expected);
    const FlowMod& clear = flow_mod_with_cookie(msgs, 0x1009);
    CHECK(clear.instructions == InstructionList{ClearActions{}, GotoTable{2}});
  }
  SECTION("IPv6 fields, group, set_queue, set_nw_ttl, reserved ports") {
    const FlowMod& v6 = flow_mod_with_cookie(msgs, 0x100a);
    const OxmTlv* src = v6.match.find(OxmField::Ipv6Src);
    REQUIRE(src != nullptr);
    CHECK(to_hex(src->value(), '\0') == "20010db8000000000000000000000001");
    CHECK(oxm_uint(v6.match, OxmField::Ipv6Flabel) == 0x12345);
    CHECK(apply_actions(v6.instructions) == ActionList{GroupAction{1}});
    const FlowMod& nd = flow_mod_with_cookie(msgs, 0x100b);
    CHECK(oxm_uint(nd.match, OxmField::Icmpv6Type) == 135);
    CHECK(oxm_mac(nd.match, OxmField::Ipv6NdSll) == *MacAddress::parse("52:54:00:00:00:03"));
    const FlowMod& q = flow_mod_with_cookie(msgs, 0x100c);
    CHECK(apply_actions(q.instructions) ==
          ActionList{SetQueue{1}, SetNwTtl{9}, Output{port::kInPort, 0}});
    const FlowMod& flood = flow_mod_with_cookie(msgs, 0x100d);
    const OxmTlv* eth_dst = flood.match.find(OxmField::EthDst);
    REQUIRE(eth_dst != nullptr);
    CHECK(eth_dst->has_mask());
    CHECK(to_hex(eth_dst->mask(), '\0') == "010000000000");
    CHECK(apply_actions(flood.instructions) == ActionList{Output{port::kFlood, 0}});
    const FlowMod& tun = flow_mod_with_cookie(msgs, 0x100e);
    CHECK(oxm_uint(tun.match, OxmField::TunnelId) == 5);
  }
  SECTION("Nicira extensions survive: NXM reg0 match field and resubmit action") {
    const FlowMod& fm = flow_mod_with_cookie(msgs, 0x100f);
    REQUIRE(fm.match.fields.size() == 1);
    CHECK_FALSE(fm.match.fields[0].is_basic());
    CHECK(fm.match.fields[0].oxm_class() == OxmClass::Nxm1);
    CHECK(fm.match.fields[0].field_number() == 0);  // NXM_NX_REG0
    const ActionList& actions = apply_actions(fm.instructions);
    REQUIRE(actions.size() == 1);
    const auto* exp = std::get_if<ExperimenterAction>(&actions[0]);
    REQUIRE(exp != nullptr);
    CHECK(exp->experimenter == 0x00002320);  // Nicira
  }
  SECTION("timeouts and send_flow_rem") {
    const FlowMod& fm = flow_mod_with_cookie(msgs, 0x1010);
    CHECK(fm.table_id == 3);
    CHECK(fm.idle_timeout == 300);
    CHECK(fm.hard_timeout == 600);
    CHECK((fm.flags & flow_mod_flags::kSendFlowRem) != 0);
    CHECK(oxm_uint(fm.match, OxmField::IpProto) == 47);
    CHECK(apply_actions(fm.instructions) == ActionList{Output{port::kAll, 0}});
  }
  // Every add is followed by a barrier, each answered.
  CHECK(bodies<BarrierRequest>(msgs, "c2s").size() == bodies<BarrierReply>(msgs, "s2c").size());
}

TEST_CASE("flow stats reply lists the flows with their instructions", "[ofp][fixtures]") {
  auto mods = decode_all(fixture("flow-mods"));
  auto msgs = decode_all(fixture("dump-flows"));
  auto requests = bodies<MultipartRequest>(msgs, "c2s");
  std::vector<const FlowStatsRequest*> flow_requests;
  for (const auto* r : requests)
    if (const auto* b = std::get_if<FlowStatsRequest>(&r->body)) flow_requests.push_back(b);
  REQUIRE(flow_requests.size() == 2);
  CHECK(flow_requests[0]->table_id == kTableAll);
  CHECK(flow_requests[1]->table_id == 0);
  CHECK(oxm_uint(flow_requests[1]->match, OxmField::EthType) == 0x0800);

  auto stats = replies<FlowStatsReply>(msgs);
  REQUIRE(stats.size() == 2);
  CHECK(stats[0]->flows.size() == 16);
  for (const auto& fs : stats[0]->flows) {
    INFO("cookie " << fs.cookie);
    const FlowMod& fm = flow_mod_with_cookie(mods, fs.cookie);
    CHECK(fs.priority == fm.priority);
    CHECK(fs.table_id == fm.table_id);
    CHECK(fs.instructions == fm.instructions);
    CHECK(fs.match.fields.size() == fm.match.fields.size());
    CHECK(fs.packet_count == 0);
  }
  // table=0,ip: the three IPv4 flows of table 0 (0x1003, 0x1004 is tcp, 0x1005 udp, 0x1007).
  for (const auto& fs : stats[1]->flows) {
    CHECK(fs.table_id == 0);
    CHECK(oxm_uint(fs.match, OxmField::EthType) == 0x0800);
  }
  CHECK(stats[1]->flows.size() == 4);
}

TEST_CASE("a flow dump longer than 64 KiB is split with REPLY_MORE", "[ofp][fixtures]") {
  auto msgs = decode_all(fixture("dump-flows-more"));
  std::vector<const MultipartReply*> parts;
  for (const auto* r : bodies<MultipartReply>(msgs))
    if (std::holds_alternative<FlowStatsReply>(r->body)) parts.push_back(r);
  REQUIRE(parts.size() >= 2);
  std::size_t flows = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    INFO("part " << i);
    CHECK(parts[i]->more() == (i + 1 < parts.size()));
    flows += std::get<FlowStatsReply>(parts[i]->body).flows.size();
  }
  CHECK(flows == 800);
  const auto& first = std::get<FlowStatsReply>(parts[0]->body).flows.front();
  CHECK(first.table_id == 5);
  CHECK(apply_actions(first.instructions) ==
        ActionList{set_field(OxmField::Ipv4Dst, *Ipv4Address::parse("10.9.9.9")), Output{2, 0}});
}

TEST_CASE("groups: group mods and group description", "[ofp][fixtures]") {
  auto msgs = decode_all(fixture("groups"));
  auto mods = bodies<GroupMod>(msgs, "c2s");
  REQUIRE(mods.size() == 4);
  CHECK(mods[0]->type == GroupType::Select);
  CHECK(mods[0]->group_id == 1);
  REQUIRE(mods[0]->buckets.size() == 2);
  CHECK(mods[0]->buckets[0].weight == 10);
  CHECK(mods[0]->buckets[1].weight == 20);
  CHECK(mods[0]->buckets[1].actions == ActionList{Output{2, 0}});
  CHECK(mods[1]->type == GroupType::All);
  CHECK(mods[1]->buckets[1].actions ==
        ActionList{set_field(OxmField::Ipv4Dst, *Ipv4Address::parse("10.0.0.9")), Output{3, 0}});
  CHECK(mods[2]->type == GroupType::Indirect);
  CHECK(mods[3]->type == GroupType::FastFailover);
  CHECK(mods[3]->buckets[0].watch_port == 1);
  CHECK(mods[3]->buckets[1].watch_port == 2);

  auto descs = replies<GroupDescReply>(msgs);
  REQUIRE(descs.size() == 1);
  REQUIRE(descs[0]->groups.size() == 4);
  for (const auto& g : descs[0]->groups) {
    INFO("group " << g.group_id);
    const auto* mod = *std::find_if(mods.begin(), mods.end(), [&](const GroupMod* m) { return m->group_id == g.group_id; });
    CHECK(g.type == mod->type);
    CHECK(g.buckets.size() == mod->buckets.size());
  }
}

TEST_CASE("meters: meter mods and meter config", "[ofp][fixtures]") {
  auto msgs = decode_all(fixture("meters"));
  auto mods = bodies<MeterMod>(msgs, "c2s");
  REQUIRE(mods.size() == 2);
  CHECK(mods[0]->meter_id == 1);
  CHECK(mods[0]->flags == (meter_flags::kKbps | meter_flags::kBurst | meter_flags::kStats));
  REQUIRE(mods[0]->bands.size() == 1);
  CHECK(mods[0]->bands[0].type == MeterBandType::Drop);
  CHECK(mods[0]->bands[0].rate == 1000);
  CHECK(mods[0]->bands[0].burst_size == 100);
  CHECK(mods[1]->flags == (meter_flags::kPktps | meter_flags::kBurst));
  auto configs = replies<MeterConfigReply>(msgs);
  REQUIRE(configs.size() == 1);
  REQUIRE(configs[0]->meters.size() == 2);
  CHECK(configs[0]->meters[0].meter_id == 1);
  CHECK(configs[0]->meters[0].bands == mods[0]->bands);
}

TEST_CASE("meter features: what OVS's netdev meters can do", "[ofp][fixtures]") {
  auto msgs = decode_all(fixture("misc"));  // ovs-ofctl meter-features
  const auto requests = bodies<MultipartRequest>(msgs, "c2s");
  CHECK(std::count_if(requests.begin(), requests.end(), [](const MultipartRequest* r) {
          return std::holds_alternative<MeterFeaturesRequest>(r->body);
        }) == 1);
  auto features = replies<MeterFeaturesReply>(msgs);
  REQUIRE(features.size() == 1);
  CHECK(features[0]->max_meter == 0x40000);
  CHECK(features[0]->supports_band(MeterBandType::Drop));
  CHECK(!features[0]->supports_band(MeterBandType::DscpRemark));  // not in the netdev datapath
  CHECK(features[0]->capabilities ==
        (meter_flags::kKbps | meter_flags::kPktps | meter_flags::kBurst | meter_flags::kStats));
  CHECK(features[0]->max_bands == 8);
}

TEST_CASE("aggregate, table and port statistics, description", "[ofp][fixtures]") {
  auto agg_msgs = decode_all(fixture("aggregate"));
  auto agg = replies<AggregateStatsReply>(agg_msgs);
  REQUIRE(agg.size() == 2);
  CHECK(agg[0]->flow_count == 16);
  CHECK(agg[1]->flow_count == 6);  // table=2

  auto table_msgs = decode_all(fixture("tables"));
  auto tables = replies<TableStatsReply>(table_msgs);
  REQUIRE(tables.size() == 1);
  REQUIRE(tables[0]->tables.size() == 254);
  for (std::size_t i = 0; i < tables[0]->tables.size(); ++i) CHECK(tables[0]->tables[i].table_id == i);
  CHECK(tables[0]->tables[0].active_count == 7);  // table 0 of flows-rich.txt

  auto ports_msgs = decode_all(fixture("ports"));
  auto stats = replies<PortStatsReply>(ports_msgs);
  REQUIRE(stats.size() == 2);
  CHECK(stats[0]->ports.size() == 4);
  REQUIRE(stats[1]->ports.size() == 1);
  CHECK(stats[1]->ports[0].port_no == 2);
  auto desc = replies<DescReply>(ports_msgs);
  REQUIRE(desc.size() == 1);
  CHECK(desc[0]->mfr_desc == "Nicira, Inc.");
  CHECK(desc[0]->sw_desc == "3.1.0");
}

TEST_CASE("port mod and switch config", "[ofp][fixtures]") {
  auto port_msgs = decode_all(fixture("mod-port"));
  auto mods = bodies<PortMod>(port_msgs, "c2s");
  REQUIRE(mods.size() == 2);
  for (const auto* m : mods) {
    CHECK(m->port_no == 3);
    CHECK(m->hw_addr == *MacAddress::parse("02:00:00:00:00:03"));
  }
  CHECK(mods[0]->mask == port_config::kPortDown);
  CHECK(mods[0]->config == 0);

  auto msgs = decode_all(fixture("frags"));
  auto sets = bodies<SetConfig>(msgs);
  REQUIRE(sets.size() == 2);
  CHECK(sets[0]->config.flags == config_flags::kFragDrop);
  CHECK(sets[1]->config.flags == config_flags::kFragNormal);
  auto gets = bodies<GetConfigReply>(msgs);
  REQUIRE(gets.size() >= 2);
  CHECK(gets[0]->config.flags == config_flags::kFragNormal);
  CHECK(std::any_of(gets.begin(), gets.end(),
                    [](const GetConfigReply* g) { return g->config.flags == config_flags::kFragDrop; }));
}

TEST_CASE("packet out carries the frame and its actions", "[ofp][fixtures]") {
  auto msgs = decode_all(fixture("packet-out"));
  auto outs = bodies<PacketOut>(msgs, "c2s");
  REQUIRE(outs.size() == 2);
  CHECK(outs[0]->buffer_id == kNoBuffer);
  CHECK(outs[0]->in_port == 1);
  CHECK(outs[0]->actions == ActionList{Output{2, 0}});
  CHECK(to_hex(outs[0]->data.span(), '\0') == kArpRequest);
  CHECK(outs[1]->in_port == port::kController);
  REQUIRE(outs[1]->actions.size() == 3);
  CHECK(outs[1]->actions[0] == Action{set_field(OxmField::EthSrc, *MacAddress::parse("52:54:00:00:00:09"))});
  CHECK(outs[1]->actions[1] == Action{Output{1, 0}});
  CHECK(outs[1]->actions[2] == Action{Output{3, 0}});
  CHECK(outs[1]->actions == ActionList{set_field(OxmField::EthSrc, *MacAddress::parse("52:54:00:00:00:09")),
                                       Output{1, 0}, Output{3, 0}});
}

TEST_CASE("errors from OVS carry type, code and the offending request", "[ofp][fixtures]") {
  auto msgs = decode_all(fixture("error"));
  auto errors = bodies<ErrorMsg>(msgs, "s2c");
  REQUIRE(errors.size() >= 2);
  CHECK(errors[0]->type == ErrorType::BadAction);
  CHECK(errors[0]->code == static_cast<std::uint16_t>(BadActionCode::BadOutGroup));
  CHECK(errors[1]->type == ErrorType::MeterModFailed);
  CHECK(errors[1]->code == static_cast<std::uint16_t>(MeterModFailedCode::InvalidMeter));
  for (const auto* e : errors) {
    REQUIRE(e->data.size() >= 8);
    // The data starts with the rejected FLOW_MOD's header.
    CHECK(e->data[0] == std::byte{0x04});
    CHECK(e->data[1] == std::byte{static_cast<std::uint8_t>(MessageType::FlowMod)});
    auto inner = decode(ByteSpan(e->data));
    if (inner) CHECK(std::holds_alternative<FlowMod>(inner->body));
  }
}

TEST_CASE("asynchronous messages: packet-in, port status, flow removed", "[ofp][fixtures]") {
  auto msgs = decode_all(fixture("monitor"));
  auto pins = bodies<PacketIn>(msgs, "s2c");
  REQUIRE(pins.size() == 2);
  // The ARP request from the namespace, sent up by the flow with cookie 0x1001.
  CHECK(pins[0]->in_port() == 1);
  CHECK(pins[0]->reason == PacketInReason::Action);
  CHECK(pins[0]->cookie == 0x1001);
  CHECK(pins[0]->table_id == 0);
  CHECK(pins[0]->buffer_id == kNoBuffer);
  CHECK(pins[0]->total_len == 42);
  CHECK(to_hex(pins[0]->data.span(), '\0') == kArpRequest);
  // The packet-out to CONTROLLER.
  CHECK(pins[1]->in_port() == port::kController);
  CHECK(to_hex(pins[1]->data.span(), '\0') == kArpRequest);

  auto status = bodies<PortStatus>(msgs, "s2c");
  REQUIRE(status.size() >= 3);
  CHECK(status.front()->reason == PortReason::Add);
  CHECK(status.back()->reason == PortReason::Delete);
  CHECK(std::any_of(status.begin(), status.end(), [](const PortStatus* s) {
    return s->reason == PortReason::Modify && (s->desc.config & port_config::kPortDown) != 0;
  }));
  for (const auto* s : status) {
    CHECK(s->desc.port_no == 4);
    CHECK(s->desc.name == "vmnfx-tmp4");
  }

  auto removed = bodies<FlowRemoved>(msgs, "s2c");
  REQUIRE(removed.size() == 2);
  CHECK(removed[0]->cookie == 0xf1);
  CHECK(removed[0]->reason == FlowRemovedReason::HardTimeout);
  CHECK(removed[0]->priority == 7);
  CHECK(removed[0]->hard_timeout == 1);
  CHECK(oxm_uint(removed[0]->match, OxmField::TcpDst) == 22);
  CHECK(removed[1]->cookie == 0xf2);
  CHECK(removed[1]->reason == FlowRemovedReason::Delete);
  CHECK(oxm_uint(removed[1]->match, OxmField::UdpDst) == 53);

  // The ONF flow-monitor requests and replies (watch:) are experimenter multiparts, kept raw.
  auto unknown = replies<UnknownMultipart>(msgs);
  REQUIRE_FALSE(unknown.empty());
  for (const auto* u : unknown) CHECK(u->type == 0xffff);
}

TEST_CASE("messages outside the codec's set are kept unknown, byte for byte", "[ofp][fixtures]") {
  auto msgs = decode_all(fixture("misc"));
  CHECK(bodies<EchoRequest>(msgs, "c2s").size() == 1);
  CHECK(bodies<EchoReply>(msgs, "s2c").size() == 1);
  auto unknown = bodies<UnknownMessage>(msgs, "c2s");
  REQUIRE(unknown.size() == 1);
  CHECK(unknown[0]->type == static_cast<std::uint8_t>(MessageType::QueueGetConfigRequest));
  std::vector<std::uint16_t> types;
  for (const auto* u : replies<UnknownMultipart>(msgs)) types.push_back(u->type);
  for (auto t : {MultipartType::Group, MultipartType::GroupFeatures, MultipartType::Meter}) {
    INFO("multipart type " << static_cast<int>(t));
    CHECK(std::count(types.begin(), types.end(), static_cast<std::uint16_t>(t)) == 1);
  }
}
