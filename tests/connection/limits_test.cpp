// Connection limits and accept failures (ConnectionLimits in switch_manager.hpp), on loopback
// against the scripted fake switch: abusive peers are bounded and counted while a real switch
// keeps being served. The tests assert counts and outcomes, never times.
#include <catch2/catch.hpp>

#include <optional>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "fakes/fake_switch.hpp"
#include "fakes/recording_observer.hpp"
#include "connection/manager_harness.hpp"
#include "vmnmob/connection/switch_manager.hpp"

using namespace vmnmob;
using namespace vmnmob::connection;
using namespace vmnmob::testing;
using namespace std::chrono_literals;
using Kind = RecordedEvent::Kind;

namespace {

// On 0.0.0.0: the tests connect from many loopback addresses (127.0.0.x).
struct Harness : ManagerHarness {
  explicit Harness(ManagerOptions options) : ManagerHarness(options, "0.0.0.0") {}

  std::unique_ptr<FakeSwitch> up_switch(std::uint64_t dpid) { return ManagerHarness::up_switch(dpid, {make_port(1, "p1")}); }

  template <class Pred>
  bool wait_counters(Pred pred, std::chrono::milliseconds timeout = 5000ms) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (pred(manager->counters())) return true;
      std::this_thread::sleep_for(5ms);
    }
    return pred(manager->counters());
  }
};

ManagerOptions options() {
  ManagerOptions o;
  o.session.handshake_timeout = 30s;  // the half-open peers must be held by the limits alone
  return o;
}

// A TCP connection that never speaks (half-open at the OpenFlow level), from `source`.
int silent_connection(std::uint16_t port, const char* source = "127.0.0.1") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &local.sin_addr);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
  sockaddr_in peer{};
  peer.sin_family = AF_INET;
  peer.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &peer.sin_addr);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&peer), sizeof peer) == 0);
  return fd;
}

// The switch is served: an echo request is answered.
bool answered(FakeSwitch& sw, std::uint32_t xid) {
  sw.send(ofp::EchoRequest{}, xid);
  auto reply = sw.expect(ofp::MessageType::EchoReply, 3000ms);
  return reply && reply->xid == xid;
}

}  // namespace

TEST_CASE("limits: 1000 half-open connections are bounded per address and in total; a switch keeps being served",
          "[limits]") {
  ManagerOptions o = options();
  o.limits.per_address = 16;
  o.limits.total = 64;
  Harness h(o);
  auto real = h.up_switch(0xa);

  // 1000 silent peers: 500 from three loopback addresses (127.0.0.10-12: 48 fit, the rest hit
  // the per-address limit), then 500 from twenty more (127.0.0.20-39: the total fills up).
  std::vector<int> fds;
  for (int i = 0; i < 1000; ++i) {
    const int host = i < 500 ? 10 + i % 3 : 20 + i % 20;
    const std::string source = "127.0.0." + std::to_string(host);
    fds.push_back(silent_connection(h.port, source.c_str()));
    if (i % 100 == 99) REQUIRE(answered(*real, 1000 + static_cast<std::uint32_t>(i)));
  }
  // Every peer was either adopted or refused; the real switch's own connection is one more.
  REQUIRE(h.wait_counters([](const ManagerCounters& c) {
    return c.accepted + c.refused_per_address + c.refused_total == 1001;
  }));
  const ManagerCounters c = h.manager->counters();
  CHECK(c.connections <= 64);
  CHECK(c.accepted <= 64 + 1);
  CHECK(c.refused_per_address > 0);
  CHECK(c.refused_total > 0);
  CHECK(c.refused_per_address + c.refused_total >= 1000 - 63);
  // Reported once per burst, not once per refused connection.
  const auto events = h.observer.events();
  std::size_t limit_events = 0;
  for (const auto& e : events) limit_events += e.kind == Kind::Limit ? 1 : 0;
  CHECK(limit_events >= 1);
  CHECK(limit_events <= 10);
  CHECK(answered(*real, 7));
  CHECK(h.manager->find(0xa) != nullptr);

  // Closing the silent peers frees their slots: a new switch gets in.
  for (int fd : fds) ::close(fd);
  REQUIRE(h.wait_counters([](const ManagerCounters& k) { return k.connections == 1; }));
  auto second = h.up_switch(0xb);
  CHECK(answered(*second, 8));
  CHECK(answered(*real, 9));
}

TEST_CASE("limits: a connect/close storm never disturbs a connected switch", "[limits]") {
  Harness h(options());
  auto real = h.up_switch(0xa);
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 100; ++i) {
      int fd = silent_connection(h.port);
      if (i % 2 == 0) {
        // A reset instead of a FIN, as a scanner's would be.
        linger l{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
      }
      ::close(fd);
    }
    REQUIRE(answered(*real, 100 + static_cast<std::uint32_t>(round)));
  }
  REQUIRE(h.wait_counters([](const ManagerCounters& c) { return c.connections == 1; }));
  CHECK(h.observer.count(Kind::Down) == 0);
  CHECK(h.manager->find(0xa) != nullptr);
}

TEST_CASE("limits: accept failing with EMFILE backs off, is counted and reported once; switches stay served",
          "[limits]") {
  ManagerOptions o = options();
  o.limits.accept_backoff = 100ms;
  Harness h(o);
  auto real = h.up_switch(0xa);

  // The peer's socket exists before the descriptor table is filled; connect() needs no new one.
  int peer = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(peer >= 0);
  std::vector<int> filler;
  for (;;) {
    int fd = ::fcntl(0, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) break;
    filler.push_back(fd);
    REQUIRE(filler.size() < 100000);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(h.port);
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  REQUIRE(::connect(peer, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);

  const bool failed = h.wait_counters([](const ManagerCounters& c) { return c.accept_errors >= 3; });
  const bool served = answered(*real, 42);  // needs no descriptor on either side
  const std::uint64_t errors_then = h.manager->counters().accept_errors;
  for (int fd : filler) ::close(fd);
  REQUIRE(failed);
  CHECK(served);
  // A busy loop would have failed thousands of times by now; the backoff allows a handful.
  CHECK(errors_then < 200);
  const auto limit = h.observer.wait_for(Kind::Limit);
  REQUIRE(limit);
  CHECK(limit->limit == LimitHit::Kind::AcceptError);
  CHECK(h.observer.count(Kind::Limit) == 1);

  // Descriptors are back: the waiting peer is accepted after the backoff.
  REQUIRE(h.wait_counters([](const ManagerCounters& c) { return c.accepted == 2; }));
  ::close(peer);
  CHECK(answered(*real, 43));
}
