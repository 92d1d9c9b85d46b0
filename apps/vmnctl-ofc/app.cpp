#include "app.hpp"

#include "saved_state.hpp"

#include <chrono>
#include <filesystem>
#include <system_error>
#include <tuple>

#include <fmt/format.h>

#include "vmnmob/mobility/state_changes.hpp"

namespace vmnctl {

using vmnmob::mobility::Event;
namespace conn = vmnmob::connection;
namespace ofp = vmnmob::ofp;
using vmnmob::delivery::Report;
using vmnmob::Clock;

namespace {

std::string dpid_hex(std::uint64_t dpid) { return fmt::format("{:#018x}", dpid); }

nlohmann::json location_json(const vmnmob::mobility::Location& l) {
  return {{"dpid", dpid_hex(l.datapath_id)}, {"port", l.port}};
}

nlohmann::json event_json(const Event& e) {
  nlohmann::json j{{"kind", vmnmob::mobility::to_string(e.kind)}};
  if (!e.mac.is_zero()) j["mac"] = e.mac.to_string();
  if (!e.peer_mac.is_zero()) j["peer_mac"] = e.peer_mac.to_string();
  if (!e.home_address.is_unspecified()) j["hoa"] = e.home_address.to_string();
  if (!e.mobile_address.is_unspecified()) j["moa"] = e.mobile_address.to_string();
  if (!e.old_mobile_address.is_unspecified()) j["old_moa"] = e.old_mobile_address.to_string();
  if (e.from.datapath_id != 0) j["from"] = location_json(e.from);
  if (e.to.datapath_id != 0) j["to"] = location_json(e.to);
  if (e.count != 0) j["count"] = e.count;
  if (!e.reason.empty()) j["reason"] = e.reason;
  return j;
}

LogLevel level_of(Event::Kind k) {
  switch (k) {
    case Event::Kind::PoolExhausted:
    case Event::Kind::SpoofRefused:
    case Event::Kind::AddressConflict:
    case Event::Kind::UnknownSwitch:
    case Event::Kind::VmnLimit:           // rate-limited (one per port per interval, with a count)
    case Event::Kind::SiteVmnLimit:
    case Event::Kind::MoveFrozen:
    case Event::Kind::FrozenMoveRefused:  // rate-limited (one per window, with a count)
    case Event::Kind::MetersUnusable:
      return LogLevel::Warn;
    case Event::Kind::ProbeSent:
    case Event::Kind::FlowRestored:
      return LogLevel::Debug;
    default:
      return LogLevel::Info;
  }
}

std::int64_t micros(vmnmob::Duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

vmnmob::controller::ControllerOptions controller_options(const ControllerConfig& config) {
  vmnmob::controller::ControllerOptions o;
  o.delivery.order = config.make_before_break;
  o.connection.tls = config.tls;
  // Who may be which switch: openflow.* and sites[] cannot change live (reload refuses), so the
  // rule keeps a copy of the configuration it was started with.
  o.connection.admit = [config](const conn::AdmissionRequest& r) { return admit_switch(config, r); };
  o.connection.limits.per_address = config.limits.connections_per_address;
  o.connection.limits.total = config.limits.connections_total;
  o.connection.session.handshake_timeout = config.limits.handshake_timeout;
  o.admission = config.limits.packet_in;
  return o;
}

bool is_loopback(const std::string& host) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(host, ec);
  return !ec && a.is_loopback();
}

}  // namespace

App::App(boost::asio::io_context& io, ControllerConfig config, Logger& log)
    : config_(std::move(config)),
      log_(log),
      log_timer_(io),
      controller_(io, vmnmob::mobility::MobilityEngine(config_.mobility), controller_options(config_), &observers_) {
  observers_.add(*this);
}

vmnmob::Expected<void, std::string> App::start() {
  if (config_.state_file) {
    // The last snapshot and the journal of changes written since (vmnmob/state).
    store_ = std::make_unique<vmnmob::state::FileStateStore>(*config_.state_file);
    auto saved = load_saved_state(*store_, *config_.state_file);
    if (!saved) return vmnmob::unexpected(saved.error());
    if (!saved->absent) {
      // The restore's batch carries changes.everything: on_state_changes writes it as the new
      // snapshot, so the journal starts empty. A file holding null is refused here, as it is.
      auto restored = controller_.restore(saved->state);
      if (!restored) return vmnmob::unexpected(fmt::format("{}: {}", *config_.state_file, restored.error()));
      log_.log(LogLevel::Info, "state-restored",
               fmt::format("state restored from {}: {} VMNs ({} journal records{})", *config_.state_file,
                           engine().registry().size(), saved->records,
                           saved->torn > 0 ? fmt::format(", {} torn record left out", saved->torn) : std::string()),
               {{"file", *config_.state_file}, {"vmns", engine().registry().size()},
                {"records", saved->records}, {"torn", saved->torn}});
    } else {
      save_snapshot();
    }
  }
  auto& switches = controller_.switches();
  if (!config_.listen.host.empty()) {
    const Endpoint& l = config_.listen;
    auto port = switches.listen(l.host, l.port, l.transport);
    if (!port) return vmnmob::unexpected(fmt::format("openflow.listen {}: {}", l.to_string(), port.error()));
    const std::string transport(vmnmob::connection::to_string(l.transport));
    log_.log(LogLevel::Info, "listening", fmt::format("listening for switches on {}:{}{}", l.host, *port,
                         l.transport == Transport::Tls ? " over TLS" : ""),
             {{"address", l.host}, {"port", *port}, {"transport", transport}});
    if (l.transport == Transport::Tcp && !is_loopback(l.host))
      log_.log(LogLevel::Warn, "plain-tcp",
               fmt::format("listening on {}:{} without TLS: any host that reaches this port can claim a site's switch "
                           "unless sites[].allowed_peers restricts it; use ssl: and openflow.tls",
                           l.host, *port),
               {{"address", l.host}, {"port", *port}});
  }
  for (const Endpoint& e : config_.connect) {
    if (auto connected = switches.connect(e.host, e.port, e.transport); !connected)
      return vmnmob::unexpected(fmt::format("openflow.connect {}: {}", e.to_string(), connected.error()));
    log_.log(LogLevel::Info, "connecting", fmt::format("connecting to switch at {}", e.to_string()),
             {{"address", e.host}, {"port", e.port}, {"transport", std::string(vmnmob::connection::to_string(e.transport))}});
  }
  controller_.start();
  schedule_log_flush();
  return {};
}

void App::schedule_log_flush() {
  log_timer_.expires_after(std::chrono::seconds(1));
  log_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    log_.flush_suppressed();
    schedule_log_flush();
  });
}

void App::stop() {
  controller_.stop();
  log_timer_.cancel();
  log_.flush_suppressed();
  if (store_) save_snapshot();
}

// The controller goes on serving when the state cannot be saved (a full disk, say); what is on
// disk stays whole. One line when saving starts failing and one when it works again, not one
// per change: every new VMN is a change.
void App::not_saved(const std::string& error) {
  if (save_failures_++ == 0)
    log_.log(LogLevel::Error, "state-save-failed",
             fmt::format("state not saved: {}; the controller goes on with the last saved state on disk", error),
             {{"file", *config_.state_file}, {"error", error}});
}

void App::saved() {
  if (save_failures_ > 0)
    log_.log(LogLevel::Info, "state-saved", fmt::format("state saved again after {} failed attempts", save_failures_),
             {{"file", *config_.state_file}, {"failed", save_failures_}});
  save_failures_ = 0;
}

bool App::save_snapshot() {
  auto written = store_->write_snapshot(engine().snapshot(Clock::now()), true);
  if (!written) {
    journal_incomplete_ = true;
    not_saved(written.error());
    return false;
  }
  journal_incomplete_ = false;
  saved();
  return true;
}

void App::on_state_changes(const vmnmob::mobility::Batch& batch) {
  if (!store_) return;
  if (auto background = store_->snapshot_result(); background && !*background)
    // The journal still holds every change the snapshot was to replace: nothing is lost.
    log_.log(LogLevel::Warn, "state-snapshot-failed",
             fmt::format("state snapshot not written: {}; the journal keeps the changes", background->error()),
             {{"file", *config_.state_file}, {"error", background->error()}});
  // A change that could not be recorded leaves the journal short: only a whole snapshot
  // saves the state again (O(registry) per change until the disk has room, as before the
  // journal).
  if (batch.changes.everything || journal_incomplete_) {
    save_snapshot();
    return;
  }
  const auto now = Clock::now();
  // A move's record is on stable storage before its flows go out; a new VMN's only survives
  // the process (it is announced again by its next ARP).
  const bool move = std::any_of(batch.events.begin(), batch.events.end(),
                                [](const Event& e) { return e.kind == Event::Kind::Migrated; });
  auto appended = store_->append(engine().changes_record(batch.changes, now), move);
  if (!appended) {
    journal_incomplete_ = true;
    not_saved(appended.error());
    return;
  }
  saved();
  // Compaction: a new snapshot when the journal has outgrown the last one, written on the
  // store's own thread (only taking the snapshot, O(registry), happens here).
  if (store_->snapshot_due()) (void)store_->write_snapshot(engine().snapshot(now), false);
}

void App::on_events(std::span<const Event> events, vmnmob::Duration reaction) {
  const auto reaction_us = micros(reaction);
  for (const Event& e : events) {
    const LogLevel level = level_of(e.kind);
    if (!log_.enabled(level)) continue;
    auto fields = event_json(e);
    std::string text = vmnmob::mobility::to_string(e);
    if (e.kind == Event::Kind::Migrated) {
      fields["reaction_us"] = reaction_us;
      text += fmt::format(" reaction {} us", reaction_us);
    }
    // Warnings come from what peers send (conflicts, spoofs, unknown switches, limits): at
    // most log.lines_per_second of each kind a second.
    if (level >= LogLevel::Warn) log_.log_limited(level, vmnmob::mobility::to_string(e.kind), text, fields);
    else log_.log(level, vmnmob::mobility::to_string(e.kind), text, fields);
  }
}

void App::on_delivery(const Report& r) {
  const std::string dp = dpid_hex(r.datapath_id);
  switch (r.kind) {
    case Report::Kind::BreakComplete: {
      const auto us = micros(r.at - r.started);
      log_.log(LogLevel::Debug, "old-flows-removed",
               fmt::format("make-before-break complete: {} old flows removed {} us after the trigger", r.messages, us),
               {{"flows", r.messages}, {"us", us}});
      return;
    }
    case Report::Kind::BarrierFailed:
    case Report::Kind::BarrierTimeout: {
      const std::string why = r.error ? fmt::format("{}/{}", ofp::error_type_name(r.error->type),
                                                    ofp::error_code_name(r.error->type, r.error->code))
                                      : std::string("no reply in time");
      log_.log_limited(LogLevel::Warn, "barrier-failed",
               fmt::format("barrier on dp {} failed: {}; removing old flows anyway", dp, why), {{"dpid", dp}});
      return;
    }
    case Report::Kind::SwitchLost:
      log_.log_limited(LogLevel::Warn, "switch-lost",
               fmt::format("dp {} went down during a migration; its flows are reconciled when it returns", dp),
               {{"dpid", dp}});
      return;
    case Report::Kind::Refused:
      log_.log_limited(LogLevel::Warn, "switch-error",
               fmt::format("dp {} refused xid {}: {}/{}", dp, r.xid, ofp::error_type_name(r.error->type),
                           ofp::error_code_name(r.error->type, r.error->code)),
               {{"dpid", dp}, {"xid", r.xid}, {"type", ofp::error_type_name(r.error->type)},
                {"code", ofp::error_code_name(r.error->type, r.error->code)}});
      return;
  }
}

void App::on_send_failed(std::uint64_t datapath_id, conn::SendError error) {
  log_.log_limited(LogLevel::Warn, "send-failed",
           fmt::format("dp {}: message not sent: {}", dpid_hex(datapath_id), conn::to_string(error)),
           {{"dpid", dpid_hex(datapath_id)}});
}

void App::on_switch_up(const conn::SwitchUp& e) {
  log_.log_limited(LogLevel::Info, "switch-up",
           fmt::format("switch up dp {} from {} with {} ports", dpid_hex(e.datapath_id), e.sw.peer(), e.ports.size()),
           {{"dpid", dpid_hex(e.datapath_id)}, {"peer", e.sw.peer()}, {"ports", e.ports.size()}});
}

void App::on_switch_down(const conn::SwitchDown& e) {
  log_.log_limited(LogLevel::Info, "switch-down",
           fmt::format("switch down dp {}: {} {}", dpid_hex(e.datapath_id), conn::to_string(e.reason), e.detail),
           {{"dpid", dpid_hex(e.datapath_id)}, {"reason", conn::to_string(e.reason)}, {"detail", e.detail}});
}

void App::on_port_status(const conn::PortStatusEvent& e) {
  log_.log(LogLevel::Debug, "port-status",
           fmt::format("dp {} port {} ({}) reason {}", dpid_hex(e.sw.datapath_id()), e.port_status.desc.port_no,
                       e.port_status.desc.name, static_cast<int>(e.port_status.reason)));
}

void App::on_switch_error(const conn::SwitchErrorEvent& e) {
  log_.log_limited(LogLevel::Warn, "switch-error",
           fmt::format("dp {} refused xid {}: {}/{}", dpid_hex(e.sw.datapath_id()), e.xid,
                       ofp::error_type_name(e.error.type), ofp::error_code_name(e.error.type, e.error.code)),
           {{"dpid", dpid_hex(e.sw.datapath_id())}, {"xid", e.xid},
            {"type", ofp::error_type_name(e.error.type)}, {"code", ofp::error_code_name(e.error.type, e.error.code)}});
}

void App::on_handshake_failed(const conn::HandshakeFailed& e) {
  if (e.reason == conn::DisconnectReason::Refused) {
    log_.log_limited(LogLevel::Warn, "switch-refused",
             fmt::format("switch refused: dp {} from {}: {}", dpid_hex(e.datapath_id), e.peer, e.detail),
             {{"dpid", dpid_hex(e.datapath_id)}, {"peer", e.peer}, {"detail", e.detail}});
    return;
  }
  log_.log_limited(LogLevel::Warn, "handshake-failed",
           fmt::format("connection from {} failed before the handshake completed: {} {}", e.peer,
                       conn::to_string(e.reason), e.detail),
           {{"peer", e.peer}, {"reason", conn::to_string(e.reason)}, {"detail", e.detail}});
}

void App::on_packet_ins_dropped(std::uint64_t dp, const vmnmob::mobility::AdmissionCounters& c) {
  // Once per burst (the controller's drop_report_gap), with the counters so far.
  log_.log_limited(LogLevel::Warn, "packet-ins-dropped",
           fmt::format("dp {} packet-ins over the limits are being dropped (so far: {} port, {} switch, {} announce; "
                       "{} admitted)",
                       dpid_hex(dp), c.dropped_port, c.dropped_switch, c.dropped_announce, c.admitted),
           {{"dpid", dpid_hex(dp)}, {"dropped_port", c.dropped_port}, {"dropped_switch", c.dropped_switch},
            {"dropped_announce", c.dropped_announce}, {"admitted", c.admitted}});
}

void App::on_limit_hit(const conn::LimitHit& e) {
  log_.log_limited(LogLevel::Warn, "limit-hit",
           fmt::format("{}: {} ({} so far)", conn::to_string(e.kind), e.detail, e.count),
           {{"limit", conn::to_string(e.kind)}, {"detail", e.detail}, {"count", e.count}});
}

vmnmob::northbound::ReloadResult App::reload(const ControllerConfig& next) {
  // All or nothing: every change is checked first; one that cannot be applied live refuses the
  // whole reload, so the running state never holds half a configuration.
  std::vector<std::string> refused;
  if (!(next.listen == config_.listen)) refused.push_back("openflow.listen cannot change while running");
  if (next.connect != config_.connect) refused.push_back("openflow.connect cannot change while running");
  auto tls_fields = [](const ControllerConfig& c) {
    return c.tls ? std::tuple(true, c.tls->certificate, c.tls->private_key, c.tls->ca_certificate)
                 : std::tuple(false, std::string(), std::string(), std::string());
  };
  if (tls_fields(next) != tls_fields(config_)) refused.push_back("openflow.tls cannot change while running");
  if (next.state_file != config_.state_file) refused.push_back("state_file cannot change while running");
  if (next.log_format != config_.log_format) refused.push_back("log.format cannot change while running");
  if (next.northbound != config_.northbound) refused.push_back("northbound cannot change while running");
  // The connection manager's options are fixed at start; the packet-in rates change live.
  if (next.limits.connections_per_address != config_.limits.connections_per_address ||
      next.limits.connections_total != config_.limits.connections_total ||
      next.limits.handshake_timeout != config_.limits.handshake_timeout)
    refused.push_back("limits.connections_per_address, connections_total and handshake_timeout_s cannot change while running");
  if (next.limits.switch_meters != config_.limits.switch_meters)
    refused.push_back("limits.switch_meters cannot change while running");
  const auto& a = config_.mobility;
  const auto& b = next.mobility;
  if (!(a.home_prefix == b.home_prefix) || !(a.home_gateway == b.home_gateway) ||
      !(a.virtual_gateway_mac == b.virtual_gateway_mac))
    refused.push_back("home cannot change while running");
  if (a.hold_time != b.hold_time || a.probe_timeout != b.probe_timeout || a.vmn_idle != b.vmn_idle ||
      a.max_vmns_per_port != b.max_vmns_per_port || a.max_vmns_per_site != b.max_vmns_per_site ||
      !(a.move_freeze == b.move_freeze))
    refused.push_back("mobility settings cannot change while running");
  std::vector<std::size_t> grown;  // sites whose pool grows
  if (a.sites.size() != b.sites.size()) {
    refused.push_back(fmt::format("sites cannot be added or removed while running ({} configured, {} in the file)",
                                  a.sites.size(), b.sites.size()));
  } else {
    for (std::size_t i = 0; i < a.sites.size(); ++i) {
      const auto& s = a.sites[i];
      const auto& t = b.sites[i];
      const std::string& name = config_.site_names[i];
      if (name != next.site_names[i])
        refused.push_back(fmt::format("sites[{}].name: site {} cannot be renamed or replaced while running", i, name));
      if (s.datapath_id != t.datapath_id) refused.push_back(fmt::format("sites[{}].dpid ({}) cannot change while running", i, name));
      if (s.uplink_port != t.uplink_port || s.uplink_name != t.uplink_name)
        refused.push_back(fmt::format("sites[{}].uplink ({}) cannot change while running", i, name));
      if (!(s.gateway_ip == t.gateway_ip) || s.gateway_mac != t.gateway_mac)
        refused.push_back(fmt::format("sites[{}].gateway ({}) cannot change while running", i, name));
      if (s.vm_port_prefixes != t.vm_port_prefixes)
        refused.push_back(fmt::format("sites[{}].vm_ports ({}) cannot change while running", i, name));
      if (config_.site_access[i].certificate != next.site_access[i].certificate)
        refused.push_back(fmt::format("sites[{}].certificate ({}) cannot change while running", i, name));
      if (config_.site_access[i].allowed_peers_text != next.site_access[i].allowed_peers_text)
        refused.push_back(fmt::format("sites[{}].allowed_peers ({}) cannot change while running", i, name));
      if (s.pool_ranges == t.pool_ranges && s.pool_prefixes == t.pool_prefixes) continue;
      const auto* pool = controller_.engine().pool(s.datapath_id);
      const vmnmob::mobility::AddressPool next_pool(vmnmob::mobility::AddressPool::site_ranges(t), {});
      if (pool == nullptr) continue;  // dpid changed: refused above
      if (auto lost = pool->first_outside(next_pool.ranges()))
        refused.push_back(fmt::format("sites[{}].mobile_pool ({}): {} would leave the pool; a pool may only grow while running",
                                      i, name, lost->to_string()));
      else
        grown.push_back(i);
    }
  }
  if (!refused.empty()) {
    for (const auto& r : refused)
      log_.log(LogLevel::Error, "reload-refused", fmt::format("reload refused: {}; nothing changed", r), {{"reason", r}});
    return {false, {}, refused};
  }
  vmnmob::northbound::ReloadResult result{true, {}, {}};
  if (config_.make_before_break != next.make_before_break) result.changes.push_back("mobility.make_before_break changed");
  config_.make_before_break = next.make_before_break;
  controller_.set_break_order(next.make_before_break);
  if (!(next.limits.packet_in == config_.limits.packet_in)) {
    config_.limits.packet_in = next.limits.packet_in;
    controller_.set_admission(next.limits.packet_in);
    log_.log(LogLevel::Info, "limits-changed", "packet-in rates changed", {});
    result.changes.push_back("packet-in rates changed");
  }
  for (std::size_t i : grown) {
    const auto& t = b.sites[i];
    auto added = controller_.engine().grow_pool(t.datapath_id, t.pool_ranges, t.pool_prefixes);
    if (!added) {  // checked above; only a pool overlapping another one's current state gets here
      log_.log(LogLevel::Error, "reload-refused", fmt::format("reload refused: sites[{}].mobile_pool: {}", i, added.error()));
      continue;
    }
    config_.mobility.sites[i].pool_ranges = t.pool_ranges;
    config_.mobility.sites[i].pool_prefixes = t.pool_prefixes;
    const auto* pool = controller_.engine().pool(t.datapath_id);
    result.changes.push_back(fmt::format("pool of {} grown by {} addresses to {}", config_.site_names[i], *added,
                                         pool->capacity()));
    log_.log(LogLevel::Info, "pool-grown",
             fmt::format("pool of {} (dp {}) grown by {} addresses to {} ({} in use, {} held)", config_.site_names[i],
                         dpid_hex(t.datapath_id), *added, pool->capacity(), pool->in_use_count(), pool->held_count()),
             {{"site", config_.site_names[i]}, {"dpid", dpid_hex(t.datapath_id)}, {"added", *added},
              {"capacity", pool->capacity()}});
  }
  if (config_.log_level != next.log_level) result.changes.push_back("log.level changed");
  config_.log_level = next.log_level;
  log_.set_level(next.log_level);
  config_.log_lines_per_second = next.log_lines_per_second;
  log_.set_lines_per_second(next.log_lines_per_second);
  config_.document = next.document;
  if (!grown.empty() && store_) save_snapshot();
  log_.log(LogLevel::Info, "reloaded", fmt::format("configuration reloaded ({} pools grown)", grown.size()),
           {{"pools_grown", grown.size()}});
  return result;
}

}  // namespace vmnctl
