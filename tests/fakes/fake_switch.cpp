#include "fakes/fake_switch.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace vmnmob::testing {

namespace {
using SteadyClock = std::chrono::steady_clock;

int remaining_ms(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

void set_nodelay(int fd) {
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}
}  // namespace

std::unique_ptr<FakeSwitch> FakeSwitch::connect(std::uint16_t port, const std::string& host,
                                                int receive_buffer) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int family = AF_INET;
  if (host.find(':') != std::string::npos) {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&storage);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    if (::inet_pton(AF_INET6, host.c_str(), &a6->sin6_addr) != 1) return nullptr;
    length = sizeof *a6;
    family = AF_INET6;
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&storage);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    if (::inet_pton(AF_INET, host.c_str(), &a4->sin_addr) != 1) return nullptr;
    length = sizeof *a4;
  }
  int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return nullptr;
  if (receive_buffer > 0)
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    ::close(fd);
    return nullptr;
  }
  set_nodelay(fd);
  return std::make_unique<FakeSwitch>(fd);
}

FakeSwitch::FakeSwitch(int fd) : fd_(fd) {}

FakeSwitch::~FakeSwitch() { close(); }

void FakeSwitch::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void FakeSwitch::send_raw(ByteSpan bytes) {
  std::size_t done = 0;
  while (fd_ >= 0 && done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the controller closed; the test notices through its expectations
    done += static_cast<std::size_t>(n);
  }
}

void FakeSwitch::send_in_pieces(ByteSpan bytes, std::size_t chunk, std::chrono::microseconds pause) {
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    send_raw(bytes.subspan(at, std::min(chunk, bytes.size() - at)));
    std::this_thread::sleep_for(pause);
  }
}

void FakeSwitch::send(const ofp::Message& msg) {
  auto bytes = ofp::encode(msg);
  if (bytes) send_raw(as_bytes(*bytes));
}

void FakeSwitch::send(ofp::MessageBody body, std::uint32_t xid) {
  send(ofp::Message{ofp::kVersion, xid == 0 ? next_xid_++ : xid, std::move(body)});
}

bool FakeSwitch::pump(Timeout timeout) {
  if (fd_ < 0 || closed_by_peer_) return false;
  pollfd p{fd_, POLLIN, 0};
  int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return ready == 0;
  auto buffer = framer_.prepare(64 * 1024);
  ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
  if (n <= 0) {
    closed_by_peer_ = true;
    return false;
  }
  framer_.commit(static_cast<std::size_t>(n));
  for (;;) {
    auto frame = framer_.next();
    if (!frame || !*frame) break;
    auto msg = ofp::decode(**frame);
    if (!msg && (**frame)[0] != std::byte{ofp::kVersion}) {
      // The controller answers an old peer's HELLO with OFPT_ERROR in the peer's version;
      // the layout is the same, so decode it as 1.3 and keep the version it came with.
      ByteVector copy((**frame).begin(), (**frame).end());
      copy[0] = std::byte{ofp::kVersion};
      msg = ofp::decode(copy);
      if (msg) msg->version = std::to_integer<std::uint8_t>((**frame)[0]);
    }
    if (!msg) continue;
    // The frame is reused by the next read: own what borrows it.
    if (auto* out = std::get_if<ofp::PacketOut>(&msg->body)) out->data.own();
    if (auto* in = std::get_if<ofp::PacketIn>(&msg->body)) in->data.own();
    if (auto_echo_) {
      if (const auto* echo = std::get_if<ofp::EchoRequest>(&msg->body)) {
        ++echo_requests_;
        send(ofp::Message{ofp::kVersion, msg->xid, ofp::EchoReply{echo->data}});
        continue;
      }
    }
    backlog_.push_back(std::move(*msg));
  }
  return true;
}

std::optional<ofp::Message> FakeSwitch::receive(Timeout timeout) {
  auto deadline = SteadyClock::now() + timeout;
  while (backlog_.empty()) {
    if (!pump(Timeout(remaining_ms(deadline)))) break;
    if (SteadyClock::now() >= deadline) break;
  }
  if (backlog_.empty()) return std::nullopt;
  ofp::Message m = std::move(backlog_.front());
  backlog_.pop_front();
  return m;
}

std::optional<ofp::Message> FakeSwitch::expect(ofp::MessageType type, Timeout timeout) {
  auto deadline = SteadyClock::now() + timeout;
  std::size_t checked = 0;
  bool alive = true;
  for (;;) {
    for (; checked < backlog_.size(); ++checked) {
      if (ofp::message_type(backlog_[checked].body) == type) {
        ofp::Message m = std::move(backlog_[checked]);
        backlog_.erase(backlog_.begin() + static_cast<std::ptrdiff_t>(checked));
        return m;
      }
    }
    if (!alive || SteadyClock::now() >= deadline) return std::nullopt;
    alive = pump(Timeout(remaining_ms(deadline)));
  }
}

bool FakeSwitch::wait_closed(Timeout timeout) {
  auto deadline = SteadyClock::now() + timeout;
  while (!closed_by_peer_) {
    if (SteadyClock::now() >= deadline) return false;
    if (!pump(Timeout(remaining_ms(deadline))) && !closed_by_peer_) return false;
  }
  return true;
}

bool FakeSwitch::handshake(std::uint64_t datapath_id, const std::vector<ofp::Port>& ports,
                           std::size_t port_parts, Timeout timeout) {
  auto deadline = SteadyClock::now() + timeout;
  auto left = [&] { return Timeout(remaining_ms(deadline)); };
  send(ofp::Hello{{ofp::VersionBitmap::of({ofp::kVersion})}});
  if (!expect(ofp::MessageType::Hello, left())) return false;
  auto features = expect(ofp::MessageType::FeaturesRequest, left());
  if (!features) return false;
  ofp::FeaturesReply reply;
  reply.datapath_id = datapath_id;
  reply.n_buffers = 0;
  reply.n_tables = 254;
  reply.capabilities = 0x4f;
  send(reply, features->xid);
  if (!expect(ofp::MessageType::SetConfig, left())) return false;
  auto request = expect(ofp::MessageType::MultipartRequest, left());
  if (!request) return false;
  port_parts = std::max<std::size_t>(port_parts, 1);
  std::size_t per_part = (ports.size() + port_parts - 1) / port_parts;
  for (std::size_t part = 0; part < port_parts; ++part) {
    ofp::PortDescReply body;
    for (std::size_t i = part * per_part; i < std::min(ports.size(), (part + 1) * per_part); ++i)
      body.ports.push_back(ports[i]);
    std::uint16_t flags = part + 1 < port_parts ? ofp::multipart_flags::kMore : 0;
    send(ofp::MultipartReply{flags, std::move(body)}, request->xid);
  }
  return true;
}

FakeSwitchListener::FakeSwitchListener() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd_, 8) != 0) {
    ::close(fd_);
    fd_ = -1;
    return;
  }
  socklen_t len = sizeof a;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
}

FakeSwitchListener::~FakeSwitchListener() {
  if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<FakeSwitch> FakeSwitchListener::accept(FakeSwitch::Timeout timeout) {
  if (fd_ < 0) return nullptr;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return nullptr;
  int fd = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd < 0) return nullptr;
  set_nodelay(fd);
  return std::make_unique<FakeSwitch>(fd);
}

ofp::Port make_port(std::uint32_t port_no, const std::string& name) {
  ofp::Port p;
  p.port_no = port_no;
  p.hw_addr = MacAddress::from_u64(0x020000000000ULL | port_no);
  p.name = name;
  p.curr_speed = 10'000'000;
  p.max_speed = 10'000'000;
  return p;
}

ofp::PacketIn make_packet_in(std::uint32_t in_port, ByteVector frame) {
  ofp::PacketIn pi;
  pi.buffer_id = ofp::kNoBuffer;
  pi.total_len = static_cast<std::uint16_t>(frame.size());
  pi.reason = ofp::PacketInReason::NoMatch;
  pi.match.add(ofp::OxmField::InPort, in_port);
  pi.data = Payload(std::move(frame));
  return pi;
}

}  // namespace vmnmob::testing
