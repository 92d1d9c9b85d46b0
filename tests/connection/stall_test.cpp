// The write-stall check measures the switch's socket, not the io thread's own latency: an io
// thread that is busy (a slow observer, a long batch of work) longer than write_stall_timeout
// while the switch reads normally must not close that switch; a switch that really stops
// reading is still closed.
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <atomic>
#include <thread>

#include <boost/asio/post.hpp>

#include "connection/manager_harness.hpp"
#include "vmnmob/connection/switch_manager.hpp"

using namespace vmnmob;
using namespace vmnmob::connection;
using namespace vmnmob::testing;
using namespace std::chrono_literals;
using Kind = RecordedEvent::Kind;

namespace {

ManagerOptions stall_options() {
  ManagerOptions o;
  o.session.handshake_timeout = 2s;
  o.session.echo_interval = 60s;  // the write side decides, not echo
  o.session.echo_timeout = 60s;
  o.send_queue_limit = 64 * 1024 * 1024;
  o.write_stall_timeout = 300ms;
  o.limits.per_address = 0;  // many switches from 127.0.0.1
  return o;
}

auto by_dpid(std::uint64_t dpid) {
  return [dpid](const RecordedEvent& e) { return e.datapath_id == dpid; };
}

ofp::Message big_packet_out() {
  ofp::PacketOut out;
  out.actions.push_back(ofp::Output{1});
  out.data = Payload(ByteVector(60000, std::byte{0x5a}));
  return ofp::Message{ofp::kVersion, 0, std::move(out)};
}

// Reads and discards everything the switch's socket receives until stopped.
struct Drain {
  explicit Drain(int fd) : thread([this, fd] {
    std::vector<char> buffer(256 * 1024);
    while (!stop.load()) {
      ssize_t n = ::recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n > 0) bytes += static_cast<std::uint64_t>(n);
      else std::this_thread::sleep_for(200us);
    }
  }) {}
  ~Drain() {
    stop = true;
    thread.join();
  }
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> bytes{0};
  std::thread thread;
};

}  // namespace

TEST_CASE("stall: a busy io thread is not a stalled switch; the switch reads normally and stays up", "[stall]") {
  ManagerHarness h(stall_options());
  auto sw = h.up_switch(0x71);
  auto handle = h.find(0x71);
  REQUIRE(handle);
  // Several rounds: each fills the socket while the switch does not read, then blocks the io
  // thread well past the stall timeout while the switch reads everything.
  const std::size_t per_round = 120;  // 7 MB: more than the kernel's buffers take at once
  std::uint64_t sent = 0;
  for (int round = 0; round < 6; ++round) {
    for (std::size_t i = 0; i < per_round; ++i) {
      auto r = handle->send(big_packet_out());
      REQUIRE(r);
      sent += 60000 + 24;
    }
    std::this_thread::sleep_for(100ms);  // the write is in flight and the socket is full
    std::atomic<bool> blocked{false};
    boost::asio::post(h.io, [&] {
      blocked = true;
      std::this_thread::sleep_for(900ms);  // 3x write_stall_timeout
    });
    while (!blocked) std::this_thread::sleep_for(1ms);
    {
      Drain drain(sw->fd());
      auto until = std::chrono::steady_clock::now() + 5s;
      while (std::chrono::steady_clock::now() < until && h.observer.count(Kind::Down) == 0 &&
             handle->counters().bytes_out < sent)
        std::this_thread::sleep_for(5ms);
      std::this_thread::sleep_for(50ms);
    }
    INFO("round " << round << ": " << handle->counters().bytes_out << " of " << sent << " bytes written");
    if (auto down = h.observer.wait_for(Kind::Down, by_dpid(0x71), 0ms)) FAIL("closed: " << down->detail);
  }
  CHECK(handle->counters().bytes_out >= sent);
  CHECK(h.find(0x71));
}

TEST_CASE("stall: a switch that stops reading is closed even while the io thread is busy", "[stall]") {
  ManagerHarness h(stall_options());
  auto sw = h.up_switch(0x72);
  auto handle = h.find(0x72);
  REQUIRE(handle);
  for (int i = 0; i < 200; ++i) REQUIRE(handle->send(big_packet_out()));
  std::this_thread::sleep_for(100ms);
  boost::asio::post(h.io, [] { std::this_thread::sleep_for(1200ms); });
  // The switch never reads: closed after the timeout (the busy spell does not count as
  // progress), with the reason.
  auto down = h.observer.wait_for(Kind::Down, by_dpid(0x72), 10s);
  REQUIRE(down);
  CHECK(down->reason == DisconnectReason::SendQueueStalled);
}
