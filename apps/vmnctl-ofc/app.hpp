// vmnctl-ofc around the library's controller (vmnmob/controller): the state file, the log
// lines, listen/connect from the configuration, and SIGHUP's reload.
//
// Threading: the io_context runs on one thread (the library controller's requirement).
#pragma once

#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config.hpp"
#include "log.hpp"
#include "vmnmob/controller/controller.hpp"
#include "vmnmob/state/file_state_store.hpp"
#include "vmnmob/controller/observer_tee.hpp"
#include "vmnmob/northbound/api.hpp"  // ReloadResult

namespace vmnctl {

class App final : public vmnmob::controller::ControllerObserver {
 public:
  App(boost::asio::io_context& io, ControllerConfig config, Logger& log);

  /// Restores the state file (if any), listens and/or connects, starts the engine's timer.
  vmnmob::Expected<void, std::string> start();
  /// Stops and writes the state file.
  void stop();
  /// SIGHUP: applies what can change live (log level, break order, grown pools); refuses the
  /// rest with a message and leaves the running state untouched.
  /// Returns what was applied, or each refusal (POST /v1/reload answers it).
  vmnmob::northbound::ReloadResult reload(const ControllerConfig& next);

  const vmnmob::mobility::MobilityEngine& engine() const { return controller_.engine(); }
  vmnmob::controller::Controller& controller() { return controller_; }
  const ControllerConfig& config() const { return config_; }
  /// Another observer of the controller (the northbound API), called after this one.
  void add_observer(vmnmob::controller::ControllerObserver& o) { observers_.add(o); }
  void remove_observer(vmnmob::controller::ControllerObserver& o) { observers_.remove(o); }

  void on_switch_up(const vmnmob::connection::SwitchUp& e) override;
  void on_switch_down(const vmnmob::connection::SwitchDown& e) override;
  void on_port_status(const vmnmob::connection::PortStatusEvent& e) override;
  void on_switch_error(const vmnmob::connection::SwitchErrorEvent& e) override;
  void on_handshake_failed(const vmnmob::connection::HandshakeFailed& e) override;
  void on_events(std::span<const vmnmob::mobility::Event> events, vmnmob::Duration reaction) override;
  void on_state_changes(const vmnmob::mobility::Batch& batch) override;
  void on_delivery(const vmnmob::delivery::Report& r) override;
  void on_send_failed(std::uint64_t datapath_id, vmnmob::connection::SendError error) override;
  void on_packet_ins_dropped(std::uint64_t datapath_id, const vmnmob::mobility::AdmissionCounters& c) override;
  void on_limit_hit(const vmnmob::connection::LimitHit& e) override;

 private:
  ControllerConfig config_;
  Logger& log_;
  /// Writes the whole state (start, stop, a grown pool, and after a change could not be
  /// recorded); false if it could not.
  bool save_snapshot();
  /// Once a second: the summary lines of rate-limited log kinds (Logger::flush_suppressed).
  void schedule_log_flush();
  void saved();
  void not_saved(const std::string& error);

  boost::asio::steady_timer log_timer_;
  std::uint64_t save_failures_ = 0;  // consecutive; logged once, then when saving works again
  std::unique_ptr<vmnmob::state::FileStateStore> store_;  // with state_file
  bool journal_incomplete_ = false;  // a change was not recorded: the next save is a snapshot
  vmnmob::controller::ObserverTee observers_;  // this App first, then add_observer()'s
  vmnmob::controller::Controller controller_;  // last: its callbacks use the members above
};

}  // namespace vmnctl
