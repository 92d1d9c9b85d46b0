// A mobility controller built from the codec, the engine and the delivery only, with its own
// I/O: plain POSIX sockets and poll() on one thread; no Boost.Asio, no connection manager.
// It shows the parts are separable: a controller with an event loop of its own (another SDN
// controller's, a test harness's) feeds the engine decoded messages and lets the delivery
// decide when each switch gets which of the engine's messages (make-before-break).
//
// Deliberately small: passive mode on one address, the OpenFlow 1.3 handshake (HELLO,
// FEATURES, SET_CONFIG, PORT_DESC), echo answers, and the events the engine takes. No TLS,
// no write queue (a blocking send), no keepalive of its own: see vmnmob/connection for those.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <list>
#include <optional>
#include <utility>
#include <vector>

#include "vmnmob/delivery/delivery.hpp"
#include "vmnmob/mobility/engine.hpp"
#include "vmnmob/ofp/codec.hpp"
#include "vmnmob/ofp/framer.hpp"

namespace own_io {

namespace ofp = vmnmob::ofp;
namespace mobility = vmnmob::mobility;
namespace delivery = vmnmob::delivery;

class Controller final : public delivery::SwitchLink {
 public:
  Controller(mobility::MobilityConfig config, delivery::DeliveryOptions options)
      : engine_(std::move(config)), delivery_(*this, options) {}
  ~Controller() override {
    for (Peer& p : peers_) ::close(p.fd);
    if (listener_ >= 0) ::close(listener_);
  }

  /// Listens on 127.0.0.1:port (0: any free port); returns the port, or nullopt.
  std::optional<std::uint16_t> listen(std::uint16_t port) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const int one = 1;
    ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listener_, 16) != 0) return {};
    socklen_t len = sizeof a;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
  }

  /// Waits up to `timeout_ms` for something to read, handles it, and runs the timers.
  void poll_once(int timeout_ms) {
    std::vector<pollfd> fds{{listener_, POLLIN, 0}};
    for (const Peer& p : peers_) fds.push_back({p.fd, POLLIN, 0});
    ::poll(fds.data(), fds.size(), timeout_ms);
    const auto now = vmnmob::Clock::now();
    if ((fds[0].revents & POLLIN) != 0) accept_one();
    std::size_t i = 1;
    for (auto it = peers_.begin(); it != peers_.end(); ++i) {
      auto next = std::next(it);
      if (i < fds.size() && fds[i].revents != 0 && !read_from(now, *it)) drop(now, it);
      it = next;
    }
    if (now >= next_tick_) {
      next_tick_ = now + std::chrono::milliseconds(250);
      batch_.clear();
      engine_.on_tick(now, batch_);
      delivery_.on_tick(now, reports_);
      run(now);
    }
  }

  const mobility::MobilityEngine& engine() const { return engine_; }
  const delivery::Delivery& deliveries() const { return delivery_; }
  /// The delivery reports since the last call (a real host would log or count them).
  std::vector<delivery::Report> take_reports() { return std::exchange(all_reports_, {}); }

  // delivery::SwitchLink: one blocking write per switch and batch.
  bool send(std::uint64_t dp, std::span<const ofp::Message> messages) override {
    for (Peer& p : peers_) {
      if (!p.up || p.datapath_id != dp) continue;
      out_.clear();
      for (const ofp::Message& m : messages)
        if (!ofp::encode(m, out_)) return false;
      return write_all(p.fd, out_);
    }
    return false;
  }

 private:
  struct Peer {
    int fd;
    ofp::Framer framer;
    std::uint64_t datapath_id = 0;
    bool up = false;
    std::vector<ofp::Port> ports;
  };

  static bool write_all(int fd, const vmnmob::ByteVector& bytes) {
    for (std::size_t at = 0; at < bytes.size();) {
      const ssize_t n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
      if (n <= 0) return false;
      at += static_cast<std::size_t>(n);
    }
    return true;
  }
  bool say(Peer& p, std::uint32_t xid, ofp::MessageBody body) {
    out_.clear();
    return ofp::encode(ofp::Message{ofp::kVersion, xid, std::move(body)}, out_) && write_all(p.fd, out_);
  }

  void accept_one() {
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    Peer& p = peers_.emplace_back(Peer{fd, ofp::Framer{}, 0, false, {}});
    // Our xids stay below the delivery's (Delivery::owns_xid).
    say(p, 1, ofp::Hello{{ofp::VersionBitmap::of({ofp::kVersion})}});
    say(p, 2, ofp::FeaturesRequest{});
  }

  /// Reads what is there and handles every whole message; false when the switch is gone.
  bool read_from(vmnmob::TimePoint now, Peer& p) {
    auto room = p.framer.prepare(65536);
    const ssize_t n = ::recv(p.fd, room.data(), room.size(), 0);
    if (n <= 0) return false;
    p.framer.commit(static_cast<std::size_t>(n));
    for (;;) {
      auto frame = p.framer.next();
      if (!frame) return false;  // a broken stream cannot be resynchronised
      if (!*frame) return true;
      auto msg = ofp::decode(**frame);
      if (msg) handle(now, p, *msg);  // vmnmob/connection answers undecodable messages with OFPT_ERROR
    }
  }

  void handle(vmnmob::TimePoint now, Peer& p, const ofp::Message& msg) {
    batch_.clear();
    if (std::holds_alternative<ofp::EchoRequest>(msg.body)) {
      say(p, msg.xid, ofp::EchoReply{std::get<ofp::EchoRequest>(msg.body).data});
    } else if (const auto* features = std::get_if<ofp::FeaturesReply>(&msg.body)) {
      p.datapath_id = features->datapath_id;
      say(p, 3, ofp::SetConfig{});
      say(p, 4, ofp::MultipartRequest{0, ofp::PortDescRequest{}});
    } else if (const auto* reply = std::get_if<ofp::MultipartReply>(&msg.body)) {
      if (const auto* desc = std::get_if<ofp::PortDescReply>(&reply->body); desc != nullptr && !p.up) {
        p.ports.insert(p.ports.end(), desc->ports.begin(), desc->ports.end());
        if (reply->more()) return;
        p.up = true;
        engine_.on_switch_up(now, p.datapath_id, p.ports, batch_);
      }
    } else if (!p.up) {
      return;
    } else if (const auto* packet_in = std::get_if<ofp::PacketIn>(&msg.body)) {
      engine_.on_packet_in(now, p.datapath_id, *packet_in, batch_);
    } else if (const auto* status = std::get_if<ofp::PortStatus>(&msg.body)) {
      engine_.on_port_status(now, p.datapath_id, *status, batch_);
    } else if (const auto* removed = std::get_if<ofp::FlowRemoved>(&msg.body)) {
      engine_.on_flow_removed(now, p.datapath_id, *removed, batch_);
    } else {
      delivery_.on_message(now, p.datapath_id, msg, reports_);  // barrier replies and errors
    }
    run(now);
  }

  void drop(vmnmob::TimePoint now, std::list<Peer>::iterator it) {
    const bool was_up = it->up;
    const std::uint64_t dp = it->datapath_id;
    ::close(it->fd);
    peers_.erase(it);
    if (!was_up) return;
    batch_.clear();
    engine_.on_switch_down(now, dp, batch_);
    delivery_.on_switch_down(now, dp, reports_);
    run(now);
  }

  void run(vmnmob::TimePoint now) {
    delivery_.deliver(now, batch_, reports_);
    all_reports_.insert(all_reports_.end(), reports_.begin(), reports_.end());
    reports_.clear();
  }

  mobility::MobilityEngine engine_;
  delivery::Delivery delivery_;
  mobility::Batch batch_;
  std::vector<delivery::Report> reports_;
  std::vector<delivery::Report> all_reports_;
  std::list<Peer> peers_;
  int listener_ = -1;
  vmnmob::ByteVector out_;
  vmnmob::TimePoint next_tick_{};
};

}  // namespace own_io
