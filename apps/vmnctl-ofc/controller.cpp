#include "controller.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "state_file.hpp"

namespace vmnctl {

using vmnmob::mobility::Event;
namespace conn = vmnmob::connection;
namespace ofp = vmnmob::ofp;

namespace {

constexpr auto kTickInterval = std::chrono::milliseconds(250);
constexpr auto kBarrierTimeout = std::chrono::seconds(2);

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
  return j;
}

/// Events after which the state file must be rewritten.
bool changes_state(Event::Kind k) {
  switch (k) {
    case Event::Kind::VmnDetected:
    case Event::Kind::MoaAssigned:
    case Event::Kind::MoaReleased:
    case Event::Kind::Migrated:
    case Event::Kind::CorrespondentsLinked:
    case Event::Kind::GatewayResolved:
      return true;
    default:
      return false;
  }
}

LogLevel level_of(Event::Kind k) {
  switch (k) {
    case Event::Kind::PoolExhausted:
    case Event::Kind::SpoofRefused:
    case Event::Kind::AddressConflict:
    case Event::Kind::UnknownSwitch:
      return LogLevel::Warn;
    case Event::Kind::ProbeSent:
    case Event::Kind::FlowRestored:
      return LogLevel::Debug;
    default:
      return LogLevel::Info;
  }
}

}  // namespace

struct Controller::PendingDeletes {
  std::vector<vmnmob::mobility::Outgoing> deletes;
  std::size_t waiting = 0;
  Clock::time_point started;
};

Controller::Controller(boost::asio::io_context& io, ControllerConfig config, Logger& log)
    : io_(io),
      config_(std::move(config)),
      log_(log),
      engine_(config_.mobility),
      tick_(io),
      manager_(std::make_unique<conn::SwitchManager>(io)) {
  manager_->add_observer(*this);
}

Controller::~Controller() {
  // The manager calls back into this object; it must go first.
  manager_.reset();
}

vmnmob::Expected<void, std::string> Controller::start() {
  if (config_.state_file) {
    auto state = load_state(*config_.state_file);
    if (!state) return vmnmob::unexpected(state.error());
    if (!state->is_null()) {
      batch_.clear();
      auto restored = engine_.restore(*state, Clock::now(), batch_);
      if (!restored) return vmnmob::unexpected(fmt::format("{}: {}", *config_.state_file, restored.error()));
      log_.log(LogLevel::Info, "state-restored",
               fmt::format("state restored from {}: {} VMNs", *config_.state_file, engine_.registry().size()),
               {{"file", *config_.state_file}, {"vmns", engine_.registry().size()}});
    }
  }
  if (!config_.listen.host.empty()) {
    auto port = manager_->listen(config_.listen.host, config_.listen.port);
    if (!port) return vmnmob::unexpected(fmt::format("openflow.listen {}:{}: {}", config_.listen.host, config_.listen.port, port.error()));
    log_.log(LogLevel::Info, "listening", fmt::format("listening for switches on {}:{}", config_.listen.host, *port),
             {{"address", config_.listen.host}, {"port", *port}});
  }
  for (const Endpoint& e : config_.connect) {
    manager_->connect(e.host, e.port);
    log_.log(LogLevel::Info, "connecting", fmt::format("connecting to switch at {}:{}", e.host, e.port),
             {{"address", e.host}, {"port", e.port}});
  }
  schedule_tick();
  return {};
}

void Controller::stop() {
  tick_.cancel();
  manager_->stop();
  persist();
}

void Controller::schedule_tick() {
  tick_.expires_after(kTickInterval);
  tick_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    const auto now = Clock::now();
    batch_.clear();
    engine_.on_tick(now, batch_);
    if (!batch_.messages.empty() || !batch_.events.empty()) {
      dispatch(now);
      report(now);
    }
    schedule_tick();
  });
}

void Controller::dispatch(Clock::time_point started, conn::Switch* origin) {
  if (config_.make_before_break == BreakOrder::Switch) return dispatch_per_switch(origin);
  // Network order: adds, packet-outs and barriers now; the deletes once every switch of the
  // batch answered its barrier.
  auto& messages = batch_.messages;
  std::shared_ptr<PendingDeletes> pending;
  if (batch_.break_at < messages.size()) {
    pending = std::make_shared<PendingDeletes>();
    pending->started = started;
    pending->deletes.assign(std::make_move_iterator(messages.begin() + static_cast<std::ptrdiff_t>(batch_.break_at)),
                            std::make_move_iterator(messages.end()));
  }
  // Batches come grouped by switch (30000 flow-mods for one switch at a reconnect): look each
  // switch up once per run of messages, not once per message (find() locks the registry).
  std::shared_ptr<conn::Switch> sw;
  std::uint64_t sw_dpid = 0;
  for (std::size_t i = 0; i < std::min(batch_.break_at, messages.size()); ++i) {
    const auto& out = messages[i];
    if (!sw || sw_dpid != out.datapath_id) {
      sw = manager_->find(out.datapath_id);
      sw_dpid = out.datapath_id;
    }
    if (!sw) continue;  // the switch went down; the engine reconciles it when it returns
    if (pending && std::holds_alternative<ofp::BarrierRequest>(out.message.body)) {
      ++pending->waiting;
      sw->request(ofp::BarrierRequest{}, kBarrierTimeout, [this, pending, dpid = out.datapath_id](conn::ReplyResult r) {
        if (!r)
          log_.log(LogLevel::Warn, "barrier-failed",
                   fmt::format("barrier on dp {} failed: {}; removing old flows anyway", dpid_hex(dpid), r.error().to_string()),
                   {{"dpid", dpid_hex(dpid)}});
        if (--pending->waiting == 0) send_deletes(pending);
      });
      continue;
    }
    report_send(out.datapath_id, sw->send(out.message));
  }
  if (pending && pending->waiting == 0) send_deletes(pending);
}

void Controller::dispatch_per_switch(conn::Switch* origin) {
  // Each switch gets its part of the batch, in the batch's order (adds, packet-outs, the
  // barrier that makes it finish them, deletes), as one send_batch: one hand-over and one
  // write per switch however many switches a migration touches.
  auto& messages = batch_.messages;
  if (messages.empty()) return;
  // The switch of the event needs no look-up (SwitchManager::find takes a lock).
  auto send = [&](std::uint64_t dpid, auto&& send_to) {
    if (origin != nullptr && origin->datapath_id() == dpid) return report_send(dpid, send_to(*origin));
    // A switch that went down is reconciled by the engine when it returns.
    if (auto sw = manager_->find(dpid)) report_send(dpid, send_to(*sw));
  };
  if (messages.size() == 1)  // most batches: the answer to an ARP request
    return send(messages[0].datapath_id, [&](conn::Switch& sw) { return sw.send(messages[0].message); });
  order_.resize(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) order_[i] = i;
  std::stable_sort(order_.begin(), order_.end(), [&](std::size_t x, std::size_t y) {
    return messages[x].datapath_id < messages[y].datapath_id;
  });
  for (std::size_t begin = 0; begin < order_.size();) {
    const std::uint64_t dpid = messages[order_[begin]].datapath_id;
    run_.clear();
    std::size_t end = begin;
    for (; end < order_.size() && messages[order_[end]].datapath_id == dpid; ++end)
      run_.push_back(std::move(messages[order_[end]].message));
    begin = end;
    send(dpid, [&](conn::Switch& sw) { return sw.send_batch(run_); });
  }
}

void Controller::report_send(std::uint64_t dpid, const conn::SendResult& sent) {
  if (!sent)
    log_.log(LogLevel::Warn, "send-failed", fmt::format("dp {}: message not sent: {}", dpid_hex(dpid), conn::to_string(sent.error())),
             {{"dpid", dpid_hex(dpid)}});
}

void Controller::send_deletes(const std::shared_ptr<PendingDeletes>& pending) {
  for (const auto& out : pending->deletes)
    if (auto sw = manager_->find(out.datapath_id)) (void)sw->send(out.message);
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - pending->started).count();
  log_.log(LogLevel::Debug, "old-flows-removed",
           fmt::format("make-before-break complete: {} old flows removed {} us after the trigger", pending->deletes.size(), us),
           {{"flows", pending->deletes.size()}, {"us", us}});
}

void Controller::report(Clock::time_point started) {
  // Most packet-ins (an answer to a known VMN) produce no event: no clock read for them
  // (clock_gettime was 10% of vmnctl-ofc's profile under vmnbench's ARP load).
  if (batch_.events.empty()) return;
  const auto reaction_us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count();
  bool dirty = false;
  for (const Event& e : batch_.events) {
    dirty = dirty || changes_state(e.kind);
    const LogLevel level = level_of(e.kind);
    if (!log_.enabled(level)) continue;
    auto fields = event_json(e);
    std::string text = vmnmob::mobility::to_string(e);
    if (e.kind == Event::Kind::Migrated) {
      fields["reaction_us"] = reaction_us;
      text += fmt::format(" reaction {} us", reaction_us);
    }
    log_.log(level, vmnmob::mobility::to_string(e.kind), text, fields);
  }
  if (dirty) persist();
}

void Controller::persist() {
  if (!config_.state_file) return;
  if (auto saved = save_state(*config_.state_file, engine_.snapshot(Clock::now())); !saved)
    log_.log(LogLevel::Error, "state-save-failed", fmt::format("state not saved: {}", saved.error()));
}

void Controller::on_switch_up(const conn::SwitchUp& e) {
  const auto now = Clock::now();
  log_.log(LogLevel::Info, "switch-up",
           fmt::format("switch up dp {} from {} with {} ports", dpid_hex(e.datapath_id), e.sw.peer(), e.ports.size()),
           {{"dpid", dpid_hex(e.datapath_id)}, {"peer", e.sw.peer()}, {"ports", e.ports.size()}});
  batch_.clear();
  engine_.on_switch_up(now, e.datapath_id, e.ports, batch_);
  dispatch(now, &e.sw);
  report(now);
}

void Controller::on_switch_down(const conn::SwitchDown& e) {
  const auto now = Clock::now();
  log_.log(LogLevel::Info, "switch-down",
           fmt::format("switch down dp {}: {} {}", dpid_hex(e.datapath_id), conn::to_string(e.reason), e.detail),
           {{"dpid", dpid_hex(e.datapath_id)}, {"reason", conn::to_string(e.reason)}, {"detail", e.detail}});
  batch_.clear();
  engine_.on_switch_down(now, e.datapath_id, batch_);
  dispatch(now);
  report(now);
}

void Controller::on_packet_in(const conn::PacketInEvent& e) {
  const auto now = Clock::now();
  batch_.clear();
  engine_.on_packet_in(now, e.sw.datapath_id(), e.packet_in, batch_);
  if (batch_.messages.empty() && batch_.events.empty()) return;
  dispatch(now, &e.sw);
  report(now);
}

void Controller::on_port_status(const conn::PortStatusEvent& e) {
  const auto now = Clock::now();
  log_.log(LogLevel::Debug, "port-status",
           fmt::format("dp {} port {} ({}) reason {}", dpid_hex(e.sw.datapath_id()), e.port_status.desc.port_no,
                       e.port_status.desc.name, static_cast<int>(e.port_status.reason)));
  batch_.clear();
  engine_.on_port_status(now, e.sw.datapath_id(), e.port_status, batch_);
  dispatch(now, &e.sw);
  report(now);
}

void Controller::on_flow_removed(const conn::FlowRemovedEvent& e) {
  const auto now = Clock::now();
  batch_.clear();
  engine_.on_flow_removed(now, e.sw.datapath_id(), e.flow_removed, batch_);
  dispatch(now, &e.sw);
  report(now);
}

void Controller::on_error(const conn::SwitchErrorEvent& e) {
  log_.log(LogLevel::Warn, "switch-error",
           fmt::format("dp {} refused xid {}: {}/{}", dpid_hex(e.sw.datapath_id()), e.xid,
                       ofp::error_type_name(e.error.type), ofp::error_code_name(e.error.type, e.error.code)),
           {{"dpid", dpid_hex(e.sw.datapath_id())}, {"xid", e.xid},
            {"type", ofp::error_type_name(e.error.type)}, {"code", ofp::error_code_name(e.error.type, e.error.code)}});
}

void Controller::on_handshake_failed(const conn::HandshakeFailed& e) {
  log_.log(LogLevel::Warn, "handshake-failed",
           fmt::format("connection from {} failed before the handshake completed: {} {}", e.peer,
                       conn::to_string(e.reason), e.detail),
           {{"peer", e.peer}, {"reason", conn::to_string(e.reason)}, {"detail", e.detail}});
}

void Controller::reload(const ControllerConfig& next) {
  // All or nothing: every change is checked first; one that cannot be applied live refuses the
  // whole reload, so the running state never holds half a configuration.
  std::vector<std::string> refused;
  if (!(next.listen == config_.listen)) refused.push_back("openflow.listen cannot change while running");
  if (next.connect != config_.connect) refused.push_back("openflow.connect cannot change while running");
  if (next.state_file != config_.state_file) refused.push_back("state_file cannot change while running");
  if (next.log_format != config_.log_format) refused.push_back("log.format cannot change while running");
  const auto& a = config_.mobility;
  const auto& b = next.mobility;
  if (!(a.home_prefix == b.home_prefix) || !(a.home_gateway == b.home_gateway) ||
      !(a.virtual_gateway_mac == b.virtual_gateway_mac))
    refused.push_back("home cannot change while running");
  if (a.hold_time != b.hold_time || a.probe_timeout != b.probe_timeout)
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
      if (s.pool_ranges == t.pool_ranges && s.pool_prefixes == t.pool_prefixes) continue;
      const auto* pool = engine_.pool(s.datapath_id);
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
    return;
  }
  config_.make_before_break = next.make_before_break;
  for (std::size_t i : grown) {
    const auto& t = b.sites[i];
    auto added = engine_.grow_pool(t.datapath_id, t.pool_ranges, t.pool_prefixes);
    if (!added) {  // checked above; only a pool overlapping another one's current state gets here
      log_.log(LogLevel::Error, "reload-refused", fmt::format("reload refused: sites[{}].mobile_pool: {}", i, added.error()));
      continue;
    }
    config_.mobility.sites[i].pool_ranges = t.pool_ranges;
    config_.mobility.sites[i].pool_prefixes = t.pool_prefixes;
    const auto* pool = engine_.pool(t.datapath_id);
    log_.log(LogLevel::Info, "pool-grown",
             fmt::format("pool of {} (dp {}) grown by {} addresses to {} ({} in use, {} held)", config_.site_names[i],
                         dpid_hex(t.datapath_id), *added, pool->capacity(), pool->in_use_count(), pool->held_count()),
             {{"site", config_.site_names[i]}, {"dpid", dpid_hex(t.datapath_id)}, {"added", *added},
              {"capacity", pool->capacity()}});
  }
  config_.log_level = next.log_level;
  log_.set_level(next.log_level);
  if (!grown.empty()) persist();
  log_.log(LogLevel::Info, "reloaded", fmt::format("configuration reloaded ({} pools grown)", grown.size()),
           {{"pools_grown", grown.size()}});
}

}  // namespace vmnctl
