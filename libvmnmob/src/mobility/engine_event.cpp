// Events as a host logs them (MobilityEngine's Event, engine.hpp).
#include "vmnmob/mobility/engine.hpp"

#include <fmt/format.h>

namespace vmnmob::mobility {

std::string_view to_string(Event::Kind kind) {
  switch (kind) {
    case Event::Kind::SwitchUp: return "switch-up";
    case Event::Kind::SwitchDown: return "switch-down";
    case Event::Kind::UnknownSwitch: return "unknown-switch";
    case Event::Kind::GatewayResolved: return "gateway-resolved";
    case Event::Kind::VmnDetected: return "vmn-detected";
    case Event::Kind::MoaAssigned: return "moa-assigned";
    case Event::Kind::MoaReleased: return "moa-released";
    case Event::Kind::Migrated: return "migrated";
    case Event::Kind::PoolExhausted: return "pool-exhausted";
    case Event::Kind::SpoofRefused: return "spoof-refused";
    case Event::Kind::AddressConflict: return "address-conflict";
    case Event::Kind::CorrespondentsLinked: return "correspondents-linked";
    case Event::Kind::ProbeSent: return "probe-sent";
    case Event::Kind::ProbeExpired: return "probe-expired";
    case Event::Kind::FlowRestored: return "flow-restored";
    case Event::Kind::VmnLimit: return "vmn-limit";
    case Event::Kind::SiteVmnLimit: return "site-vmn-limit";
    case Event::Kind::VmnExpired: return "vmn-expired";
    case Event::Kind::MoveFrozen: return "move-frozen";
    case Event::Kind::FrozenMoveRefused: return "frozen-move-refused";
    case Event::Kind::MoveUnfrozen: return "move-unfrozen";
    case Event::Kind::MetersUnusable: return "meters-unusable";
  }
  return "unknown";
}

std::string to_string(const Event& e) {
  auto at = [](const Location& l) { return fmt::format("dp {:#x} port {}", l.datapath_id, l.port); };
  const std::string_view name = to_string(e.kind);
  switch (e.kind) {
    case Event::Kind::SwitchUp:
    case Event::Kind::UnknownSwitch: return fmt::format("{} dp {:#x}", name, e.to.datapath_id);
    case Event::Kind::SwitchDown: return fmt::format("{} dp {:#x}", name, e.from.datapath_id);
    case Event::Kind::GatewayResolved:
      return fmt::format("{} dp {:#x} gateway {} at {}", name, e.to.datapath_id, e.home_address.to_string(),
                         e.peer_mac.to_string());
    case Event::Kind::VmnDetected:
    case Event::Kind::MoaAssigned:
      return fmt::format("{} {} hoa {} moa {} at {}", name, e.mac.to_string(), e.home_address.to_string(),
                         e.mobile_address.to_string(), at(e.to));
    case Event::Kind::MoaReleased:
      return fmt::format("{} {} moa {} (held)", name, e.mac.to_string(), e.old_mobile_address.to_string());
    case Event::Kind::Migrated:
      return fmt::format("{} {} hoa {} from {} moa {} to {} moa {}", name, e.mac.to_string(), e.home_address.to_string(),
                         at(e.from), e.old_mobile_address.to_string(), at(e.to), e.mobile_address.to_string());
    case Event::Kind::PoolExhausted:
      return fmt::format("{} dp {:#x}: no MoA for {} hoa {}", name, e.to.datapath_id, e.mac.to_string(),
                         e.home_address.to_string());
    case Event::Kind::SpoofRefused:
      return fmt::format("{} {} claimed at {}, stays at {}", name, e.mac.to_string(), at(e.to), at(e.from));
    case Event::Kind::AddressConflict:
      return fmt::format("{} {} claims hoa {} moa {} at {} (holder {})", name, e.mac.to_string(),
                         e.home_address.to_string(), e.mobile_address.to_string(), at(e.to), e.peer_mac.to_string());
    case Event::Kind::CorrespondentsLinked:
      return fmt::format("{} {} <-> {} ({})", name, e.mac.to_string(), e.peer_mac.to_string(), e.home_address.to_string());
    case Event::Kind::ProbeSent:
    case Event::Kind::ProbeExpired:
      return fmt::format("{} hoa {} for {}", name, e.home_address.to_string(), e.mac.to_string());
    case Event::Kind::FlowRestored:
      return fmt::format("{} dp {:#x} {}", name, e.to.datapath_id, e.mac.to_string());
    case Event::Kind::VmnLimit:
      return fmt::format("{} {} hoa {} refused at {}: the port holds its limit of VMNs ({} refused since the last report)",
                         name, e.mac.to_string(), e.home_address.to_string(), at(e.to), e.count);
    case Event::Kind::SiteVmnLimit:
      return fmt::format("{} {} hoa {} refused at {}: the site holds its limit of VMNs ({} refused since the last report)",
                         name, e.mac.to_string(), e.home_address.to_string(), at(e.to), e.count);
    case Event::Kind::VmnExpired:
      return fmt::format("{} {} hoa {} at {} moa {} (held): idle", name, e.mac.to_string(), e.home_address.to_string(),
                         at(e.from), e.old_mobile_address.to_string());
    case Event::Kind::MoveFrozen:
      return fmt::format("{} {} hoa {} moved {} times within the window: frozen at {}", name, e.mac.to_string(),
                         e.home_address.to_string(), e.count, at(e.to));
    case Event::Kind::FrozenMoveRefused:
      return fmt::format("{} {} claimed at {}, frozen at {} ({} refused since the last report)", name,
                         e.mac.to_string(), at(e.to), at(e.from), e.count);
    case Event::Kind::MoveUnfrozen:
      return fmt::format("{} {} at {}", name, e.mac.to_string(), at(e.to));
    case Event::Kind::MetersUnusable:
      return fmt::format("{} dp {:#x}: {}; its packet-in flows go without meters (the controller's limits still hold)",
                         name, e.to.datapath_id, e.reason);
  }
  return std::string(name);
}

}  // namespace vmnmob::mobility
