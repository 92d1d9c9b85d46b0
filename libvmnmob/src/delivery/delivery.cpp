#include "vmnmob/delivery/delivery.hpp"

#include <algorithm>
#include <variant>

namespace vmnmob::delivery {

std::string_view to_string(BreakOrder order) {
  switch (order) {
    case BreakOrder::Switch: return "switch";
    case BreakOrder::Network: return "network";
  }
  return "unknown";
}

std::string_view to_string(Report::Kind kind) {
  switch (kind) {
    case Report::Kind::BreakComplete: return "break-complete";
    case Report::Kind::BarrierFailed: return "barrier-failed";
    case Report::Kind::BarrierTimeout: return "barrier-timeout";
    case Report::Kind::SwitchLost: return "switch-lost";
    case Report::Kind::Refused: return "refused";
  }
  return "unknown";
}

namespace {

struct Barrier {
  std::uint64_t datapath_id;
  std::uint32_t xid;
};

/// A network-order batch whose deletes wait for its barriers.
struct Waiting {
  std::uint64_t id = 0;
  TimePoint started{};
  TimePoint deadline{};
  std::uint32_t first_xid = 0;  // the batch's xids are consecutive: [first_xid, last_xid]
  std::uint32_t last_xid = 0;
  std::vector<Barrier> barriers;          // not answered yet
  std::vector<std::uint64_t> lost;        // switches whose deletes are dropped
  std::vector<mobility::Outgoing> deletes;

  bool holds(std::uint32_t xid) const {
    return first_xid <= last_xid ? xid >= first_xid && xid <= last_xid : xid >= first_xid || xid <= last_xid;
  }
};

}  // namespace

struct Delivery::Impl {
  SwitchLink& link;
  DeliveryOptions options;
  std::uint64_t next_batch = 1;
  std::uint32_t next_xid = 1;  // the low 31 bits; kXidBit is added
  std::deque<Waiting> waiting;
  std::vector<std::size_t> order;     // send_grouped's scratch, reused
  std::vector<ofp::Message> run;      // one switch's messages, reused
  std::vector<std::uint64_t> failed;  // switches send_grouped could not reach, reused

  Impl(SwitchLink& l, DeliveryOptions o) : link(l), options(o) {}

  std::uint32_t allocate_xid() {
    const std::uint32_t xid = kXidBit | next_xid;
    next_xid = (next_xid + 1) & ~kXidBit;
    if (next_xid == 0) next_xid = 1;
    return xid;
  }

  /// Sends `messages` (moved from), each switch's part in order as one unit. Switches that
  /// could not be sent to are listed in `failed`.
  void send_grouped(std::span<mobility::Outgoing> messages) {
    failed.clear();
    if (messages.empty()) return;
    if (messages.size() == 1) {  // most batches: the answer to an ARP request
      if (!link.send(messages[0].datapath_id, std::span(&messages[0].message, 1))) failed.push_back(messages[0].datapath_id);
      return;
    }
    order.resize(messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t x, std::size_t y) { return messages[x].datapath_id < messages[y].datapath_id; });
    for (std::size_t begin = 0; begin < order.size();) {
      const std::uint64_t dp = messages[order[begin]].datapath_id;
      run.clear();
      std::size_t end = begin;
      for (; end < order.size() && messages[order[end]].datapath_id == dp; ++end)
        run.push_back(std::move(messages[order[end]].message));
      begin = end;
      if (!link.send(dp, run)) failed.push_back(dp);
    }
  }

  void release(Waiting& w, TimePoint now, std::vector<Report>& reports) {
    std::erase_if(w.deletes, [&](const mobility::Outgoing& o) {
      return std::find(w.lost.begin(), w.lost.end(), o.datapath_id) != w.lost.end();
    });
    const std::size_t count = w.deletes.size();
    send_grouped(w.deletes);
    reports.push_back({Report::Kind::BreakComplete, w.id, 0, 0, count, w.started, now, std::nullopt});
  }

  /// Drops the barrier of `dp` in `w` (answered, failed, lost); true if it was there.
  static bool drop_barrier(Waiting& w, std::uint64_t dp, std::uint32_t xid) {
    auto it = std::find_if(w.barriers.begin(), w.barriers.end(),
                           [&](const Barrier& b) { return b.datapath_id == dp && b.xid == xid; });
    if (it == w.barriers.end()) return false;
    w.barriers.erase(it);
    return true;
  }

  /// A barrier reply (error == nullptr) or an error for `xid`; false if the xid is not ours.
  bool settle(TimePoint now, std::uint64_t dp, std::uint32_t xid, const ofp::ErrorMsg* error,
              std::vector<Report>& reports) {
    if (!owns_xid(xid)) return false;
    auto it = std::find_if(waiting.begin(), waiting.end(), [&](const Waiting& w) { return w.holds(xid); });
    if (it == waiting.end()) {
      // Switch order, or a batch already released: nothing waits; an error is still news.
      if (error != nullptr) reports.push_back({Report::Kind::Refused, 0, dp, xid, 0, {}, now, *error});
      return true;
    }
    const bool barrier = drop_barrier(*it, dp, xid);
    if (error != nullptr)
      reports.push_back({barrier ? Report::Kind::BarrierFailed : Report::Kind::Refused, it->id, dp, xid, 0, it->started,
                         now, *error});
    if (barrier) release_settled(now, reports);
    return true;
  }

  /// A newer batch re-adds flows that a waiting batch's deletes would remove (a VMN moving
  /// back, a correspondent re-linked, before the first move's barriers were answered): those
  /// deletes are obsolete, and sent late they would break the newer state. Deletes are by
  /// exact cookie, so the newer batch's added cookies per switch name them.
  void drop_obsolete_deletes(std::span<const mobility::Outgoing> adds) {
    if (waiting.empty()) return;
    auto added = [&](const mobility::Outgoing& del) {
      const auto* fm = std::get_if<ofp::FlowMod>(&del.message.body);
      if (fm == nullptr) return false;
      return std::any_of(adds.begin(), adds.end(), [&](const mobility::Outgoing& a) {
        const auto* add = std::get_if<ofp::FlowMod>(&a.message.body);
        return add != nullptr && add->command == ofp::FlowModCommand::Add && a.datapath_id == del.datapath_id &&
               add->cookie == fm->cookie;
      });
    };
    for (Waiting& w : waiting) std::erase_if(w.deletes, added);
  }

  /// Releases and forgets every waiting batch whose barriers are all settled.
  void release_settled(TimePoint now, std::vector<Report>& reports) {
    for (auto it = waiting.begin(); it != waiting.end();) {
      if (!it->barriers.empty()) {
        ++it;
        continue;
      }
      Waiting done = std::move(*it);
      it = waiting.erase(it);
      release(done, now, reports);
    }
  }
};

Delivery::Delivery(SwitchLink& link, DeliveryOptions options) : impl_(std::make_unique<Impl>(link, options)) {}
Delivery::~Delivery() = default;

const DeliveryOptions& Delivery::options() const { return impl_->options; }
void Delivery::set_order(BreakOrder order) { impl_->options.order = order; }
std::size_t Delivery::waiting() const { return impl_->waiting.size(); }

std::optional<TimePoint> Delivery::next_deadline() const {
  std::optional<TimePoint> next;
  for (const Waiting& w : impl_->waiting)
    if (!next || w.deadline < *next) next = w.deadline;
  return next;
}

std::uint64_t Delivery::deliver(TimePoint now, mobility::Batch& batch, std::vector<Report>& reports) {
  Impl& m = *impl_;
  const std::uint64_t id = m.next_batch++;
  auto& messages = batch.messages;
  if (messages.empty()) return id;
  const std::uint32_t first_xid = m.allocate_xid();
  messages[0].message.xid = first_xid;
  for (std::size_t i = 1; i < messages.size(); ++i) messages[i].message.xid = m.allocate_xid();
  const std::size_t break_at = std::min(batch.break_at, messages.size());
  m.drop_obsolete_deletes(std::span(messages).first(break_at));
  if (m.options.order == BreakOrder::Switch || break_at == messages.size()) {
    m.send_grouped(messages);
    return id;
  }

  Waiting w;
  w.id = id;
  w.started = now;
  w.deadline = now + m.options.barrier_timeout;
  w.first_xid = first_xid;
  w.last_xid = messages.back().message.xid;
  for (std::size_t i = 0; i < break_at; ++i)
    if (std::holds_alternative<ofp::BarrierRequest>(messages[i].message.body))
      w.barriers.push_back({messages[i].datapath_id, messages[i].message.xid});
  w.deletes.assign(std::make_move_iterator(messages.begin() + static_cast<std::ptrdiff_t>(break_at)),
                   std::make_move_iterator(messages.end()));
  m.send_grouped(std::span(messages).first(break_at));
  for (std::uint64_t dp : m.failed) {  // nothing went out there: no barrier to wait for
    std::erase_if(w.barriers, [&](const Barrier& b) { return b.datapath_id == dp; });
    w.lost.push_back(dp);
    reports.push_back({Report::Kind::SwitchLost, id, dp, 0, 0, now, now, std::nullopt});
  }
  if (w.barriers.empty()) {
    m.release(w, now, reports);
  } else {
    m.waiting.push_back(std::move(w));
  }
  return id;
}

bool Delivery::on_message(TimePoint now, std::uint64_t datapath_id, const ofp::Message& message,
                          std::vector<Report>& reports) {
  if (std::holds_alternative<ofp::BarrierReply>(message.body))
    return on_barrier_reply(now, datapath_id, message.xid, reports);
  if (const auto* error = std::get_if<ofp::ErrorMsg>(&message.body))
    return on_error(now, datapath_id, message.xid, *error, reports);
  return false;
}

bool Delivery::on_barrier_reply(TimePoint now, std::uint64_t datapath_id, std::uint32_t xid,
                                std::vector<Report>& reports) {
  return impl_->settle(now, datapath_id, xid, nullptr, reports);
}

bool Delivery::on_error(TimePoint now, std::uint64_t datapath_id, std::uint32_t xid, const ofp::ErrorMsg& error,
                        std::vector<Report>& reports) {
  return impl_->settle(now, datapath_id, xid, &error, reports);
}

void Delivery::on_switch_down(TimePoint now, std::uint64_t datapath_id, std::vector<Report>& reports) {
  Impl& m = *impl_;
  bool settled = false;
  for (Waiting& w : m.waiting) {
    const auto before = w.barriers.size();
    std::erase_if(w.barriers, [&](const Barrier& b) { return b.datapath_id == datapath_id; });
    w.lost.push_back(datapath_id);
    if (w.barriers.size() != before) {
      reports.push_back({Report::Kind::SwitchLost, w.id, datapath_id, 0, 0, w.started, now, std::nullopt});
      settled = settled || w.barriers.empty();
    }
  }
  if (settled) m.release_settled(now, reports);
}

void Delivery::on_tick(TimePoint now, std::vector<Report>& reports) {
  Impl& m = *impl_;
  bool expired = false;
  for (Waiting& w : m.waiting) {
    if (w.deadline > now) continue;
    for (const Barrier& b : w.barriers)
      reports.push_back({Report::Kind::BarrierTimeout, w.id, b.datapath_id, b.xid, 0, w.started, now, std::nullopt});
    w.barriers.clear();
    expired = true;
  }
  if (expired) m.release_settled(now, reports);
}

}  // namespace vmnmob::delivery
