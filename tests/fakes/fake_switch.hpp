// A scripted fake OpenFlow 1.3 switch over loopback TCP, for tests of anything that talks to
// switches (the connection manager, the controller app).
//
// It uses plain blocking POSIX sockets with poll() timeouts, independent of Asio, so it can
// run on the test's thread while the code under test runs its io_context on another. The
// test writes the script as straight-line calls:
//
//   auto sw = FakeSwitch::connect(port);           // passive controller at 127.0.0.1:port
//   REQUIRE(sw->handshake(0x1234, {port_a, port_b}));
//   sw->send(packet_in_message);
//   auto out = sw->expect(ofp::MessageType::PacketOut);
//
// Everything received is decoded; messages the test is not waiting for are kept in order
// (see expect()). Echo requests from the controller are answered automatically unless
// set_auto_echo(false).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vmnmob/base/bytes.hpp"
#include "vmnmob/ofp/codec.hpp"
#include "vmnmob/ofp/framer.hpp"
#include "vmnmob/ofp/message.hpp"

namespace vmnmob::testing {

using namespace std::chrono_literals;

class FakeSwitch {
 public:
  using Timeout = std::chrono::milliseconds;
  static constexpr Timeout kDefaultTimeout{3000};

  /// Connects to a controller listening on `host` (an IPv4 or IPv6 literal) and `port`.
  /// `receive_buffer` > 0 sets SO_RCVBUF before connecting (a small window for "never reads").
  static std::unique_ptr<FakeSwitch> connect(std::uint16_t port, const std::string& host = "127.0.0.1",
                                             int receive_buffer = 0);
  explicit FakeSwitch(int fd);
  ~FakeSwitch();
  FakeSwitch(const FakeSwitch&) = delete;
  FakeSwitch& operator=(const FakeSwitch&) = delete;

  /// Plays the switch side of the handshake: sends HELLO (version `hello_version`, with a
  /// bitmap of `bitmap_versions` unless empty), expects the controller's HELLO, answers
  /// FEATURES_REQUEST with `datapath_id`, expects SET_CONFIG and answers the PORT_DESC request
  /// with `ports`, split into `port_parts` multipart parts (REPLY_MORE on all but the last).
  bool handshake(std::uint64_t datapath_id, const std::vector<ofp::Port>& ports = {},
                 std::size_t port_parts = 1, Timeout timeout = kDefaultTimeout);

  /// Sends one message (encoded) or raw bytes, all at once.
  void send(const ofp::Message& msg);
  void send(ofp::MessageBody body, std::uint32_t xid = 0);
  void send_raw(ByteSpan bytes);
  /// Sends `bytes` in pieces of `chunk` bytes, pausing `pause` between them so that the
  /// receiver sees them in separate reads.
  void send_in_pieces(ByteSpan bytes, std::size_t chunk, std::chrono::microseconds pause = 500us);

  /// The next message received (in arrival order), or nullopt on timeout/close/garbage.
  std::optional<ofp::Message> receive(Timeout timeout = kDefaultTimeout);
  /// The first message of `type`, skipping (but keeping, for later receive()/expect() calls)
  /// messages of other types.
  std::optional<ofp::Message> expect(ofp::MessageType type, Timeout timeout = kDefaultTimeout);
  /// True if the controller closes the connection within `timeout` (everything still
  /// arriving before the close is read and kept).
  bool wait_closed(Timeout timeout = kDefaultTimeout);
  /// Messages received so far and not yet returned.
  const std::deque<ofp::Message>& backlog() const { return backlog_; }

  /// With auto echo on (the default) the fake answers the controller's ECHO_REQUESTs while it
  /// reads. Off, they are delivered like any other message.
  void set_auto_echo(bool on) { auto_echo_ = on; }
  std::uint32_t echo_requests_seen() const { return echo_requests_; }

  /// Closes the socket (the controller sees EOF).
  void close();
  bool is_open() const { return fd_ >= 0; }
  int fd() const { return fd_; }

 private:
  /// Reads whatever arrives within `timeout` into the backlog; false on close or error.
  bool pump(Timeout timeout);
  bool closed_by_peer_ = false;
  int fd_ = -1;
  ofp::Framer framer_;
  std::deque<ofp::Message> backlog_;
  bool auto_echo_ = true;
  std::uint32_t echo_requests_ = 0;
  std::uint32_t next_xid_ = 0x10000;
};

/// A listening socket that plays switches in active mode (OVS `ptcp:PORT`).
class FakeSwitchListener {
 public:
  /// Binds 127.0.0.1 on a free port.
  FakeSwitchListener();
  ~FakeSwitchListener();
  std::uint16_t port() const { return port_; }
  /// Accepts one connection from the controller, or nullptr on timeout.
  std::unique_ptr<FakeSwitch> accept(FakeSwitch::Timeout timeout = FakeSwitch::kDefaultTimeout);

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

/// A port description for handshakes and PORT_STATUS.
ofp::Port make_port(std::uint32_t port_no, const std::string& name);
/// A PACKET_IN carrying `frame` from `in_port` (owned data).
ofp::PacketIn make_packet_in(std::uint32_t in_port, ByteVector frame);

}  // namespace vmnmob::testing
