#include "emulated_switch.hpp"

#include <array>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

namespace vmnbench {

namespace ofp = vmnmob::ofp;
using vmnmob::ByteSpan;

// One row per message type a controller sends; everything else goes to on_other.
const EmulatedSwitch::HandlerEntry EmulatedSwitch::kHandlers[] = {
    {ofp::MessageType::Hello, &EmulatedSwitch::on_hello},
    {ofp::MessageType::Error, &EmulatedSwitch::on_error},
    {ofp::MessageType::EchoRequest, &EmulatedSwitch::on_echo_request},
    {ofp::MessageType::EchoReply, &EmulatedSwitch::on_echo_reply},
    {ofp::MessageType::FeaturesRequest, &EmulatedSwitch::on_features_request},
    {ofp::MessageType::GetConfigRequest, &EmulatedSwitch::on_get_config_request},
    {ofp::MessageType::SetConfig, &EmulatedSwitch::on_set_config},
    {ofp::MessageType::MultipartRequest, &EmulatedSwitch::on_multipart_request},
    {ofp::MessageType::BarrierRequest, &EmulatedSwitch::on_barrier_request},
    {ofp::MessageType::RoleRequest, &EmulatedSwitch::on_role_request},
    {ofp::MessageType::GetAsyncRequest, &EmulatedSwitch::on_get_async_request},
    {ofp::MessageType::FlowMod, &EmulatedSwitch::on_flow_mod},
    {ofp::MessageType::GroupMod, &EmulatedSwitch::on_group_mod},
    {ofp::MessageType::PacketOut, &EmulatedSwitch::on_packet_out},
};

namespace {

/// kHandlers indexed by type byte, built once.
using Handler = void (EmulatedSwitch::*)(const ofp::Header&, ByteSpan, TimePoint);

}  // namespace

EmulatedSwitch::EmulatedSwitch(std::size_t index, std::uint64_t datapath_id, std::vector<ofp::Port> ports,
                               SwitchListener& listener)
    : index_(index), datapath_id_(datapath_id), ports_(std::move(ports)), listener_(listener) {}

EmulatedSwitch::~EmulatedSwitch() {
  if (fd_ >= 0) ::close(fd_);
}

vmnmob::Expected<void, std::string> EmulatedSwitch::connect(const sockaddr_in& controller) {
  if (fd_ >= 0) close();
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return vmnmob::unexpected(fmt::format("socket: {}", std::strerror(errno)));
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&controller), sizeof controller) < 0 && errno != EINPROGRESS) {
    std::string why = fmt::format("connect: {}", std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
    return vmnmob::unexpected(why);
  }
  established_ = false;
  up_ = false;
  features_sent_ = false;
  framer_ = ofp::Framer();
  out_.clear();
  out_begin_ = 0;
  // Spec 6.3.1: each side sends HELLO at once; ours carries a bitmap with 1.3 only.
  send(next_xid_++, ofp::Hello{{ofp::VersionBitmap::of({ofp::kVersion})}});
  return {};
}

void EmulatedSwitch::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  up_ = false;
}

void EmulatedSwitch::fail(const std::string& why) {
  close();
  listener_.on_closed(*this, why);
}

void EmulatedSwitch::on_readable(TimePoint now) {
  static const std::array<Handler, 256> table = [] {
    std::array<Handler, 256> t;
    t.fill(&EmulatedSwitch::on_other);
    for (const auto& h : kHandlers) t[static_cast<std::uint8_t>(h.type)] = h.handle;
    return t;
  }();
  for (;;) {
    auto buf = framer_.prepare(64 * 1024);
    const ssize_t n = ::read(fd_, buf.data(), buf.size());
    if (n == 0) return fail("controller closed the connection");
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      return fail(fmt::format("read: {}", std::strerror(errno)));
    }
    framer_.commit(static_cast<std::size_t>(n));
    for (;;) {
      auto next = framer_.next();
      if (!next) return fail(fmt::format("framing: {}", next.error().to_string()));
      if (!*next) break;
      const ByteSpan wire = **next;
      auto header = ofp::decode_header(wire);
      if (!header) return fail("short header");
      (this->*table[header->type])(*header, wire, now);
      if (fd_ < 0) return;  // a handler failed the connection
    }
    if (static_cast<std::size_t>(n) < buf.size()) return;
  }
}

bool EmulatedSwitch::on_writable() {
  if (fd_ >= 0 && !established_) {
    int error = 0;
    socklen_t len = sizeof error;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &len);
    if (error != 0) {
      fail(fmt::format("connect: {}", std::strerror(error)));
      return false;
    }
    established_ = true;
  }
  return flush();
}

bool EmulatedSwitch::flush() {
  if (fd_ >= 0 && !established_) return true;
  while (fd_ >= 0 && out_begin_ < out_.size()) {
    const ssize_t n = ::send(fd_, out_.data() + out_begin_, out_.size() - out_begin_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN) return true;
      if (errno == EINTR) continue;
      fail(fmt::format("write: {}", std::strerror(errno)));
      return false;
    }
    out_begin_ += static_cast<std::size_t>(n);
  }
  out_.clear();
  out_begin_ = 0;
  return false;
}

void EmulatedSwitch::send(std::uint32_t xid, ofp::MessageBody body) {
  const bool was_empty = !has_output();
  if (auto ok = ofp::encode(ofp::Message{ofp::kVersion, xid, std::move(body)}, out_); !ok) {
    fmt::print(stderr, "vmnbench: dp {}: cannot encode: {}\n", datapath_id_, ok.error().to_string());
    return;
  }
  if (was_empty) listener_.wants_flush(*this);
}

void EmulatedSwitch::send_packet_in(std::uint32_t in_port, ByteSpan frame) {
  ofp::PacketIn pi;
  pi.buffer_id = ofp::kNoBuffer;
  pi.total_len = static_cast<std::uint16_t>(frame.size());
  pi.reason = packet_in_reason_;
  pi.match.add(ofp::OxmField::InPort, in_port);
  pi.data = vmnmob::Payload::borrow(frame);
  ++counters_.packet_ins;
  send(next_xid_++, std::move(pi));
}

void EmulatedSwitch::send_port_status(ofp::PortReason reason, const ofp::Port& port) {
  if (reason == ofp::PortReason::Delete) {
    std::erase_if(ports_, [&](const ofp::Port& p) { return p.port_no == port.port_no; });
  } else if (reason == ofp::PortReason::Add) {
    ports_.push_back(port);
  }
  ++counters_.port_status;
  send(next_xid_++, ofp::PortStatus{reason, port});
}

void EmulatedSwitch::check_up(TimePoint now, Clock::duration grace) {
  if (fd_ >= 0 && features_sent_ && !up_ && now - features_at_ >= grace) {
    up_ = true;
    listener_.on_up(*this, now);
  }
}

void EmulatedSwitch::send_echo_request() { send(next_xid_++, ofp::EchoRequest{}); }

// ---- Handlers ----

void EmulatedSwitch::on_hello(const ofp::Header&, ByteSpan wire, TimePoint) {
  auto msg = ofp::decode(wire);
  if (!msg) return fail("undecodable HELLO");
  const auto& hello = std::get<ofp::Hello>(msg->body);
  const ofp::VersionBitmap* bitmap = hello.version_bitmap();
  // Spec 6.3.1: without a bitmap the header's version is the highest the peer speaks.
  if (bitmap ? !bitmap->supports(ofp::kVersion) : msg->version < ofp::kVersion) {
    send(0, ofp::ErrorMsg{ofp::ErrorType::HelloFailed, 0, 0, {}});
    return fail("controller does not speak OpenFlow 1.3");
  }
}

void EmulatedSwitch::on_error(const ofp::Header&, ByteSpan wire, TimePoint) {
  ++counters_.errors;
  if (counters_.errors <= 3) {
    auto msg = ofp::decode(wire);
    if (msg)
      if (const auto* e = std::get_if<ofp::ErrorMsg>(&msg->body))
        fmt::print(stderr, "vmnbench: dp {}: controller sent ERROR {}/{}\n", datapath_id_,
                   ofp::error_type_name(e->type), ofp::error_code_name(e->type, e->code));
  }
}

void EmulatedSwitch::on_echo_request(const ofp::Header& h, ByteSpan wire, TimePoint) {
  ++counters_.echo_requests;
  auto msg = ofp::decode(wire);
  if (!msg) return on_other(h, wire, {});
  send(h.xid, ofp::EchoReply{std::get<ofp::EchoRequest>(msg->body).data});
}

void EmulatedSwitch::on_echo_reply(const ofp::Header&, ByteSpan, TimePoint) { ++counters_.echo_replies; }

void EmulatedSwitch::on_features_request(const ofp::Header& h, ByteSpan, TimePoint now) {
  ofp::FeaturesReply reply;
  reply.datapath_id = datapath_id_;
  reply.n_buffers = 0;  // every packet-in carries the whole frame (OFPCML_NO_BUFFER)
  reply.n_tables = 254;
  reply.capabilities = 0x4f;  // flow, table, port, group stats; port blocked (as OVS)
  send(h.xid, reply);
  features_sent_ = true;
  features_at_ = now;
}

void EmulatedSwitch::on_get_config_request(const ofp::Header& h, ByteSpan, TimePoint) {
  send(h.xid, ofp::GetConfigReply{config_});
}

void EmulatedSwitch::on_set_config(const ofp::Header& h, ByteSpan wire, TimePoint) {
  auto msg = ofp::decode(wire);
  if (!msg) return on_other(h, wire, {});
  config_ = std::get<ofp::SetConfig>(msg->body).config;
}

void EmulatedSwitch::on_multipart_request(const ofp::Header& h, ByteSpan wire, TimePoint now) {
  auto msg = ofp::decode(wire);
  if (!msg) return on_other(h, wire, now);
  const auto& body = std::get<ofp::MultipartRequest>(msg->body).body;
  if (std::holds_alternative<ofp::PortDescRequest>(body)) {
    // Spec 7.3.5: a reply longer than one message is split, OFPMPF_REPLY_MORE on all but the
    // last part (a switch with 10000 VM ports needs 640 kB of ofp_port).
    constexpr std::size_t kPortsPerPart = 1000;  // 64 bytes each: 64 kB minus headers
    std::size_t at = 0;
    do {
      const std::size_t n = std::min(kPortsPerPart, ports_.size() - at);
      const bool more = at + n < ports_.size();
      send(h.xid, ofp::MultipartReply{more ? ofp::multipart_flags::kMore : std::uint16_t{0},
                                      ofp::PortDescReply{{ports_.begin() + static_cast<std::ptrdiff_t>(at),
                                                          ports_.begin() + static_cast<std::ptrdiff_t>(at + n)}}});
      at += n;
    } while (at < ports_.size());
    if (!up_ && features_sent_) {
      up_ = true;
      listener_.on_up(*this, now);
    }
  } else if (std::holds_alternative<ofp::DescRequest>(body)) {
    send(h.xid, ofp::MultipartReply{0, ofp::DescReply{"libvmnmob", "vmnbench", "vmnbench 0.1", "none",
                                                      fmt::format("emulated dp {}", datapath_id_)}});
  } else if (std::holds_alternative<ofp::FlowStatsRequest>(body)) {
    send(h.xid, ofp::MultipartReply{0, ofp::FlowStatsReply{}});  // flows are counted, not kept
  } else if (std::holds_alternative<ofp::GroupDescRequest>(body)) {
    send(h.xid, ofp::MultipartReply{0, ofp::GroupDescReply{}});
  } else {
    // Spec 7.5.4.6: a multipart type the switch does not support.
    send(h.xid, ofp::ErrorMsg{ofp::ErrorType::BadRequest, 2 /* OFPBRC_BAD_MULTIPART */, 0,
                              vmnmob::ByteVector(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(wire.size(), 64)))});
  }
}

void EmulatedSwitch::on_barrier_request(const ofp::Header& h, ByteSpan, TimePoint) {
  ++counters_.barriers;
  // Every earlier message is already "applied" (counted), so the reply may go at once.
  send(h.xid, ofp::BarrierReply{});
}

void EmulatedSwitch::on_role_request(const ofp::Header& h, ByteSpan wire, TimePoint) {
  ++counters_.role_requests;
  auto msg = ofp::decode(wire);
  if (!msg) return on_other(h, wire, {});
  const auto& req = std::get<ofp::RoleRequest>(msg->body);
  const auto role = req.role == ofp::ControllerRole::NoChange ? ofp::ControllerRole::Equal : req.role;
  send(h.xid, ofp::RoleReply{role, req.generation_id});
}

void EmulatedSwitch::on_get_async_request(const ofp::Header& h, ByteSpan, TimePoint) {
  ofp::AsyncConfig c;  // OVS defaults for master/equal: all packet-in, port-status, flow-removed reasons
  c.packet_in_mask[0] = 0x7;
  c.port_status_mask[0] = c.port_status_mask[1] = 0x7;
  c.flow_removed_mask[0] = 0xf;
  send(h.xid, ofp::GetAsyncReply{c});
}

void EmulatedSwitch::on_flow_mod(const ofp::Header&, ByteSpan wire, TimePoint now) {
  ++counters_.flow_mods;
  listener_.on_flow_mod(*this, wire, now);
}

void EmulatedSwitch::on_group_mod(const ofp::Header&, ByteSpan, TimePoint) { ++counters_.group_mods; }

void EmulatedSwitch::on_packet_out(const ofp::Header& h, ByteSpan wire, TimePoint now) {
  ++counters_.packet_outs;
  if (!decode_packet_outs_) return listener_.on_packet_out(*this, nullptr, now);
  auto msg = ofp::decode(wire);
  if (!msg) return on_other(h, wire, now);
  listener_.on_packet_out(*this, &std::get<ofp::PacketOut>(msg->body), now);
}

void EmulatedSwitch::on_other(const ofp::Header& h, ByteSpan wire, TimePoint) {
  if (ofp::decode(wire)) ++counters_.other;
  else ++counters_.undecodable;
  (void)h;
}

}  // namespace vmnbench
