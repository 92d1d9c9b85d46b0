#include "vmnmob/mobility/flow_builder.hpp"

namespace vmnmob::mobility {

namespace {

using ofp::OxmField;

constexpr std::uint16_t kEthTypeIpv4 = 0x0800;
constexpr std::uint16_t kEthTypeArp = 0x0806;
constexpr std::uint16_t kEthTypeRarp = 0x8035;

/// `instructions`: how many the caller adds, so the list is allocated once at its size.
ofp::FlowMod flow(const SwitchFlowContext& ctx, std::uint8_t table_offset, std::uint16_t prio,
                  std::uint64_t cookie, std::size_t instructions = 3) {
  ofp::FlowMod fm;
  fm.cookie = cookie;
  fm.table_id = static_cast<std::uint8_t>(ctx.first_table + table_offset);
  fm.command = ofp::FlowModCommand::Add;
  fm.priority = prio;
  fm.instructions.reserve(instructions);
  return fm;
}

ofp::Instruction goto_table(const SwitchFlowContext& ctx, std::uint8_t table_offset) {
  return ofp::GotoTable{static_cast<std::uint8_t>(ctx.first_table + table_offset)};
}

ofp::Match ip_match() {
  // Every translation flow starts with the same eth_type OXM: built once, then copied
  // (remote flows are built by the hundred per migration).
  static const ofp::OxmTlv kIsIpv4 = ofp::Match{}.add(OxmField::EthType, kEthTypeIpv4).fields.front();
  ofp::Match m;
  m.fields.reserve(2);  // eth_type and the one address every caller adds
  m.fields.push_back(kIsIpv4);
  return m;
}

/// Builds an action list with one allocation (an initializer list would copy every action).
template <class... A>
ofp::ActionList actions(A&&... a) {
  ofp::ActionList list;
  list.reserve(sizeof...(A));
  (list.emplace_back(std::forward<A>(a)), ...);
  return list;
}

}  // namespace

LocalFlowParams local_params(const Vmn& v) {
  return {v.id, v.generation, v.mac, v.home_address, v.mobile_address, v.location.port};
}
RemoteFlowParams remote_params(const Vmn& v) {
  return {v.id, v.generation, v.home_address, v.mobile_address};
}

std::vector<ofp::MeterMod> build_packet_in_meters(const SwitchMeters& meters) {
  std::vector<ofp::MeterMod> out;
  if (!meters.enabled) return out;
  auto meter = [&](ofp::MeterModCommand command, std::uint32_t id, std::uint32_t rate, std::uint32_t burst) {
    ofp::MeterMod m;
    m.command = command;
    m.meter_id = id;
    if (command != ofp::MeterModCommand::Delete) {
      m.flags = ofp::meter_flags::kPktps | ofp::meter_flags::kBurst | ofp::meter_flags::kStats;
      m.bands.push_back(ofp::MeterBand{ofp::MeterBandType::Drop, rate, burst, 0, 0, {}});
    }
    out.push_back(std::move(m));
  };
  // Delete first: a meter left by an earlier run would make ADD fail with METER_EXISTS, and
  // deleting an absent meter is not an error (§7.3.4.5).
  meter(ofp::MeterModCommand::Delete, meters.arp_meter_id, 0, 0);
  meter(ofp::MeterModCommand::Delete, meters.announce_meter_id, 0, 0);
  meter(ofp::MeterModCommand::Add, meters.arp_meter_id, meters.arp_rate, meters.arp_burst);
  meter(ofp::MeterModCommand::Add, meters.announce_meter_id, meters.announce_rate, meters.announce_burst);
  return out;
}

std::optional<std::string_view> meters_unusable(const SwitchMeters& meters, const ofp::MeterFeaturesReply& f) {
  constexpr std::uint32_t kNeeded = ofp::meter_flags::kPktps | ofp::meter_flags::kBurst | ofp::meter_flags::kStats;
  if (!f.supports_band(ofp::MeterBandType::Drop)) return "no DROP meter band";
  if ((f.capabilities & kNeeded) != kNeeded) return "meters without PKTPS, BURST or STATS";
  if (f.max_bands < 1) return "meters without bands";
  if (meters.arp_meter_id == 0 || meters.announce_meter_id == 0 ||
      std::max(meters.arp_meter_id, meters.announce_meter_id) > f.max_meter)
    return "meter ids above the switch's max_meter";
  return std::nullopt;
}

void build_base_flows(const SwitchFlowContext& ctx, std::uint32_t generation, std::vector<ofp::FlowMod>& out) {
  const std::uint64_t cookie = Cookie::make(ctx.cookie_owner, FlowKind::Base, generation, 0);
  const ofp::Output to_controller{ofp::port::kController, ofp::kControllerMaxLenNoBuffer};

  // RARP gets its own flow: the announce after a migration must not wait behind other
  // packet-ins on a shared, rate-limited path (SYSTEM.md, OVS facts).
  ofp::FlowMod rarp = flow(ctx, table::kClassify, priority::kAnnounce, cookie);
  rarp.match.add(OxmField::EthType, kEthTypeRarp);
  // OF 1.3 §5.9: the meter instruction comes first (OVS refuses another order).
  if (ctx.announce_meter) rarp.instructions.push_back(ofp::MeterInstruction{*ctx.announce_meter});
  rarp.instructions.push_back(ofp::ApplyActions{actions(to_controller)});
  out.push_back(std::move(rarp));

  // All ARP, unicast included: guests re-check neighbours with unicast ARP to the peer's MAC.
  ofp::FlowMod arp = flow(ctx, table::kClassify, priority::kArp, cookie);
  arp.match.add(OxmField::EthType, kEthTypeArp);
  if (ctx.arp_meter) arp.instructions.push_back(ofp::MeterInstruction{*ctx.arp_meter});
  arp.instructions.push_back(ofp::ApplyActions{actions(to_controller)});
  out.push_back(std::move(arp));

  if (ctx.uplink_port) {
    ofp::FlowMod uplink = flow(ctx, table::kClassify, priority::kUplink, cookie);
    uplink.match.add(OxmField::InPort, *ctx.uplink_port);
    uplink.instructions.push_back(goto_table(ctx, table::kIngress));
    out.push_back(std::move(uplink));
  }

  ofp::FlowMod classify_miss = flow(ctx, table::kClassify, priority::kMiss, cookie);
  classify_miss.instructions.push_back(goto_table(ctx, table::kEgress));
  out.push_back(std::move(classify_miss));

  ofp::FlowMod unknown_home = flow(ctx, table::kEgress, priority::kUnknownHome, cookie);
  unknown_home.match = ip_match();
  // Value bits outside the mask would be refused (BAD_WILDCARDS), so the network is masked.
  const std::uint32_t mask = ctx.home_prefix.mask();
  unknown_home.match.add(OxmField::Ipv4Dst, Ipv4Address{ctx.home_prefix.network.value & mask}, Ipv4Address{mask});
  out.push_back(std::move(unknown_home));

  ofp::FlowMod egress_miss = flow(ctx, table::kEgress, priority::kMiss, cookie);
  if (ctx.non_vmn == NonVmnTraffic::Translate) egress_miss.instructions.push_back(goto_table(ctx, table::kEgressSource));
  out.push_back(std::move(egress_miss));

  out.push_back(flow(ctx, table::kIngress, priority::kMiss, cookie));
  out.push_back(flow(ctx, table::kEgressSource, priority::kMiss, cookie));
  // No instruction: processing stops and the action set written in T+2 is executed
  // (OF 1.3 section 5.10), so ingress packets leave through their VMN's port.
  out.push_back(flow(ctx, table::kIngressSource, priority::kMiss, cookie));
}

void build_local_flows(const SwitchFlowContext& ctx, const LocalFlowParams& p, std::vector<ofp::FlowMod>& out) {
  const std::uint64_t cookie = Cookie::make(ctx.cookie_owner, FlowKind::Local, p.generation, p.id);
  const std::size_t first = out.size();

  ofp::FlowMod deliver = flow(ctx, table::kEgress, priority::kLocalDelivery, cookie);
  deliver.match = ip_match();
  deliver.match.add(OxmField::Ipv4Dst, p.home_address);
  deliver.instructions.push_back(ofp::ApplyActions{actions(ofp::set_field(OxmField::EthDst, p.mac), ofp::Output{p.port})});
  out.push_back(std::move(deliver));

  ofp::FlowMod ingress = flow(ctx, table::kIngress, priority::kTranslate, cookie);
  ingress.match = ip_match();
  ingress.match.add(OxmField::Ipv4Dst, p.mobile_address);
  ingress.instructions.push_back(ofp::ApplyActions{actions(ofp::set_field(OxmField::Ipv4Dst, p.home_address),
                                                    ofp::set_field(OxmField::EthSrc, ctx.virtual_gateway_mac),
                                                    ofp::set_field(OxmField::EthDst, p.mac))});
  ingress.instructions.push_back(ofp::WriteActions{actions(ofp::Output{p.port})});
  ingress.instructions.push_back(goto_table(ctx, table::kIngressSource));
  out.push_back(std::move(ingress));

  // Without the site gateway's MAC (or the uplink) the packet has nowhere to go yet; the flow
  // is added once both are known.
  if (ctx.gateway_mac && ctx.uplink_port) {
    ofp::FlowMod egress = flow(ctx, table::kEgressSource, priority::kTranslate, cookie);
    egress.match.add(OxmField::InPort, p.port);
    egress.match.add(OxmField::EthType, kEthTypeIpv4);
    egress.match.add(OxmField::Ipv4Src, p.home_address);
    egress.instructions.push_back(ofp::ApplyActions{actions(ofp::set_field(OxmField::Ipv4Src, p.mobile_address),
                                                     ofp::set_field(OxmField::EthDst, *ctx.gateway_mac),
                                                     ofp::Output{*ctx.uplink_port})});
    out.push_back(std::move(egress));
  }
  // VMN expiry (engine.hpp, on_flow_removed): RESET_COUNTS makes a re-add of the group restart
  // every flow's idle timer, so an idle VMN's flows time out together.
  if (ctx.local_idle_timeout != 0)
    for (std::size_t i = first; i < out.size(); ++i) {
      out[i].idle_timeout = ctx.local_idle_timeout;
      out[i].flags = ofp::flow_mod_flags::kSendFlowRem | ofp::flow_mod_flags::kResetCounts;
    }
}

void build_remote_flows(const SwitchFlowContext& ctx, const RemoteFlowParams& p, std::vector<ofp::FlowMod>& out) {
  const std::uint64_t cookie = Cookie::make(ctx.cookie_owner, FlowKind::Remote, p.generation, p.id);

  ofp::FlowMod egress = flow(ctx, table::kEgress, priority::kTranslate, cookie, 2);
  egress.match = ip_match();
  egress.match.add(OxmField::Ipv4Dst, p.home_address);
  egress.instructions.push_back(ofp::ApplyActions{actions(ofp::set_field(OxmField::Ipv4Dst, p.mobile_address))});
  egress.instructions.push_back(goto_table(ctx, table::kEgressSource));
  out.push_back(std::move(egress));

  ofp::FlowMod ingress = flow(ctx, table::kIngressSource, priority::kTranslate, cookie, 1);
  ingress.match = ip_match();
  ingress.match.add(OxmField::Ipv4Src, p.mobile_address);
  ingress.instructions.push_back(ofp::ApplyActions{actions(ofp::set_field(OxmField::Ipv4Src, p.home_address))});
  out.push_back(std::move(ingress));
}

ofp::FlowMod delete_by_cookie(std::uint64_t cookie, std::uint64_t mask) {
  ofp::FlowMod fm;
  fm.command = ofp::FlowModCommand::Delete;
  fm.table_id = ofp::kTableAll;
  fm.cookie = cookie;
  fm.cookie_mask = mask;
  fm.priority = 0;
  return fm;
}

std::vector<ofp::FlowMod> build_switch_flows(const SwitchFlowContext& ctx, const VmnRegistry& registry,
                                             std::uint64_t datapath_id, std::uint32_t base_generation) {
  std::vector<ofp::FlowMod> out;
  build_base_flows(ctx, base_generation, out);
  for (const Vmn& v : registry) {
    if (v.location.datapath_id == datapath_id) {
      build_local_flows(ctx, local_params(v), out);
      continue;
    }
    for (VmnId peer : v.correspondents) {
      if (registry.at(peer).location.datapath_id == datapath_id) {
        build_remote_flows(ctx, remote_params(v), out);
        break;
      }
    }
  }
  return out;
}

}  // namespace vmnmob::mobility
