// The controller's whole input path without sockets, for the `controller` fuzz target and its
// seeds: bytes from up to three switches -> framer -> codec -> session (HELLO, FEATURES,
// PORT_DESC, echo) -> mobility engine -> delivery -> encoded messages, which land in a fake
// OpenFlow flow table per switch (tests/fakes/flow_table.hpp). It is the path
// vmnmob/connection + vmnmob/controller take, with the Asio transport replaced by calls.
//
// Input: records. A record's first byte: low two bits = switch 0..2, or 3 = a timer tick (the
// next byte times 100 ms pass, then the session, engine and delivery timers run); for a switch,
// two more bytes give a length (big-endian, clipped to what is left) of bytes fed to that
// switch's stream. Every record also advances the clock by 1 ms. A switch whose stream breaks
// or whose session closes goes down and reconnects with a fresh session.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "fakes/flow_table.hpp"
#include "vmnmob/connection/session.hpp"
#include "vmnmob/delivery/delivery.hpp"
#include "vmnmob/mobility/engine.hpp"
#include "vmnmob/ofp/codec.hpp"
#include "vmnmob/ofp/framer.hpp"

namespace vmnmob::fuzz {

inline constexpr std::size_t kSwitches = 3;
inline constexpr std::uint32_t kUplink = 1;  // "eth0"; VM ports "vnet0".. from 2

/// Three sites (dpid 1, 2, 3) with small pools, so exhaustion is reachable.
inline mobility::MobilityConfig pipeline_config() {
  mobility::MobilityConfig c;
  c.home_prefix = *Ipv4Prefix::parse("10.0.0.0/24");
  c.home_gateway = *Ipv4Address::parse("10.0.0.1");
  for (std::uint32_t i = 0; i < kSwitches; ++i) {
    mobility::SiteConfig s;
    s.datapath_id = i + 1;
    s.uplink_name = "eth0";
    s.gateway_ip = Ipv4Address{Ipv4Address::parse("172.16.0.1")->value + (i << 8)};
    if (i != 2) s.gateway_mac = MacAddress::from_u64(0x0a0000000000u + i);  // site 3 resolves it
    const Ipv4Address first{Ipv4Address::parse("172.16.0.10")->value + (i << 8)};
    s.pool_ranges.push_back({first, Ipv4Address{first.value + 7}});
    c.sites.push_back(s);
  }
  c.hold_time = std::chrono::seconds(2);
  return c;
}

class Pipeline final : public delivery::SwitchLink {
 public:
  Pipeline() : engine_(pipeline_config()), delivery_(*this) {
    for (std::size_t i = 0; i < kSwitches; ++i) connect(i);
  }

  /// Runs one input; returns false (with `why`) when an invariant broke.
  bool run(std::span<const std::uint8_t> input) {
    for (std::size_t at = 0; at < input.size();) {
      const std::uint8_t head = input[at++];
      now_ += std::chrono::milliseconds(1);
      if ((head & 3) == 3) {
        const std::uint8_t steps = at < input.size() ? input[at++] : 1;
        now_ += std::chrono::milliseconds(100) * steps;
        tick();
      } else {
        std::size_t length = 0;
        if (at + 2 <= input.size()) length = std::size_t{input[at]} << 8 | input[at + 1];
        at = std::min(at + 2, input.size());
        length = std::min(length, input.size() - at);
        feed(head & 3, input.subspan(at, length));
        at += length;
      }
      if (!why_.empty() || !check_registry()) return false;
    }
    return why_.empty() && check_flows();
  }
  const std::string& why() const { return why_; }
  const mobility::MobilityEngine& engine() const { return engine_; }
  bool up(std::size_t i) const { return sessions_[i].up(); }

  // ---- delivery::SwitchLink: encode, then apply to the switch's flow table ----
  bool send(std::uint64_t dp, std::span<const ofp::Message> messages) override {
    const std::size_t i = dp - 1;
    if (dp == 0 || i >= kSwitches || !sessions_[i].up()) return false;
    for (const ofp::Message& m : messages) {
      scratch_.clear();
      if (!ofp::encode(m, scratch_)) {
        why_ = "the engine produced a message that does not encode";
        return false;
      }
      tables_[i].apply(m);
    }
    return true;
  }

 private:
  void connect(std::size_t i) {
    sessions_[i] = connection::Session{};
    framers_[i] = ofp::Framer{};
    (void)sessions_[i].start(now_);
  }

  void down(std::size_t i) {
    if (sessions_[i].up()) {
      batch_.clear();
      engine_.on_switch_down(now_, i + 1, batch_);
      delivery_.on_switch_down(now_, i + 1, reports_);
      deliver();
    }
    connect(i);
  }

  void feed(std::size_t i, std::span<const std::uint8_t> bytes) {
    if (bytes.empty()) return;  // a read of nothing does not happen (memcpy from null is UB)
    ofp::Framer& framer = framers_[i];
    auto room = framer.prepare(bytes.size());
    std::memcpy(room.data(), bytes.data(), bytes.size());
    framer.commit(bytes.size());
    for (;;) {
      auto frame = framer.next();
      if (!frame) return down(i);  // an unframeable stream: the connection would close
      if (!*frame) return;
      auto msg = ofp::decode(**frame);
      if (!msg) continue;  // answered with OFPT_ERROR by the connection; the stream goes on
      if (!on_message(i, *msg)) return down(i);
    }
  }

  /// What vmnmob/connection and vmnmob/controller do with one decoded message.
  bool on_message(std::size_t i, const ofp::Message& msg) {
    connection::Session& session = sessions_[i];
    const bool was_up = session.up();
    auto actions = session.on_message(now_, msg);
    if (actions.close) return false;
    const std::uint64_t dp = session.features().datapath_id;
    batch_.clear();
    if (actions.became_up) {
      if (dp != i + 1) return false;  // one datapath id per fake connection (replacement is the manager's)
      engine_.on_switch_up(now_, dp, session.ports(), batch_);
    } else if (actions.consumed || !was_up) {
      return true;
    } else if (const auto* packet_in = std::get_if<ofp::PacketIn>(&msg.body)) {
      engine_.on_packet_in(now_, dp, *packet_in, batch_);
    } else if (const auto* status = std::get_if<ofp::PortStatus>(&msg.body)) {
      engine_.on_port_status(now_, dp, *status, batch_);
    } else if (const auto* removed = std::get_if<ofp::FlowRemoved>(&msg.body)) {
      engine_.on_flow_removed(now_, dp, *removed, batch_);
    } else {
      delivery_.on_message(now_, dp, msg, reports_);
    }
    deliver();
    return true;
  }

  void tick() {
    for (std::size_t i = 0; i < kSwitches; ++i)
      if (sessions_[i].on_tick(now_).close) down(i);
    batch_.clear();
    engine_.on_tick(now_, batch_);
    delivery_.on_tick(now_, reports_);
    deliver();
  }

  void deliver() {
    delivery_.deliver(now_, batch_, reports_);
    reports_.clear();
  }

  /// No MoA or HoA twice; every MoA inside its site's pool; every VMN at a configured site.
  bool check_registry() {
    std::vector<std::uint32_t> moas, hoas;
    for (const mobility::Vmn& v : engine_.registry()) {
      hoas.push_back(v.home_address.value);
      if (!engine_.config().home_prefix.contains(v.home_address)) why_ = "a HoA outside the home prefix";
      if (v.mobile_address.is_unspecified()) continue;
      moas.push_back(v.mobile_address.value);
      const mobility::AddressPool* pool = engine_.pool(v.location.datapath_id);
      if (pool == nullptr || !pool->contains(v.mobile_address)) why_ = "a MoA outside its site's pool";
    }
    for (auto* list : {&moas, &hoas}) {
      std::sort(list->begin(), list->end());
      if (std::adjacent_find(list->begin(), list->end()) != list->end()) why_ = "an address handed out twice";
    }
    return why_.empty();
  }

  /// Every connected switch holds exactly what the engine would build from its registry.
  bool check_flows() {
    for (std::size_t i = 0; i < kSwitches; ++i) {
      const std::uint64_t dp = i + 1;
      if (!sessions_[i].up() || !engine_.connected(dp)) continue;
      fakes::FlowTable fresh;
      for (const ofp::FlowMod& fm :
           mobility::build_switch_flows(engine_.flow_context(dp), engine_.registry(), dp, engine_.base_generation(dp)))
        fresh.apply(fm);
      if (!(tables_[i].sorted() == fresh.sorted())) why_ = "a switch's flows differ from the engine's registry";
    }
    return why_.empty();
  }

  mobility::MobilityEngine engine_;
  delivery::Delivery delivery_;
  std::array<connection::Session, kSwitches> sessions_;
  std::array<ofp::Framer, kSwitches> framers_;
  std::array<fakes::FlowTable, kSwitches> tables_;
  mobility::Batch batch_;
  std::vector<delivery::Report> reports_;
  ByteVector scratch_;
  TimePoint now_ = TimePoint{} + std::chrono::hours(1);
  std::string why_;
};

}  // namespace vmnmob::fuzz
