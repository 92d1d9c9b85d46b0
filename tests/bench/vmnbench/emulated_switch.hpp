// One emulated OpenFlow 1.3 switch: a non-blocking TCP connection to the controller and the
// switch side of the protocol (spec 6.3 and 7): HELLO with a version bitmap, FEATURES, PORT_DESC,
// SET_CONFIG/GET_CONFIG, ECHO both ways, BARRIER, ROLE, GET_ASYNC. FLOW_MOD, GROUP_MOD and
// PACKET_OUT are absorbed, counted, and handed to the benchmark (SwitchListener).
//
// The socket is driven by the benchmark's single-threaded epoll loop (event_loop.hpp): it
// calls on_readable()/flush(). Sending only appends to an output buffer; the loop writes each
// dirty switch once per iteration, so a burst of packet-ins leaves in one write().
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <netinet/in.h>

#include "vmnmob/base/bytes.hpp"
#include "vmnmob/base/expected.hpp"
#include "vmnmob/ofp/codec.hpp"
#include "vmnmob/ofp/framer.hpp"
#include "vmnmob/ofp/message.hpp"

namespace vmnbench {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;

class EmulatedSwitch;

/// The benchmark's side: what it hears from the emulated switches. `now` is when the bytes
/// were read (one timestamp per read() call).
class SwitchListener {
 public:
  virtual ~SwitchListener() = default;
  /// FEATURES_REPLY and PORT_DESC reply sent: the controller can consider the switch up.
  virtual void on_up(EmulatedSwitch& sw, TimePoint now) = 0;
  /// `po` is nullptr when packet-outs are only counted (set_decode_packet_outs(false)).
  virtual void on_packet_out(EmulatedSwitch& sw, const vmnmob::ofp::PacketOut* po, TimePoint now) = 0;
  /// The raw message: decoding costs more than the controller's encoding, so only modes that
  /// inspect flow-mods decode them.
  virtual void on_flow_mod(EmulatedSwitch& sw, vmnmob::ByteSpan wire, TimePoint now) = 0;
  virtual void on_closed(EmulatedSwitch& sw, const std::string& why) = 0;
  /// The switch has bytes to write: the loop should flush it at the end of this iteration.
  virtual void wants_flush(EmulatedSwitch& sw) = 0;
};

struct SwitchCounters {
  std::uint64_t packet_ins = 0;
  std::uint64_t port_status = 0;
  std::uint64_t flow_mods = 0;
  std::uint64_t group_mods = 0;
  std::uint64_t packet_outs = 0;
  std::uint64_t barriers = 0;
  std::uint64_t echo_requests = 0;  // from the controller
  std::uint64_t echo_replies = 0;   // to our own echo requests
  std::uint64_t role_requests = 0;
  std::uint64_t errors = 0;         // OFPT_ERROR from the controller
  std::uint64_t undecodable = 0;    // messages our codec refused
  std::uint64_t other = 0;
};

/// Every counter with its name in vmnbench's JSON report, so sums and reports list them once.
struct SwitchCounterField {
  const char* name;
  std::uint64_t SwitchCounters::*member;
};
inline constexpr std::array<SwitchCounterField, 12> kSwitchCounterFields{{
    {"packet_ins", &SwitchCounters::packet_ins},
    {"port_status", &SwitchCounters::port_status},
    {"flow_mods", &SwitchCounters::flow_mods},
    {"group_mods", &SwitchCounters::group_mods},
    {"packet_outs", &SwitchCounters::packet_outs},
    {"barriers", &SwitchCounters::barriers},
    {"echo_requests_in", &SwitchCounters::echo_requests},
    {"echo_replies_in", &SwitchCounters::echo_replies},
    {"role_requests", &SwitchCounters::role_requests},
    {"errors_in", &SwitchCounters::errors},
    {"undecodable", &SwitchCounters::undecodable},
    {"other", &SwitchCounters::other},
}};

class EmulatedSwitch {
 public:
  EmulatedSwitch(std::size_t index, std::uint64_t datapath_id, std::vector<vmnmob::ofp::Port> ports,
                 SwitchListener& listener);
  ~EmulatedSwitch();
  EmulatedSwitch(const EmulatedSwitch&) = delete;
  EmulatedSwitch& operator=(const EmulatedSwitch&) = delete;

  /// Starts a non-blocking connect; HELLO is queued at once (sent when connected).
  vmnmob::Expected<void, std::string> connect(const sockaddr_in& controller);
  /// Closes the socket (the controller sees a disconnect); connect() may be called again.
  void close();

  int fd() const { return fd_; }
  std::size_t index() const { return index_; }
  std::uint64_t datapath_id() const { return datapath_id_; }
  bool connected() const { return fd_ >= 0; }
  bool up() const { return up_; }
  const SwitchCounters& counters() const { return counters_; }
  const std::vector<vmnmob::ofp::Port>& ports() const { return ports_; }

  // ---- Driven by the event loop ----
  void on_readable(TimePoint now);
  /// EPOLLOUT: completes a non-blocking connect, then flushes.
  bool on_writable();
  /// Writes what is buffered; returns whether bytes remain (the loop then waits for EPOLLOUT).
  /// Nothing is written before the connection is established.
  bool flush();
  bool has_output() const { return out_begin_ < out_.size(); }

  /// A controller that never asks for the port list (ovs-testcontroller) still gets the switch
  /// up, `grace` after the FEATURES_REPLY.
  void check_up(TimePoint now, Clock::duration grace);

  // ---- Switch-originated messages ----
  /// Reason Action by default (the mobility controllers' ARP flows output to CONTROLLER);
  /// NoMatch is what a table-miss flow reports (ovs-testcontroller ignores anything else).
  void send_packet_in(std::uint32_t in_port, vmnmob::ByteSpan frame);
  void set_packet_in_reason(vmnmob::ofp::PacketInReason reason) { packet_in_reason_ = reason; }
  /// Baselines' packet-outs are not verified: skipping their decode keeps the emulator cheap.
  void set_decode_packet_outs(bool decode) { decode_packet_outs_ = decode; }
  void send_port_status(vmnmob::ofp::PortReason reason, const vmnmob::ofp::Port& port);
  void send_echo_request();

 private:
  using Handler = void (EmulatedSwitch::*)(const vmnmob::ofp::Header&, vmnmob::ByteSpan, TimePoint);
  struct HandlerEntry {
    vmnmob::ofp::MessageType type;
    Handler handle;
  };
  static const HandlerEntry kHandlers[];

  void on_hello(const vmnmob::ofp::Header&, vmnmob::ByteSpan, TimePoint);
  void on_error(const vmnmob::ofp::Header&, vmnmob::ByteSpan, TimePoint);
  void on_echo_request(const vmnmob::ofp::Header&, vmnmob::ByteSpan, TimePoint);
  void on_echo_reply(const vmnmob::ofp::Header&, vmnmob::ByteSpan, TimePoint);
  void on_features_request(const vmnmob::ofp::Header&, vmnmob::ByteSpan, TimePoint);
  void on_get_config_request(const vmnmob::ofp::Header&, vmnmob::ByteSpan, TimePoint);
  void on_set_config(const vmnmob::ofp::Header&, vmnmob::ByteSpan, TimePoint);
  void on_multipart_request(const vmnmob::ofp::Header&, vmnmob::ByteSpan, TimePoint);
  void on_barrier_request(const vmnmob::ofp::Header&, vmnmob::ByteSpan, TimePoint);
  void on_role_request(const vmnmob::ofp::Header&, vmnmob::ByteSpan, TimePoint);
  void on_get_async_request(const vmnmob::ofp::Header&, vmnmob::ByteSpan, TimePoint);
  void on_flow_mod(const vmnmob::ofp::Header&, vmnmob::ByteSpan, TimePoint);
  void on_group_mod(const vmnmob::ofp::Header&, vmnmob::ByteSpan, TimePoint);
  void on_packet_out(const vmnmob::ofp::Header&, vmnmob::ByteSpan, TimePoint);
  void on_other(const vmnmob::ofp::Header&, vmnmob::ByteSpan, TimePoint);

  void send(std::uint32_t xid, vmnmob::ofp::MessageBody body);
  void fail(const std::string& why);

  std::size_t index_;
  std::uint64_t datapath_id_;
  std::vector<vmnmob::ofp::Port> ports_;
  SwitchListener& listener_;
  int fd_ = -1;
  bool established_ = false;
  bool up_ = false;
  bool features_sent_ = false;
  TimePoint features_at_{};
  vmnmob::ofp::PacketInReason packet_in_reason_ = vmnmob::ofp::PacketInReason::Action;
  bool decode_packet_outs_ = true;
  std::uint32_t next_xid_ = 1;
  vmnmob::ofp::SwitchConfig config_;
  vmnmob::ofp::Framer framer_;
  vmnmob::ByteVector out_;
  std::size_t out_begin_ = 0;
  SwitchCounters counters_;
};

}  // namespace vmnbench
