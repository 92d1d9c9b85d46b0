// A SwitchManager on its own io_context thread with a recording observer, listening on a free
// port, for the connection tests (manager_test, limits_test, tls_test): one copy of the
// start-up and the orderly shutdown.
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "fakes/fake_switch.hpp"
#include "fakes/recording_observer.hpp"
#include "vmnmob/connection/switch_manager.hpp"

namespace vmnmob::testing {

struct ManagerHarness {
  boost::asio::io_context io;
  RecordingObserver observer;
  std::unique_ptr<connection::SwitchManager> manager;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
  std::thread thread;
  std::uint16_t port = 0;

  /// Listens on `address` (none when empty) with `transport`.
  explicit ManagerHarness(connection::ManagerOptions options, const std::string& address = "127.0.0.1",
                          connection::Transport transport = connection::Transport::Tcp) {
    manager = std::make_unique<connection::SwitchManager>(io, options);
    manager->add_observer(observer);
    if (!address.empty()) {
      auto bound = manager->listen(address, 0, transport);
      REQUIRE(bound);
      port = *bound;
    }
    work.emplace(io.get_executor());
    thread = std::thread([this] { io.run(); });
  }
  ~ManagerHarness() {
    manager->stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the closes run (observers still attached)
    work.reset();
    io.stop();
    thread.join();
    manager.reset();
  }
  ManagerHarness(const ManagerHarness&) = delete;
  ManagerHarness& operator=(const ManagerHarness&) = delete;

  /// A fake switch that completed the handshake, once the manager reported it up.
  std::unique_ptr<FakeSwitch> up_switch(std::uint64_t dpid, std::vector<ofp::Port> ports = {}) {
    auto sw = FakeSwitch::connect(port);
    REQUIRE(sw);
    REQUIRE(sw->handshake(dpid, ports));
    REQUIRE(observer.wait_for(RecordedEvent::Kind::Up,
                              [dpid](const RecordedEvent& e) { return e.datapath_id == dpid; }));
    return sw;
  }

  std::shared_ptr<connection::Switch> find(std::uint64_t dpid) { return manager->find(dpid); }
};

}  // namespace vmnmob::testing
