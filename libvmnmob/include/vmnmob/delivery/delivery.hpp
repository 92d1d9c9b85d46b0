// Delivery of the mobility engine's batches to the switches, make-before-break, without I/O.
//
// The engine returns a Batch in send order: adds, packet-outs, one BARRIER_REQUEST per switch
// that got adds, then (from Batch::break_at) the deletes of the old state (engine.hpp). This
// part decides when each switch gets which of those messages:
//
//   BreakOrder::Switch (the default): each switch gets its whole part at once, as one unit:
//     adds, packet-outs, barrier, deletes. The barrier makes the switch finish the adds before
//     it reads the deletes (OF 1.3.5 §6.2: messages before a barrier are processed first), so
//     every switch is make-before-break on its own, and nothing waits for a round trip.
//   BreakOrder::Network: everything before the break goes out at once, with the barriers; the
//     deletes, on every switch, wait until every switch of the batch answered its barrier. A
//     correspondent's switch then holds the new MoA before the old location's flows go.
//
// What happens when things go wrong (each is reported, see Report::Kind):
//   - a switch answers a barrier with an error, or does not answer within barrier_timeout:
//     the batch's deletes go out anyway (the VMN has left the old place; its old flows only
//     lead to where it is not), reported as BarrierFailed / BarrierTimeout;
//   - a switch goes down (or cannot be sent to) while its barrier is outstanding: its barrier
//     no longer holds the others (SwitchLost), and its own deletes are not sent: the engine
//     reconciles every flow of a switch when it connects again (MobilityEngine::on_switch_up);
//   - a newer batch re-adds a flow group (same switch, same cookie) that a waiting batch would
//     delete (a VMN moving back before the first move's barriers were answered): that delete
//     is dropped from the waiting batch, since sent late it would remove the newer flows;
//   - a switch refuses one of the batch's messages (OFPT_ERROR with its xid): Refused, with
//     the error; the batch goes on (the engine's view is corrected at the next reconcile).
//
// Xids: messages delivered in network order get xids from the delivery's own space (top bit
// set, see owns_xid()); the connection manager allocates below it, so a BARRIER_REPLY or an
// ERROR with such an xid belongs to this part and answers no request of the connection.
//
// No clock and no socket: every call takes `now`, and messages leave through a SwitchLink the
// host implements (vmnmob/controller/ does it over the connection manager; a test does it in
// memory). Not thread-safe: call it from one thread (the engine's).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "vmnmob/base/time.hpp"
#include "vmnmob/mobility/engine.hpp"
#include "vmnmob/ofp/message.hpp"

namespace vmnmob::delivery {

/// When the flows of the old location are deleted (vmnctl-ofc: mobility.make_before_break).
enum class BreakOrder : std::uint8_t { Switch, Network };
std::string_view to_string(BreakOrder order);

struct DeliveryOptions {
  BreakOrder order = BreakOrder::Switch;
  /// How long the deletes of a network-order batch wait for a barrier reply.
  Duration barrier_timeout = std::chrono::seconds(2);
};

/// The host's way to the switches.
class SwitchLink {
 public:
  virtual ~SwitchLink() = default;
  /// Sends `messages` to the switch, in order, as one unit (Switch::send_batch). A message
  /// with xid 0 gets one from the connection. False: the switch is not connected or refused
  /// them (the host says why in its own log); the delivery then treats the switch as lost.
  virtual bool send(std::uint64_t datapath_id, std::span<const ofp::Message> messages) = 0;
};

/// Something that happened to a delivery, for the host to log or count.
struct Report {
  enum class Kind : std::uint8_t {
    BreakComplete,   // network order: the deletes of `batch` were sent (`messages` of them)
    BarrierFailed,   // `datapath_id` answered the barrier with an error; deletes released anyway
    BarrierTimeout,  // `datapath_id` did not answer within barrier_timeout; deletes released anyway
    SwitchLost,      // `datapath_id` went down (or could not be sent to) mid-batch; its deletes dropped
    Refused,         // `datapath_id` answered a message (`xid`) of the batch with `error`
  };
  Kind kind = Kind::BreakComplete;
  std::uint64_t batch = 0;  // the delivery's sequence number of the batch (0: not known)
  std::uint64_t datapath_id = 0;
  std::uint32_t xid = 0;
  std::size_t messages = 0;
  TimePoint started{};  // when the batch was delivered
  TimePoint at{};
  std::optional<ofp::ErrorMsg> error;
};
std::string_view to_string(Report::Kind kind);

class Delivery {
 public:
  explicit Delivery(SwitchLink& link, DeliveryOptions options = {});
  ~Delivery();
  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  /// Sends the batch's messages (moved out of it; the batch's events are left for the host).
  /// Returns the batch's sequence number (reports name it).
  std::uint64_t deliver(TimePoint now, mobility::Batch& batch, std::vector<Report>& reports);

  /// A BARRIER_REPLY from a switch. True if it answers a delivery (one of its xids); it may
  /// release deletes.
  bool on_barrier_reply(TimePoint now, std::uint64_t datapath_id, std::uint32_t xid, std::vector<Report>& reports);
  /// An OFPT_ERROR from a switch. True if it answers one of the delivery's messages (reported
  /// as Refused, or BarrierFailed for a barrier, which then no longer holds the deletes).
  bool on_error(TimePoint now, std::uint64_t datapath_id, std::uint32_t xid, const ofp::ErrorMsg& error,
                std::vector<Report>& reports);
  /// Either of the two above for a decoded message (a host with its own I/O); false for others.
  bool on_message(TimePoint now, std::uint64_t datapath_id, const ofp::Message& message,
                  std::vector<Report>& reports);
  /// The switch is gone: its outstanding barriers stop holding other switches' deletes.
  void on_switch_down(TimePoint now, std::uint64_t datapath_id, std::vector<Report>& reports);
  /// Releases the deletes of batches whose barriers timed out.
  void on_tick(TimePoint now, std::vector<Report>& reports);

  /// The earliest barrier deadline, if any batch waits (the host's timer).
  std::optional<TimePoint> next_deadline() const;
  /// Batches whose deletes still wait for barrier replies.
  std::size_t waiting() const;

  const DeliveryOptions& options() const;
  /// The break order may change live (vmnctl-ofc's SIGHUP); waiting batches keep theirs.
  void set_order(BreakOrder order);

  /// True for xids the delivery assigns (the connection manager allocates below them).
  static constexpr bool owns_xid(std::uint32_t xid) { return (xid & kXidBit) != 0; }
  static constexpr std::uint32_t kXidBit = 0x8000'0000u;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vmnmob::delivery
