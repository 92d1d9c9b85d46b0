// The wiring of vmnctl-ofc: connection manager events in, mobility engine batches out.
//
// Threading: the io_context runs on one thread, so the engine (which is not thread-safe) is
// only ever touched from that thread; every switch's callbacks arrive there in wire order.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "config.hpp"
#include "log.hpp"
#include "vmnmob/connection/switch_manager.hpp"
#include "vmnmob/mobility/engine.hpp"

namespace vmnctl {

class Controller final : public vmnmob::connection::SwitchObserver {
 public:
  Controller(boost::asio::io_context& io, ControllerConfig config, Logger& log);
  ~Controller() override;

  /// Restores the state file (if any), listens and/or connects, starts the engine's timer.
  vmnmob::Expected<void, std::string> start();
  void stop();
  /// SIGHUP: applies what can change live (log level, grown pools); refuses the rest with a
  /// message and leaves the running state untouched.
  void reload(const ControllerConfig& next);

  void on_switch_up(const vmnmob::connection::SwitchUp& e) override;
  void on_switch_down(const vmnmob::connection::SwitchDown& e) override;
  void on_packet_in(const vmnmob::connection::PacketInEvent& e) override;
  void on_port_status(const vmnmob::connection::PortStatusEvent& e) override;
  void on_flow_removed(const vmnmob::connection::FlowRemovedEvent& e) override;
  void on_error(const vmnmob::connection::SwitchErrorEvent& e) override;
  void on_handshake_failed(const vmnmob::connection::HandshakeFailed& e) override;

  const vmnmob::mobility::MobilityEngine& engine() const { return engine_; }

 private:
  using Clock = vmnmob::mobility::Clock;
  struct PendingDeletes;

  /// Sends batch_ in the engine's order (adds, packet-outs, a barrier per switch, deletes); with
  /// BreakOrder::Network the deletes wait until every switch answered its barrier.
  /// `origin`: the switch whose event made the batch, if any (saves its look-up).
  void dispatch(Clock::time_point started, vmnmob::connection::Switch* origin = nullptr);
  void dispatch_per_switch(vmnmob::connection::Switch* origin);
  void report_send(std::uint64_t dpid, const vmnmob::connection::SendResult& sent);
  void send_deletes(const std::shared_ptr<PendingDeletes>& pending);
  void report(Clock::time_point started);
  void persist();
  void schedule_tick();

  boost::asio::io_context& io_;
  ControllerConfig config_;
  Logger& log_;
  vmnmob::mobility::MobilityEngine engine_;
  vmnmob::mobility::Batch batch_;  // reused: the hot path stops allocating once warm
  std::vector<std::size_t> order_;            // dispatch_per_switch's scratch, reused
  std::vector<vmnmob::ofp::Message> run_;     // one switch's messages, reused
  boost::asio::steady_timer tick_;
  std::unique_ptr<vmnmob::connection::SwitchManager> manager_;  // destroyed first (see dtor)
};

}  // namespace vmnctl
