// Everything the engine sends is valid OpenFlow 1.3 for the codec: matches pass validate()
// (prerequisites, masks), and every message encodes and decodes back to itself.
#include <catch2/catch.hpp>

#include "mobility/harness.hpp"
#include "vmnmob/ofp/codec.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility;
using namespace vmnmob::mobility::test;

namespace {
void check_wire(const Batch& b) {
  for (const Outgoing& o : b.messages) {
    if (const auto* fm = std::get_if<ofp::FlowMod>(&o.message.body)) {
      auto ok = ofp::validate(fm->match);
      INFO((ok ? std::string() : ok.error().to_string()));
      CHECK(ok.has_value());
    }
    auto wire = ofp::encode(o.message);
    REQUIRE(wire.has_value());
    auto back = ofp::decode(as_bytes(*wire));
    REQUIRE(back.has_value());
    CHECK(*back == o.message);
  }
}
}  // namespace

TEST_CASE("every message of detection, pairing, probing and migration encodes and validates") {
  MobilityConfig c = three_sites();
  c.home_prefix = *Ipv4Prefix::parse("10.0.0.77/24");  // host bits in the config are masked off
  c.sites[2].gateway_mac.reset();
  World w(c);
  check_wire(w.switch_up(1));
  check_wire(w.switch_up(2));
  check_wire(w.switch_up(3));
  check_wire(w.attach(1, 1, 2));
  check_wire(w.attach(2, 2, 2));
  check_wire(w.ask(1, 2));
  check_wire(w.ask(1, 5));
  check_wire(w.move(1, 3, 3));
  check_wire(w.move(2, 3, 4));
  check_wire(w.move(1, 1, 2));
}
