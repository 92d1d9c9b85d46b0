// Switch meters on the packet-in flows (MobilityConfig::switch_meters): off, the switch-up batch
// is the one scenario_test.cpp asserts; on, it gains the METER_MODs before the base flows and the
// ARP and RARP flows carry their own meter.
#include <catch2/catch.hpp>

#include "harness.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility;
using namespace vmnmob::mobility::test;

namespace {
const ofp::FlowMod* flow_for(const Batch& b, std::uint16_t eth_type) {
  for (const Outgoing& o : b.messages)
    if (const auto* fm = std::get_if<ofp::FlowMod>(&o.message.body);
        fm != nullptr && fm->command == ofp::FlowModCommand::Add && fm->match.get_uint(ofp::OxmField::EthType) == eth_type &&
        fm->match.fields.size() == 1)
      return fm;
  return nullptr;
}
}  // namespace

TEST_CASE("meters: off by default, no METER_MOD and no meter instruction") {
  World w;
  const Batch& b = w.switch_up(1);
  for (const Outgoing& o : b.messages) CHECK(!std::holds_alternative<ofp::MeterMod>(o.message.body));
  const ofp::FlowMod* arp = flow_for(b, 0x0806);
  REQUIRE(arp != nullptr);
  CHECK(arp->instructions.size() == 1);
}

TEST_CASE("meters: on, the switch gets ARP and RARP meters before the flows that use them") {
  MobilityConfig c = three_sites();
  c.switch_meters.enabled = true;
  World w(c);
  World without;
  const Batch& plain = without.switch_up(1);
  const Batch& b = w.switch_up(1);
  // The reconcile delete, then delete+add of both meters, then the same flows as without meters.
  REQUIRE(b.messages.size() == plain.messages.size() + 4);
  std::vector<ofp::MeterMod> meters;
  for (std::size_t i = 1; i <= 4; ++i) {
    const auto* m = std::get_if<ofp::MeterMod>(&b.messages[i].message.body);
    REQUIRE(m != nullptr);
    meters.push_back(*m);
  }
  CHECK(meters[0].command == ofp::MeterModCommand::Delete);
  CHECK(meters[0].meter_id == c.switch_meters.arp_meter_id);
  CHECK(meters[1].command == ofp::MeterModCommand::Delete);
  CHECK(meters[1].meter_id == c.switch_meters.announce_meter_id);
  CHECK(meters[2] == ofp::MeterMod{ofp::MeterModCommand::Add,
                                   ofp::meter_flags::kPktps | ofp::meter_flags::kBurst | ofp::meter_flags::kStats,
                                   c.switch_meters.arp_meter_id,
                                   {ofp::MeterBand{ofp::MeterBandType::Drop, 1000, 200, 0, 0, {}}}});
  CHECK(meters[3] == ofp::MeterMod{ofp::MeterModCommand::Add,
                                   ofp::meter_flags::kPktps | ofp::meter_flags::kBurst | ofp::meter_flags::kStats,
                                   c.switch_meters.announce_meter_id,
                                   {ofp::MeterBand{ofp::MeterBandType::Drop, 200, 100, 0, 0, {}}}});
  const ofp::FlowMod* arp = flow_for(b, 0x0806);
  const ofp::FlowMod* rarp = flow_for(b, 0x8035);
  REQUIRE(arp != nullptr);
  REQUIRE(rarp != nullptr);
  const ofp::FlowMod* plain_arp = flow_for(plain, 0x0806);
  REQUIRE(plain_arp != nullptr);
  // The meter instruction first (OF 1.3 §5.9), then what the flow does without meters.
  REQUIRE(arp->instructions.size() == 2);
  CHECK(arp->instructions[0] == ofp::Instruction{ofp::MeterInstruction{c.switch_meters.arp_meter_id}});
  CHECK(arp->instructions[1] == plain_arp->instructions[0]);
  REQUIRE(rarp->instructions.size() == 2);
  CHECK(rarp->instructions[0] == ofp::Instruction{ofp::MeterInstruction{c.switch_meters.announce_meter_id}});
  CHECK(rarp->priority > arp->priority);
  // Every other message is the same as without meters.
  for (std::size_t i = 5; i < b.messages.size(); ++i) {
    const auto* fm = std::get_if<ofp::FlowMod>(&b.messages[i].message.body);
    const auto* pfm = std::get_if<ofp::FlowMod>(&plain.messages[i - 4].message.body);
    REQUIRE(fm != nullptr);
    REQUIRE(pfm != nullptr);
    if (fm == arp || fm == rarp) continue;
    CHECK(*fm == *pfm);
  }
  // And the switch still carries traffic: a VMN is detected and answered as usual.
  w.switch_up(2);
  w.switch_up(3);
  const Batch& detected = w.attach(1, 1, 2);
  CHECK(has_event(detected, Event::Kind::VmnDetected));
}

namespace {
/// What Open vSwitch 3.1's netdev datapath answers (tests/fixtures/ovs/meter-features.txt).
ofp::MeterFeaturesReply ovs_meter_features() {
  return ofp::MeterFeaturesReply{0x40000, 1u << 1,
                                 ofp::meter_flags::kKbps | ofp::meter_flags::kPktps | ofp::meter_flags::kBurst |
                                     ofp::meter_flags::kStats,
                                 8, 0};
}
bool has_meter_mod(const Batch& b) {
  return std::any_of(b.messages.begin(), b.messages.end(),
                     [](const Outgoing& o) { return std::holds_alternative<ofp::MeterMod>(o.message.body); });
}
}  // namespace

TEST_CASE("meters: a switch whose METER_FEATURES allow them gets them, as when not asked") {
  MobilityConfig c = three_sites();
  c.switch_meters.enabled = true;
  World asked(c), trusted(c);
  const Batch& b = asked.switch_up(1, SwitchAbilities{true, ovs_meter_features()});
  const Batch& t = trusted.switch_up(1);
  CHECK(!has_event(b, Event::Kind::MetersUnusable));
  REQUIRE(b.messages.size() == t.messages.size());
  for (std::size_t i = 0; i < b.messages.size(); ++i) CHECK(b.messages[i].message == t.messages[i].message);
}

TEST_CASE("meters: a switch that cannot run them gets the flows without meters, and an event why") {
  MobilityConfig c = three_sites();
  c.switch_meters.enabled = true;
  World without;
  const Batch& plain = without.switch_up(1);
  struct Case {
    const char* name;
    std::optional<ofp::MeterFeaturesReply> features;
    std::string_view reason;
  };
  std::vector<Case> cases;
  cases.push_back({"refused", std::nullopt, "METER_FEATURES refused (no meters)"});
  auto f = ovs_meter_features();
  f.band_types = 1u << 2;  // DSCP remark only
  cases.push_back({"no drop band", f, "no DROP meter band"});
  f = ovs_meter_features();
  f.capabilities = ofp::meter_flags::kKbps | ofp::meter_flags::kBurst | ofp::meter_flags::kStats;
  cases.push_back({"no pktps", f, "meters without PKTPS, BURST or STATS"});
  f = ovs_meter_features();
  f.max_meter = 0xa701;  // the ARP meter fits, the announce meter (0xa702) does not
  cases.push_back({"ids too high", f, "meter ids above the switch's max_meter"});
  f = ovs_meter_features();
  f.max_bands = 0;
  cases.push_back({"no bands", f, "meters without bands"});
  for (const Case& k : cases) {
    INFO(k.name);
    World w(c);
    const Batch& b = w.switch_up(1, SwitchAbilities{true, k.features});
    CHECK(!has_meter_mod(b));
    REQUIRE(b.messages.size() == plain.messages.size());
    for (std::size_t i = 0; i < b.messages.size(); ++i) CHECK(b.messages[i].message == plain.messages[i].message);
    const auto it = std::find_if(b.events.begin(), b.events.end(),
                                 [](const Event& e) { return e.kind == Event::Kind::MetersUnusable; });
    REQUIRE(it != b.events.end());
    CHECK(it->to.datapath_id == 1);
    CHECK(it->reason == k.reason);
    CHECK(w.engine.flow_context(1).arp_meter == std::nullopt);
  }
}
