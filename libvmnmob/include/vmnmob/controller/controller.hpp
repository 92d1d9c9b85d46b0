// The mobility controller on Boost.Asio: the connection manager's events into the engine, the
// engine's batches out through the delivery, make-before-break.
//
//   switches <-> connection::SwitchManager --events--> mobility::MobilityEngine (decides)
//                         ^                                   | Batch
//                         +----- delivery::Delivery <---------+ (when which switch gets what)
//
// This is the whole wiring of vmnctl-ofc, as a class a host program (or another controller
// built on the connection manager) owns: it adds only what a host decides for itself, through
// ControllerObserver (logging, saving the state, counting) and through switches() (where to
// listen, which switches to connect to).
//
// Threading: run the io_context on ONE thread. The engine and the delivery are not
// thread-safe; with one thread every switch's events reach them one at a time, in wire order.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "vmnmob/base/expected.hpp"
#include "vmnmob/base/time.hpp"
#include "vmnmob/connection/events.hpp"
#include "vmnmob/connection/switch_manager.hpp"
#include "vmnmob/delivery/delivery.hpp"
#include "vmnmob/mobility/admission.hpp"
#include "vmnmob/mobility/engine.hpp"

namespace boost::asio {
class io_context;
}

namespace vmnmob::controller {

struct ControllerOptions {
  connection::ManagerOptions connection;
  delivery::DeliveryOptions delivery;
  /// Packet-in token buckets in front of the engine (vmnmob/mobility/admission.hpp).
  mobility::AdmissionConfig admission;
  /// Drops of one switch closer together than this form one burst, reported once.
  Duration drop_report_gap = std::chrono::seconds(1);
  /// How often the engine expires held MoAs and probes and the delivery its barrier waits.
  Duration tick_interval = std::chrono::milliseconds(250);
};

/// What a host hears. Every call runs on the io_context thread and must not block.
/// (ObserverTee, observer_tee.hpp, forwards each of these to several observers: a callback
/// added here is added there too.)
class ControllerObserver {
 public:
  virtual ~ControllerObserver() = default;
  virtual void on_switch_up(const connection::SwitchUp&) {}
  virtual void on_switch_down(const connection::SwitchDown&) {}
  virtual void on_port_status(const connection::PortStatusEvent&) {}
  /// An OFPT_ERROR that answers neither a request nor a delivered message.
  virtual void on_switch_error(const connection::SwitchErrorEvent&) {}
  virtual void on_handshake_failed(const connection::HandshakeFailed&) {}
  /// The events of one engine batch, after its messages were handed to the switches;
  /// `reaction` is the time from the trigger's arrival until then.
  virtual void on_events(std::span<const mobility::Event> /*events*/, Duration /*reaction*/) {}
  /// Registry, pools or learned gateways changed (after on_events): the moment to save
  /// MobilityEngine::snapshot().
  virtual void on_state_changed() {}
  /// The engine changed the saved state (`batch.changes` says what; `batch.events` why),
  /// before any of the batch's messages go to a switch: the moment to record the change
  /// (MobilityEngine::changes_record) so that no switch gets a move's flows before the move
  /// is saved. A restore's batch has changes.everything set.
  virtual void on_state_changes(const mobility::Batch& /*batch*/) {}
  virtual void on_delivery(const delivery::Report&) {}
  /// A switch that is up refused messages (its queue is full, or a message did not encode).
  virtual void on_send_failed(std::uint64_t /*datapath_id*/, connection::SendError /*error*/) {}
  /// Packet-ins of a switch were dropped by the admission buckets: once per burst (the first
  /// drop after `drop_report_gap` without any), with that switch's counters at the time.
  virtual void on_packet_ins_dropped(std::uint64_t /*datapath_id*/, const mobility::AdmissionCounters&) {}
  /// A connection limit was hit or accept() failed (once per burst, see connection::LimitHit).
  virtual void on_limit_hit(const connection::LimitHit&) {}
};

/// True for engine events after which the state a host saves (snapshot) is different.
bool changes_state(mobility::Event::Kind kind);

class Controller {
 public:
  /// `observer` may be null; it must outlive the controller.
  Controller(boost::asio::io_context& io, mobility::MobilityEngine engine, ControllerOptions options = {},
             ControllerObserver* observer = nullptr);
  ~Controller();
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  /// Where switches come from: call listen()/connect() on it after start().
  connection::SwitchManager& switches();
  /// Replaces the engine's state with a snapshot (at start, before switches connect; a
  /// connected switch is reconciled at once).
  Expected<void, std::string> restore(const nlohmann::json& snapshot);
  /// Starts the tick timer.
  void start();
  /// Stops the timer and closes every connection.
  void stop();

  const mobility::MobilityEngine& engine() const;
  /// For changes that send nothing (MobilityEngine::grow_pool).
  mobility::MobilityEngine& engine();
  const delivery::Delivery& delivery() const;
  /// The packet-in buckets and their counters.
  const mobility::PacketInAdmission& admission() const;
  /// New packet-in rates, applied at once (SIGHUP).
  void set_admission(const mobility::AdmissionConfig& config);
  /// The break order may change live; batches already waiting keep theirs.
  void set_break_order(delivery::BreakOrder order);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vmnmob::controller
