// The canonical flow text (vmnmob/ofp/flow_text.hpp) of flows captured from Open vSwitch 3.1:
// the FLOW_STATS reply in fixtures/ovs/dump-flows.txt must print exactly the lines that
// tests/e2e/lib/flow_canon.py makes of the same flows as ovs-ofctl printed them
// (fixtures/flow-text/dump-flows-canonical.txt; the ctest vmnctl_show_flows checks that side).
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "lib/fixtures.hpp"
#include "vmnmob/ofp/codec.hpp"
#include "vmnmob/ofp/flow_text.hpp"

using namespace vmnmob;
using namespace vmnmob::ofp;

namespace {

const std::string kDir = vmnmob::testing::ovs_fixture_dir(VMNMOB_FIXTURES_DIR);
// Nicira reg0 and resubmit: outside OpenFlow 1.3's basic set, printed as hex on both sides.
constexpr std::uint64_t kNiciraFlow = 0x100f;

std::vector<Message> decode_fixture(const std::string& name) {
  std::vector<Message> out;
  for (const auto& m : vmnmob::testing::load_fixture(kDir + "/" + name + ".txt").messages) {
    auto r = decode(as_bytes(m.bytes));
    REQUIRE(r.has_value());
    out.push_back(std::move(*r));
  }
  return out;
}

std::vector<std::string> expected_lines() {
  std::ifstream in(std::string(VMNMOB_FIXTURES_DIR) + "/flow-text/dump-flows-canonical.txt");
  REQUIRE(in);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') out.push_back(line);
  return out;
}

FlowMod flow(Match match, InstructionList instructions) {
  FlowMod fm;
  fm.table_id = 1;
  fm.priority = 300;
  fm.cookie = 0xa7;
  fm.match = std::move(match);
  fm.instructions = std::move(instructions);
  return fm;
}

}  // namespace

TEST_CASE("flow text of OVS's flow stats equals flow_canon.py's reading of ovs-ofctl", "[ofp][flow_text]") {
  const auto msgs = decode_fixture("dump-flows");
  const FlowStatsReply* reply = nullptr;
  for (const auto& m : msgs)
    if (const auto* mp = std::get_if<MultipartReply>(&m.body))
      if (const auto* r = std::get_if<FlowStatsReply>(&mp->body); r && reply == nullptr) reply = r;
  REQUIRE(reply != nullptr);
  REQUIRE(reply->flows.size() == 16);
  std::vector<std::string> lines;
  for (const FlowStats& fs : reply->flows)
    if (fs.cookie != kNiciraFlow) lines.push_back(flow_text(fs));
  std::sort(lines.begin(), lines.end());
  const auto expected = expected_lines();
  REQUIRE(lines.size() == expected.size());
  for (std::size_t i = 0; i < lines.size(); ++i) {
    INFO("line " << i);
    CHECK(lines[i] == expected[i]);
  }
}

TEST_CASE("flow text of a flow-mod equals that of the flow the switch reports", "[ofp][flow_text]") {
  std::vector<const FlowMod*> mods;
  const auto sent = decode_fixture("flow-mods");
  for (const auto& m : sent)
    if (const auto* fm = std::get_if<FlowMod>(&m.body)) mods.push_back(fm);
  const auto dumped = decode_fixture("dump-flows");
  const FlowStatsReply* reply = nullptr;
  for (const auto& m : dumped)
    if (const auto* mp = std::get_if<MultipartReply>(&m.body))
      if (const auto* r = std::get_if<FlowStatsReply>(&mp->body); r && reply == nullptr) reply = r;
  REQUIRE(reply != nullptr);
  std::size_t compared = 0;
  for (const FlowStats& fs : reply->flows) {
    auto fm = std::find_if(mods.begin(), mods.end(), [&](const FlowMod* m) { return m->cookie == fs.cookie; });
    REQUIRE(fm != mods.end());
    INFO("cookie " << fs.cookie);
    CHECK(flow_text(**fm) == flow_text(fs));
    ++compared;
  }
  CHECK(compared == 16);
}

TEST_CASE("flow text: masks, addresses, instruction order", "[ofp][flow_text]") {
  const auto ip = [](const char* s) { return *Ipv4Address::parse(s); };
  SECTION("an all-ones mask is no mask, an all-zeros mask no field, a prefix mask /N") {
    Match m;
    m.add(OxmField::EthType, 0x0800)
        .add(OxmField::Ipv4Dst, ip("10.10.0.1"), ip("255.255.255.255"))
        .add(OxmField::Ipv4Src, ip("0.0.0.0"), ip("0.0.0.0"));
    CHECK(flow_text(flow(m, {})) ==
          "table=1 priority=300 cookie=0xa7 idle_timeout=0 hard_timeout=0 flags=- "
          "match=eth_type=0x0800,ipv4_dst=10.10.0.1 actions=drop");
    Match p;
    p.add(OxmField::EthType, 0x0800).add(OxmField::Ipv4Dst, ip("10.10.0.0"), ip("255.255.255.0"));
    CHECK(flow_text(flow(p, {})).find("ipv4_dst=10.10.0.0/24 ") != std::string::npos);
    Match q;
    q.add(OxmField::EthType, 0x0800).add(OxmField::Ipv4Dst, ip("10.0.0.1"), ip("255.0.255.0"));
    CHECK(flow_text(flow(q, {})).find("ipv4_dst=10.0.0.1/255.0.255.0 ") != std::string::npos);
  }
  SECTION("IPv6 addresses as RFC 5952") {
    Match m;
    m.add(OxmField::EthType, 0x86dd)
        .add(OxmField::Ipv6Src, std::array<std::uint8_t, 16>{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1})
        .add(OxmField::Ipv6Dst, std::array<std::uint8_t, 16>{});
    CHECK(flow_text(flow(m, {})).find("ipv6_dst=::,ipv6_src=2001:db8::1:0:0:1 ") != std::string::npos);
  }
  SECTION("instructions in execution order, reserved ports by name, flags by name") {
    FlowMod fm = flow({}, {GotoTable{4}, WriteActions{{Output{11}}},
                           ApplyActions{{set_field(OxmField::Ipv4Dst, ip("10.10.0.1")), Output{port::kController, 128}}},
                           MeterInstruction{2}});
    fm.flags = flow_mod_flags::kSendFlowRem | flow_mod_flags::kResetCounts;
    fm.idle_timeout = 3600;
    CHECK(flow_text(fm) ==
          "table=1 priority=300 cookie=0xa7 idle_timeout=3600 hard_timeout=0 flags=send_flow_rem,reset_counts "
          "match=any actions=meter:2,set_field:ipv4_dst=10.10.0.1,output:CONTROLLER:128,write_actions(output:11),"
          "goto_table:4");
  }
}
