// A small world for mobility scenarios: three sites (datapaths 1, 2, 3), a fake flow table
// per switch, and a site router that routes MoAs between the sites' uplinks.
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "fakes/flow_table.hpp"
#include "vmnmob/mobility/engine.hpp"

namespace vmnmob::mobility::test {

inline Ipv4Address ip(const char* s) { return *Ipv4Address::parse(s); }
inline MacAddress mac(const char* s) { return *MacAddress::parse(s); }
inline MacAddress vmn_mac(int i) { return MacAddress::from_u64(std::uint64_t{0x525400000000} + static_cast<std::uint64_t>(static_cast<std::uint32_t>(i))); }
inline Ipv4Address hoa(int i) { return Ipv4Address{ip("10.0.0.0").value + 10u + static_cast<std::uint32_t>(i)}; }
inline MacAddress gateway_mac_of(std::uint64_t dp) { return MacAddress::from_u64(std::uint64_t{0x0a0000000000} + dp); }

constexpr std::uint32_t kUplink = 1;  // "eth0"; VM ports are 2..5 ("vnet0".."vnet3")

inline MobilityConfig three_sites(std::uint32_t pool_size = 10) {
  MobilityConfig c;
  c.home_prefix = *Ipv4Prefix::parse("10.0.0.0/24");
  c.home_gateway = ip("10.0.0.1");
  c.hold_time = std::chrono::seconds(30);
  for (std::uint64_t dp = 1; dp <= 3; ++dp) {
    SiteConfig s;
    s.datapath_id = dp;
    s.uplink_name = "eth0";
    s.gateway_ip = Ipv4Address{ip("172.16.0.1").value + static_cast<std::uint32_t>(dp << 8)};
    s.gateway_mac = gateway_mac_of(dp);
    Ipv4Address first{ip("172.16.0.10").value + static_cast<std::uint32_t>(dp << 8)};
    s.pool_ranges.push_back({first, Ipv4Address{first.value + pool_size - 1}});
    c.sites.push_back(s);
  }
  return c;
}

inline std::vector<ofp::Port> site_ports(std::uint32_t vm_ports = 4) {
  std::vector<ofp::Port> ports;
  ofp::Port up;
  up.port_no = kUplink;
  up.name = "eth0";
  ports.push_back(up);
  for (std::uint32_t i = 0; i < vm_ports; ++i) {
    ofp::Port p;
    p.port_no = 2 + i;
    p.name = "vnet" + std::to_string(i);
    ports.push_back(p);
  }
  return ports;
}

inline ArpFrame arp_request(MacAddress sender, Ipv4Address spa, Ipv4Address tpa) {
  return {MacAddress::broadcast(), sender, kEtherTypeArp, arp_op::kRequest, sender, spa, MacAddress::zero(), tpa};
}
inline ArpFrame gratuitous(MacAddress sender, Ipv4Address address) { return arp_request(sender, address, address); }
/// QEMU's announce: broadcast, sender and target hardware = the VM's MAC, no addresses.
inline ArpFrame rarp(MacAddress m) {
  return {MacAddress::broadcast(), m, kEtherTypeRarp, arp_op::kReverseRequest, m, Ipv4Address{}, m, Ipv4Address{}};
}

struct SentFrame {
  std::uint64_t dp;
  std::uint32_t port;
  ArpFrame frame;
};

template <class T>
std::vector<const T*> bodies(const Batch& b, std::optional<std::uint64_t> dp = std::nullopt) {
  std::vector<const T*> out;
  for (const Outgoing& o : b.messages)
    if (const T* t = std::get_if<T>(&o.message.body); t != nullptr && (!dp || o.datapath_id == *dp)) out.push_back(t);
  return out;
}

inline std::vector<SentFrame> packet_outs(const Batch& b) {
  std::vector<SentFrame> out;
  for (const Outgoing& o : b.messages) {
    const auto* po = std::get_if<ofp::PacketOut>(&o.message.body);
    if (po == nullptr) continue;
    REQUIRE(po->actions.size() == 1);
    auto frame = parse_arp_frame(po->data.span());
    REQUIRE(frame.has_value());
    out.push_back({o.datapath_id, std::get<ofp::Output>(po->actions[0]).port, *frame});
  }
  return out;
}

inline bool has_event(const Batch& b, Event::Kind k) {
  for (const Event& e : b.events)
    if (e.kind == k) return true;
  return false;
}

struct World {
  explicit World(MobilityConfig c = three_sites(), std::unique_ptr<MobilityPolicy> policy = nullptr)
      : engine(std::move(c), std::move(policy)) {}

  MobilityEngine engine;
  std::map<std::uint64_t, fakes::FlowTable> switches;
  std::map<std::uint64_t, bool> up;
  Batch batch;
  TimePoint now = TimePoint{} + std::chrono::hours(1);
  /// The site router's neighbour table (MoA -> MAC), learned from what the engine sends out
  /// of the uplinks, as a Linux router would from an ARP request for its own address.
  std::map<std::uint32_t, MacAddress> router_neighbours;
  std::uint32_t vm_ports = 4;  // per switch, numbered from 2
  std::string why;  // the path of the last packet carried, for failure messages

  void advance(Duration d) { now += d; }

  /// Applies the batch to the fake switches (as a host that sends everything in order).
  const Batch& deliver() { return deliver_range(0, batch.messages.size()); }
  /// Only the part before the break (what a careful host sends before the barrier replies).
  const Batch& deliver_before_break() { return deliver_range(0, batch.break_at); }
  const Batch& deliver_after_break() { return deliver_range(batch.break_at, batch.messages.size()); }
  const Batch& deliver_range(std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) apply(batch.messages[i].datapath_id, batch.messages[i].message);
    return batch;
  }
  /// One message reaching switch dp; the site router learns a MoA from the engine's ARP
  /// request out of the uplink.
  void apply(std::uint64_t dp, const ofp::Message& m) {
    if (!up[dp]) FAIL("message for a switch that is down: " << dp);
    switches[dp].apply(m);
    const auto* po = std::get_if<ofp::PacketOut>(&m.body);
    if (po == nullptr || po->actions.size() != 1) return;
    if (const auto* out = std::get_if<ofp::Output>(&po->actions[0]); out == nullptr || out->port != kUplink) return;
    if (auto f = parse_arp_frame(po->data.span()); f && f->op == arp_op::kRequest)
      router_neighbours[f->sender_ip.value] = f->sender_mac;
  }

  const Batch& switch_up(std::uint64_t dp, std::vector<ofp::Port> ports = site_ports()) {
    batch.clear();
    up[dp] = true;
    engine.on_switch_up(now, dp, ports, batch);
    return deliver();
  }
  const Batch& switch_up(std::uint64_t dp, const SwitchAbilities& abilities) {
    batch.clear();
    up[dp] = true;
    engine.on_switch_up(now, dp, site_ports(), abilities, batch);
    return deliver();
  }
  const Batch& switch_down(std::uint64_t dp) {
    batch.clear();
    up[dp] = false;
    engine.on_switch_down(now, dp, batch);
    return deliver();
  }
  const Batch& all_up() {
    for (std::uint64_t dp = 1; dp <= 3; ++dp) switch_up(dp, site_ports(vm_ports));
    return batch;
  }
  const Batch& arp(std::uint64_t dp, std::uint32_t port, const ArpFrame& f) {
    batch.clear();
    engine.on_arp(now, dp, port, f, batch);
    return deliver();
  }
  const Batch& tick() {
    batch.clear();
    engine.on_tick(now, batch);
    return deliver();
  }
  /// A VMN appears: its ARP request for the home gateway.
  const Batch& attach(int i, std::uint64_t dp, std::uint32_t port) {
    return arp(dp, port, arp_request(vmn_mac(i), hoa(i), ip("10.0.0.1")));
  }
  /// VMN i asks for VMN j's HoA.
  const Batch& ask(int i, int j) {
    const Vmn* v = engine.registry().find(vmn_mac(i));
    REQUIRE(v != nullptr);
    return arp(v->location.datapath_id, v->location.port, arp_request(vmn_mac(i), hoa(i), hoa(j)));
  }
  const Batch& move(int i, std::uint64_t dp, std::uint32_t port) { return arp(dp, port, rarp(vmn_mac(i))); }

  const Vmn& vmn(int i) const {
    const Vmn* v = engine.registry().find(vmn_mac(i));
    REQUIRE(v != nullptr);
    return *v;
  }

  /// The switch's table equals a fresh build from the registry, and so does what the engine
  /// believes it installed.
  void check_consistent() const {
    for (const auto& [dp, is_up] : up) {
      if (!is_up) continue;
      fakes::FlowTable fresh;
      for (const ofp::FlowMod& fm : build_switch_flows(engine.flow_context(dp), engine.registry(), dp, engine.base_generation(dp)))
        fresh.apply(fm);
      fakes::FlowTable believed;
      for (const ofp::FlowMod& fm : engine.installed_flows(dp)) believed.apply(fm);
      INFO("datapath " << dp);
      CHECK(switches.at(dp).sorted() == fresh.sorted());
      CHECK(believed.sorted() == fresh.sorted());
    }
  }

  /// An IPv4 packet from VMN i to VMN j, through i's switch, the routers and j's switch.
  /// Returns what reaches a VM port (nullopt if it is lost on the way).
  std::optional<fakes::Delivery> send(int i, int j) {
    const Vmn& a = vmn(i);
    fakes::Packet p;
    p.in_port = a.location.port;
    p.eth_src = a.mac;
    p.eth_dst = vmn(j).mac;  // what the proxy ARP told the guest
    p.ipv4_src = a.home_address;
    p.ipv4_dst = vmn(j).home_address;
    return carry(a.location.datapath_id, p);
  }

  std::optional<fakes::Delivery> carry(std::uint64_t dp, fakes::Packet p, int hops = 0) {
    if (hops > 4) return std::nullopt;
    fakes::TraceResult r = switches.at(dp).process(p);
    why += fmt::format(" [dp {} in {} {}->{} outputs {} cookies", dp, p.in_port, p.ipv4_src.to_string(),
                       p.ipv4_dst.to_string(), r.outputs.size());
    for (auto c : r.cookies) why += fmt::format(" {:x}", c);
    why += "]";
    if (r.outputs.size() != 1) return std::nullopt;
    fakes::Delivery d = r.outputs.front();
    if (d.port != kUplink) return d;
    // The site router: it must have been addressed at L2, then routes by destination MoA.
    if (d.packet.eth_dst != gateway_mac_of(dp)) return std::nullopt;
    for (std::uint64_t site = 1; site <= 3; ++site) {
      const AddressPool* pool = engine.pool(site);
      if (!pool->contains(d.packet.ipv4_dst)) continue;
      auto neighbour = router_neighbours.find(d.packet.ipv4_dst.value);
      if (neighbour == router_neighbours.end() || !up[site]) return std::nullopt;
      fakes::Packet q = d.packet;
      q.in_port = kUplink;
      q.eth_src = gateway_mac_of(site);
      q.eth_dst = neighbour->second;
      return carry(site, q, hops + 1);
    }
    return std::nullopt;
  }

  /// i reaches j with both HoAs restored, at j's port with j's MAC.
  void check_reaches(int i, int j) {
    why.clear();
    auto d = send(i, j);
    INFO("VMN " << i << " at dp " << vmn(i).location.datapath_id << " moa " << vmn(i).mobile_address.to_string()
                << " -> VMN " << j << " at dp " << vmn(j).location.datapath_id << " moa "
                << vmn(j).mobile_address.to_string() << why);
    REQUIRE(d.has_value());
    CHECK(d->port == vmn(j).location.port);
    CHECK(d->packet.ipv4_src == hoa(i));
    CHECK(d->packet.ipv4_dst == hoa(j));
    CHECK(d->packet.eth_dst == vmn_mac(j));
  }
};

}  // namespace vmnmob::mobility::test
