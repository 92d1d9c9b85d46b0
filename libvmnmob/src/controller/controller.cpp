#include "vmnmob/controller/controller.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <map>

namespace vmnmob::controller {

namespace conn = connection;
using vmnmob::Clock;
using mobility::Event;

bool changes_state(Event::Kind kind) {
  switch (kind) {
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

namespace {
ControllerObserver kSilent;  // when the host passes no observer
}

class Controller::Impl final : public conn::SwitchObserver, public delivery::SwitchLink {
 public:
  Impl(boost::asio::io_context& io, mobility::MobilityEngine e, ControllerOptions o, ControllerObserver* obs)
      : options(probing(std::move(o), e)),
        observer(obs != nullptr ? *obs : kSilent),
        engine(std::move(e)),
        delivery(*this, options.delivery),
        admission(options.admission),
        tick(io),
        manager(std::make_unique<conn::SwitchManager>(io, options.connection)) {
    manager->add_observer(*this);
  }

  /// With switch meters configured the handshake asks each switch what its meters can do.
  static ControllerOptions probing(ControllerOptions o, const mobility::MobilityEngine& e) {
    o.connection.session.probe_meters = o.connection.session.probe_meters || e.config().switch_meters.enabled;
    return o;
  }

  ControllerOptions options;
  ControllerObserver& observer;
  mobility::MobilityEngine engine;
  delivery::Delivery delivery;
  mobility::PacketInAdmission admission;
  std::map<std::uint64_t, TimePoint> last_drop;  // by switch, for once-per-burst reports
  mobility::Batch batch;                  // reused: the hot path stops allocating once warm
  std::vector<delivery::Report> reports;  // reused
  conn::Switch* origin = nullptr;         // the switch whose event is being handled
  boost::asio::steady_timer tick;
  std::unique_ptr<conn::SwitchManager> manager;  // declared last: destroyed first, it calls back

  /// Hands batch to the delivery and tells the observer. `started`: when the trigger arrived.
  void run(TimePoint started, conn::Switch* from = nullptr) {
    if (!batch.changes.empty()) observer.on_state_changes(batch);
    if (!batch.messages.empty()) {
      origin = from;
      delivery.deliver(started, batch, reports);
      origin = nullptr;
    }
    report(started);
  }

  void report(TimePoint started) {
    for (const delivery::Report& r : reports) observer.on_delivery(r);
    reports.clear();
    // Most packet-ins (an answer to a known VMN) produce no event: no clock read for them
    // (clock_gettime was 10% of vmnctl-ofc's profile under vmnbench's ARP load).
    if (batch.events.empty()) return;
    observer.on_events(batch.events, Clock::now() - started);
    for (const Event& e : batch.events)
      if (changes_state(e.kind)) return observer.on_state_changed();
  }

  void schedule_tick() {
    tick.expires_after(options.tick_interval);
    tick.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      const auto now = Clock::now();
      batch.clear();
      engine.on_tick(now, batch);
      delivery.on_tick(now, reports);
      run(now);
      schedule_tick();
    });
  }

  // ---- delivery::SwitchLink ----
  bool send(std::uint64_t dp, std::span<const ofp::Message> messages) override {
    // The switch of the event needs no look-up (SwitchManager::find takes a lock).
    std::shared_ptr<conn::Switch> found;
    conn::Switch* sw = origin;
    if (sw == nullptr || sw->datapath_id() != dp) {
      found = manager->find(dp);
      sw = found.get();
    }
    if (sw == nullptr) return false;  // down: the engine reconciles it when it returns
    auto sent = messages.size() == 1 ? sw->send(messages[0]) : sw->send_batch(messages);
    if (!sent) observer.on_send_failed(dp, sent.error());
    return sent.has_value();
  }

  // ---- connection::SwitchObserver ----
  void on_switch_up(const conn::SwitchUp& e) override {
    const auto now = Clock::now();
    observer.on_switch_up(e);
    batch.clear();
    mobility::SwitchAbilities abilities{options.connection.session.probe_meters, e.meter_features};
    engine.on_switch_up(now, e.datapath_id, e.ports, abilities, batch);
    run(now, &e.sw);
  }
  void on_switch_down(const conn::SwitchDown& e) override {
    const auto now = Clock::now();
    observer.on_switch_down(e);
    batch.clear();
    engine.on_switch_down(now, e.datapath_id, batch);
    admission.forget(e.datapath_id);
    delivery.on_switch_down(now, e.datapath_id, reports);
    run(now);
  }
  void on_packet_in(const conn::PacketInEvent& e) override {
    const auto now = Clock::now();
    const std::uint64_t dp = e.sw.datapath_id();
    if (!admission.admit(now, dp, e.packet_in.in_port(), e.packet_in.data.span())) return dropped(now, dp);
    batch.clear();
    engine.on_packet_in(now, e.sw.datapath_id(), e.packet_in, batch);
    if (batch.messages.empty() && batch.events.empty() && batch.changes.empty()) return;
    run(now, &e.sw);
  }
  void on_port_status(const conn::PortStatusEvent& e) override {
    const auto now = Clock::now();
    observer.on_port_status(e);
    batch.clear();
    engine.on_port_status(now, e.sw.datapath_id(), e.port_status, batch);
    run(now, &e.sw);
  }
  void on_flow_removed(const conn::FlowRemovedEvent& e) override {
    const auto now = Clock::now();
    batch.clear();
    engine.on_flow_removed(now, e.sw.datapath_id(), e.flow_removed, batch);
    run(now, &e.sw);
  }
  void on_error(const conn::SwitchErrorEvent& e) override {
    const auto now = Clock::now();
    if (!delivery.on_error(now, e.sw.datapath_id(), e.xid, e.error, reports)) return observer.on_switch_error(e);
    batch.clear();
    run(now, &e.sw);
  }
  void on_other_message(const conn::OtherMessageEvent& e) override {
    if (!std::holds_alternative<ofp::BarrierReply>(e.message.body)) return;
    const auto now = Clock::now();
    if (!delivery.on_barrier_reply(now, e.sw.datapath_id(), e.message.xid, reports)) return;
    batch.clear();
    run(now, &e.sw);
  }
  void on_handshake_failed(const conn::HandshakeFailed& e) override { observer.on_handshake_failed(e); }
  void on_limit_hit(const conn::LimitHit& e) override { observer.on_limit_hit(e); }

  void dropped(TimePoint now, std::uint64_t dp) {
    TimePoint& last = last_drop[dp];
    const bool new_burst = last == TimePoint{} || now - last >= options.drop_report_gap;
    last = now;
    if (new_burst) observer.on_packet_ins_dropped(dp, admission.counters(dp));
  }
};

Controller::Controller(boost::asio::io_context& io, mobility::MobilityEngine engine, ControllerOptions options,
                       ControllerObserver* observer)
    : impl_(std::make_unique<Impl>(io, std::move(engine), options, observer)) {}

Controller::~Controller() {
  // The manager calls back into the rest of Impl: it goes first (and stops its connections).
  impl_->tick.cancel();
  impl_->manager.reset();
}

conn::SwitchManager& Controller::switches() { return *impl_->manager; }
const mobility::MobilityEngine& Controller::engine() const { return impl_->engine; }
mobility::MobilityEngine& Controller::engine() { return impl_->engine; }
const delivery::Delivery& Controller::delivery() const { return impl_->delivery; }
const mobility::PacketInAdmission& Controller::admission() const { return impl_->admission; }
void Controller::set_admission(const mobility::AdmissionConfig& config) { impl_->admission.set_config(config); }
void Controller::set_break_order(delivery::BreakOrder order) { impl_->delivery.set_order(order); }

Expected<void, std::string> Controller::restore(const nlohmann::json& snapshot) {
  Impl& m = *impl_;
  const auto now = Clock::now();
  m.batch.clear();
  if (auto restored = m.engine.restore(snapshot, now, m.batch); !restored) return restored;
  m.run(now);
  return {};
}

void Controller::start() { impl_->schedule_tick(); }

void Controller::stop() {
  impl_->tick.cancel();
  impl_->manager->stop();
}

}  // namespace vmnmob::controller
