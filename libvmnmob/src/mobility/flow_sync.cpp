// Flow synchronisation and batch assembly (see detail/flow_sync.hpp). Each sync_* compares what
// a switch should hold with what was sent to it and emits only the difference: adds (a new
// generation where a match changes) before the exact-cookie deletes of the old generation.
#include "mobility/detail/flow_sync.hpp"

#include <algorithm>

namespace vmnmob::mobility::detail {

// ---- batch assembly ----

void BatchAssembly::begin(TimePoint now, Batch& out) {
  now_ = now;
  out_ = &out;
  adds_begin_ = out.messages.size();
  packet_outs_.clear();
  deletes_.clear();
}

void BatchAssembly::finish() {
  Batch& o = *out_;
  const std::size_t adds_end = o.messages.size();
  for (Outgoing& m : packet_outs_) o.messages.push_back(std::move(m));
  if (!deletes_.empty()) {
    // One barrier per switch that received additions, in datapath id order.
    barrier_scratch_.clear();
    for (std::size_t i = adds_begin_; i < adds_end; ++i) {
      const std::uint64_t dp = o.messages[i].datapath_id;
      if (barrier_scratch_.empty() || barrier_scratch_.back() != dp) barrier_scratch_.push_back(dp);
    }
    std::sort(barrier_scratch_.begin(), barrier_scratch_.end());
    barrier_scratch_.erase(std::unique(barrier_scratch_.begin(), barrier_scratch_.end()), barrier_scratch_.end());
    for (std::uint64_t dp : barrier_scratch_) o.messages.push_back({dp, {ofp::kVersion, 0, ofp::BarrierRequest{}}});
  }
  o.break_at = o.messages.size();
  for (Outgoing& m : deletes_) o.messages.push_back(std::move(m));
  out_ = nullptr;
}

void BatchAssembly::event(Event e) {
  e.at = now_;
  out_->events.push_back(e);
}

void BatchAssembly::add(std::uint64_t datapath_id, ofp::FlowMod flow_mod) {
  Outgoing& o = out_->messages.emplace_back();
  o.datapath_id = datapath_id;
  o.message.body.emplace<ofp::FlowMod>(std::move(flow_mod));
}

void BatchAssembly::add_message(std::uint64_t datapath_id, ofp::MessageBody body) {
  Outgoing& o = out_->messages.emplace_back();
  o.datapath_id = datapath_id;
  o.message.body = std::move(body);
}

void BatchAssembly::delete_after_barrier(std::uint64_t datapath_id, ofp::FlowMod flow_mod) {
  Outgoing& o = deletes_.emplace_back();
  o.datapath_id = datapath_id;
  o.message.body.emplace<ofp::FlowMod>(std::move(flow_mod));
}

void BatchAssembly::packet_out(std::uint64_t datapath_id, std::uint32_t port, const ArpFrame& frame) {
  ofp::PacketOut po;
  po.actions.push_back(ofp::Output{port});
  po.data = Payload(build_arp_frame(frame));
  packet_outs_.push_back({datapath_id, {ofp::kVersion, 0, std::move(po)}});
}

// ---- wanted versus installed ----

void FlowSync::emit_adds(std::uint64_t dp) {
  for (ofp::FlowMod& fm : scratch_) batch_.add(dp, std::move(fm));
  scratch_.clear();
}

void FlowSync::emit_delete(std::uint64_t dp, std::uint64_t cookie) {
  batch_.delete_after_barrier(dp, delete_by_cookie(cookie, Cookie::kExact));
}

void FlowSync::reconcile(std::uint64_t dp, SwitchState& st) {
  // OVS keeps flows across a disconnect in secure mode, so whatever of ours is on the switch may
  // be stale. Delete all of it (by the owner byte) before adding the current set.
  st.forget_installed();
  batch_.add(dp, delete_by_cookie(std::uint64_t{s_.config.cookie_owner} << 56, Cookie::kOwnerMask));
  if (st.meters)
    for (ofp::MeterMod& m : build_packet_in_meters(s_.config.switch_meters)) batch_.add_message(dp, std::move(m));
  sync_base(dp, st);
  sync_all_local(dp);
  std::vector<VmnId> peers;  // sync_remote may erase entries: not while iterating them
  peers.reserve(st.remote.size());
  for (const auto& [peer, e] : st.remote) peers.push_back(peer);
  std::sort(peers.begin(), peers.end());  // deterministic message order
  for (VmnId peer : peers) sync_remote(dp, st, s_.registry.at(peer));
}

void FlowSync::sync_base(std::uint64_t dp, SwitchState& st) {
  if (!st.connected) return;
  SwitchFlowContext ctx = s_.context(st);
  InstalledBase want{st.base_generation, st.uplink, ctx.non_vmn};
  if (st.base && *st.base == want) return;
  std::optional<std::uint64_t> stale;
  if (st.base && st.base->uplink != want.uplink) {
    // The uplink flow's match changes: a new generation, so the old one is deleted exactly.
    stale = s_.cookie(FlowKind::Base, st.base->generation, 0);
    want.generation = ++st.base_generation;
  }
  build_base_flows(ctx, want.generation, scratch_);
  emit_adds(dp);
  if (stale) emit_delete(dp, *stale);
  st.base = want;
}

namespace {
bool has_egress(const InstalledLocal& l) { return l.gateway_mac && l.uplink; }
}  // namespace

void FlowSync::sync_local(std::uint64_t dp, const Vmn& v) {
  SwitchState* found = s_.find(dp);
  if (found == nullptr || !found->connected) return;
  SwitchState& st = *found;
  auto installed = st.local.find(v.id);
  if (v.location.datapath_id != dp) {
    if (installed != st.local.end()) {
      emit_delete(dp, s_.cookie(FlowKind::Local, installed->second.params.generation, v.id));
      st.local.erase(installed);
    }
    return;
  }
  InstalledLocal want{local_params(v), st.gateway_mac, st.uplink};
  if (installed != st.local.end() && installed->second == want) return;
  build_local_flows(s_.context(st), want.params, scratch_);
  emit_adds(dp);
  if (installed != st.local.end()) {
    // Same generation: same matches, so the adds above replaced the flows in place, except
    // the egress flow when the uplink went away: that one is removed on its own.
    if (installed->second.params.generation != want.params.generation)
      emit_delete(dp, s_.cookie(FlowKind::Local, installed->second.params.generation, v.id));
    else if (has_egress(installed->second) && !has_egress(want))
      emit_delete_egress(dp, st, installed->second);
    installed->second = want;
  } else {
    st.local.emplace(v.id, want);
  }
}

void FlowSync::emit_delete_egress(std::uint64_t dp, const SwitchState& st, const InstalledLocal& l) {
  SwitchFlowContext ctx = s_.context(st);
  ctx.gateway_mac = l.gateway_mac;
  ctx.uplink_port = l.uplink;
  std::vector<ofp::FlowMod> flows;
  build_local_flows(ctx, l.params, flows);
  for (ofp::FlowMod& fm : flows) {
    if (fm.table_id != s_.config.first_table + table::kEgressSource) continue;
    fm.command = ofp::FlowModCommand::DeleteStrict;
    fm.cookie_mask = Cookie::kExact;
    fm.instructions.clear();
    batch_.delete_after_barrier(dp, std::move(fm));
  }
}

void FlowSync::sync_all_local(std::uint64_t dp) {
  for (const Vmn& v : s_.registry)
    if (v.location.datapath_id == dp) sync_local(dp, v);
}

void FlowSync::sync_remote(std::uint64_t dp, const Vmn& v) {
  if (SwitchState* st = s_.find(dp)) sync_remote(dp, *st, v);
}

void FlowSync::sync_remote(std::uint64_t dp, SwitchState& st, const Vmn& v) {
  if (!st.connected) return;
  auto entry = st.remote.find(v.id);
  if (entry == st.remote.end()) return;  // neither wanted nor installed
  RemoteEntry& e = entry->second;
  const bool wanted = v.location.datapath_id != dp && e.refs > 0;
  if (!wanted) {
    if (e.installed) {
      emit_delete(dp, s_.cookie(FlowKind::Remote, e.params.generation, v.id));
      e.installed = false;
    }
    if (e.refs == 0) st.remote.erase(entry);
    return;
  }
  RemoteFlowParams want = remote_params(v);
  if (e.installed && e.params == want) return;
  build_remote_flows(s_.context(st), want, scratch_);
  emit_adds(dp);
  if (e.installed && e.params.generation != want.generation)
    emit_delete(dp, s_.cookie(FlowKind::Remote, e.params.generation, v.id));
  e.installed = true;
  e.params = want;
}

void FlowSync::add_ref(std::uint64_t dp, VmnId peer) {
  if (SwitchState* st = s_.find(dp)) ++st->remote[peer].refs;
}

void FlowSync::drop_ref(std::uint64_t dp, VmnId peer) {
  SwitchState* st = s_.find(dp);
  if (st == nullptr) return;
  auto e = st->remote.find(peer);
  // The entry stays while its flows are installed; sync_remote removes both together.
  if (e != st->remote.end() && e->second.refs > 0) --e->second.refs;
}

void FlowSync::rebuild_refs() {
  for (auto& [dp, st] : s_.switches) {
    for (auto& [id, e] : st.remote) e.refs = 0;
    std::erase_if(st.remote, [](auto& e) { return !e.second.installed; });
  }
  for (const Vmn& v : s_.registry)
    for (VmnId p : v.correspondents) add_ref(v.location.datapath_id, p);
}

void FlowSync::forget_vmn(const Vmn& v) {
  for (auto& [dp, st] : s_.switches) {
    if (auto l = st.local.find(v.id); l != st.local.end()) {
      if (st.connected) emit_delete(dp, s_.cookie(FlowKind::Local, l->second.params.generation, v.id));
      st.local.erase(l);
    }
    if (auto r = st.remote.find(v.id); r != st.remote.end()) {
      if (st.connected && r->second.installed) emit_delete(dp, s_.cookie(FlowKind::Remote, r->second.params.generation, v.id));
      st.remote.erase(r);
    }
  }
  const std::uint64_t here = v.location.datapath_id;
  SwitchState* st = s_.find(here);
  if (st == nullptr) return;
  for (VmnId p : v.correspondents) {
    drop_ref(here, p);
    auto e = st->remote.find(p);
    if (e == st->remote.end()) continue;
    if (st->connected)
      sync_remote(here, *st, s_.registry.at(p));  // deletes them when nobody else here wants them
    else if (e->second.refs == 0 && !e->second.installed)
      st->remote.erase(e);
  }
}

bool FlowSync::restore_removed(std::uint64_t dp, const SwitchState& st, std::uint64_t cookie) {
  const VmnId id = Cookie::vmn(cookie);
  const std::uint16_t gen = Cookie::generation(cookie);
  // The cookie carries 16 bits of the generation.
  auto same = [gen](std::uint32_t generation) { return static_cast<std::uint16_t>(generation) == gen; };
  const SwitchFlowContext ctx = s_.context(st);
  switch (Cookie::kind(cookie)) {
    case FlowKind::Base:
      if (!st.base || !same(st.base->generation)) return false;
      build_base_flows(ctx, st.base->generation, scratch_);
      break;
    case FlowKind::Local: {
      auto l = st.local.find(id);
      if (l == st.local.end() || !same(l->second.params.generation)) return false;
      build_local_flows(ctx, l->second.params, scratch_);
      break;
    }
    case FlowKind::Remote: {
      auto r = st.remote.find(id);
      if (r == st.remote.end() || !r->second.installed || !same(r->second.params.generation)) return false;
      build_remote_flows(ctx, r->second.params, scratch_);
      break;
    }
    default: return false;
  }
  // Re-adding the whole group is simpler than finding the one flow, and harmless: identical
  // matches replace themselves.
  emit_adds(dp);
  return true;
}

std::vector<ofp::FlowMod> FlowSync::installed(const SwitchState& st) const {
  std::vector<ofp::FlowMod> out;
  if (!st.connected) return out;
  const SwitchFlowContext ctx = s_.context(st);
  if (st.base) {
    SwitchFlowContext c = ctx;
    c.uplink_port = st.base->uplink;
    c.non_vmn = st.base->non_vmn;
    build_base_flows(c, st.base->generation, out);
  }
  for (const auto& [id, l] : st.local) {
    SwitchFlowContext c = ctx;
    c.uplink_port = l.uplink;
    c.gateway_mac = l.gateway_mac;
    build_local_flows(c, l.params, out);
  }
  for (const auto& [id, r] : st.remote)
    if (r.installed) build_remote_flows(ctx, r.params, out);
  return out;
}

}  // namespace vmnmob::mobility::detail
