#include "bench.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include "emulated_switch.hpp"
#include "vmnmob/mobility/arp_frame.hpp"
#include "vmnmob/packet/build.hpp"

namespace vmnbench {

namespace ofp = vmnmob::ofp;
using vmnmob::ByteSpan;
using vmnmob::ByteVector;
using namespace std::chrono_literals;

NetworkPlan plan_for(const Options& o) {
  NetworkPlan plan{o.switches, o.vms_per_switch};
  if (o.mode == Mode::Migration) {
    // VM 0 migrates; its correspondents are the first VMs striped onto switches 0..S-1 (see
    // Bench::migration). A move needs a second switch even when S is 1.
    plan.switches = std::max<std::size_t>(o.spread, 2);
    const std::size_t spread = std::max<std::size_t>(o.spread, 1);
    plan.vms_per_switch = (o.correspondents + spread) / spread + 2;
  } else if (o.mode == Mode::Scale) {
    plan.vms_per_switch = (o.vmns + o.switches - 1) / std::max<std::size_t>(o.switches, 1);
  }
  return plan;
}

namespace {

double us_between(TimePoint a, TimePoint b) { return std::chrono::duration<double, std::micro>(b - a).count(); }
double ms_between(TimePoint a, TimePoint b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

/// VmRSS of a process in bytes, 0 if unknown.
std::uint64_t resident_bytes(int pid) {
  if (pid <= 0) return 0;
  std::ifstream status(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  return 0;
}

/// utime + stime of a process in seconds (0 if unknown).
double cpu_seconds(int pid) {
  if (pid <= 0) return 0;
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i == 14 || i == 15) ticks += std::stod(field);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

ofp::Port make_port(std::uint32_t number, std::uint64_t datapath_id) {
  ofp::Port p;
  p.port_no = number;
  p.hw_addr = vmnmob::MacAddress::from_u64(0x0e0000000000 | (datapath_id << 16) | number);
  p.name = number == kUplinkPort ? "uplink" : fmt::format("vnet{}", number);
  p.state = 4;                  // OFPPS_LIVE
  p.curr = p.advertised = p.supported = 0x840;  // 10 Gb full duplex, copper
  p.curr_speed = p.max_speed = 10'000'000;
  return p;
}

nlohmann::json summary(std::vector<double> v) {
  if (v.empty()) return {{"n", 0}};
  std::sort(v.begin(), v.end());
  return {{"n", v.size()}, {"min", v.front()}, {"p50", percentile(v, 50)}, {"p99", percentile(v, 99)},
          {"p999", percentile(v, 99.9)}, {"max", v.back()}};
}

/// One emulated VM: where it is and its outstanding question (at most one).
struct EmulatedVm {
  std::uint32_t sw = 0;
  std::uint32_t port = 0;
  bool known = false;    // the controller answered one of its questions, so it is registered
  bool pending = false;
  std::uint32_t asked_on = 0;  // switch the question went to
  std::uint32_t vacated_sw = 0, vacated_port = 0;  // a migration's old port, reusable once answered
  TimePoint sent_at{};
  Question question;
};

struct Ask {
  std::uint32_t vm;
  QuestionKind kind;
  std::uint32_t target = 0;  // ArpPeer: the VM asked for
};

/// The benchmark's view of one switch's load.
struct SwitchLoad {
  std::deque<std::uint32_t> idle;  // VMs behind this switch without an outstanding question
  std::deque<std::pair<std::uint32_t, TimePoint>> in_flight;  // in send order, for timeouts and any-packet-out
  std::deque<Ask> script;
  std::vector<std::uint32_t> free_ports;
  std::uint32_t next_port = 0;
  std::size_t outstanding = 0;
  bool polling_out = false;  // EPOLLOUT armed
  // per migration trial
  std::uint64_t trial_flow_mods = 0;
  TimePoint trial_last_flow_mod{};
  bool trial_local_flow_seen = false;
};

class Bench final : public SwitchListener {
 public:
  Bench(const Options& o, NetworkPlan plan) : o_(o), plan_(plan) {}
  ~Bench() override {
    if (epoll_ >= 0) ::close(epoll_);
  }

  RunResult run();

  // ---- SwitchListener ----
  void on_up(EmulatedSwitch& sw, TimePoint now) override {
    ++up_count_;
    last_up_ = now;
    fill(sw.index());
  }
  void on_packet_out(EmulatedSwitch& sw, const ofp::PacketOut* po, TimePoint now) override;
  void on_flow_mod(EmulatedSwitch& sw, ByteSpan wire, TimePoint now) override;
  void on_closed(EmulatedSwitch& sw, const std::string& why) override {
    if (!expect_close_) {
      ++closed_;
      if (closed_ <= 3) fmt::print(stderr, "vmnbench: dp {}: {}\n", sw.datapath_id(), why);
    }
    if (sw.up()) --up_count_;
  }
  void wants_flush(EmulatedSwitch& sw) override { dirty_.push_back(sw.index()); }

 private:
  // ---- event loop ----
  bool setup();
  bool connect(std::size_t s);
  void poll(int timeout_ms);
  /// Runs the loop until done() or the timeout; returns done().
  bool run_until(const std::function<bool()>& done, std::chrono::duration<double> timeout);
  bool wait_all_up(std::chrono::duration<double> timeout);
  /// Until no FLOW_MOD arrived for quiet_ms (or the timeout). Returns whether it got quiet.
  bool wait_quiet(std::chrono::duration<double> timeout);
  void flush_dirty();
  void tick(TimePoint now);

  // ---- questions ----
  void fill(std::size_t s);
  void ask(std::size_t s, const Ask& a);
  std::optional<Ask> generate(std::size_t s);
  void complete(std::uint32_t vm, TimePoint now, bool correct);
  bool run_script(const char* phase, nlohmann::json& out);
  /// Scripts one ARP for the home gateway from each of the first n VMs.
  void script_registration(std::size_t n);
  std::size_t outstanding() const;

  // ---- modes ----
  void load(nlohmann::json& out);  // throughput and latency
  void migration(nlohmann::json& out);
  void scale(nlohmann::json& out);
  void reconnect(nlohmann::json& out);
  void counters_json(nlohmann::json& out) const;

  const Options& o_;
  NetworkPlan plan_;
  int epoll_ = -1;
  sockaddr_in controller_{};
  std::vector<std::unique_ptr<EmulatedSwitch>> switches_;
  std::vector<SwitchLoad> loads_;
  std::vector<EmulatedVm> vms_;
  std::vector<std::uint32_t> known_;  // registered VMs, for ARP-for-a-peer targets
  std::vector<std::size_t> dirty_;
  std::mt19937_64 rng_{42};
  ByteVector frame_;
  TimePoint now_ = Clock::now();
  TimePoint last_echo_ = now_;

  std::size_t up_count_ = 0;
  std::size_t closed_ = 0;
  bool expect_close_ = false;
  TimePoint last_up_{};
  TimePoint last_flow_mod_{};
  bool generating_ = false;
  bool trial_active_ = false;
  std::uint64_t question_counter_ = 0;

  // results
  std::uint64_t asked_ = 0, correct_ = 0, wrong_ = 0, timeouts_ = 0, unmatched_ = 0, announces_ = 0,
                other_packet_outs_ = 0, fallbacks_ = 0;
  std::uint64_t asked_by_kind_[3] = {0, 0, 0};
  std::vector<double> latencies_us_;
  bool record_latency_ = false;
};

bool Bench::setup() {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  controller_.sin_family = AF_INET;
  controller_.sin_port = htons(o_.port);
  if (::inet_pton(AF_INET, o_.host.c_str(), &controller_.sin_addr) != 1) {
    fmt::print(stderr, "vmnbench: --controller: not an IPv4 address: {}\n", o_.host);
    return false;
  }
  // 1000 switches need 1000 descriptors.
  rlimit nofile{};
  ::getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &nofile);

  vms_.resize(plan_.vm_count());
  loads_.resize(plan_.switches);
  std::vector<std::vector<ofp::Port>> ports(plan_.switches);
  for (std::size_t s = 0; s < plan_.switches; ++s) {
    ports[s].push_back(make_port(kUplinkPort, NetworkPlan::datapath_id(s)));
    loads_[s].next_port = kFirstVmPort;
  }
  for (std::size_t v = 0; v < vms_.size(); ++v) {
    const std::size_t s = plan_.home_switch(v);
    vms_[v].sw = static_cast<std::uint32_t>(s);
    vms_[v].port = plan_.home_port(v);
    ports[s].push_back(make_port(vms_[v].port, NetworkPlan::datapath_id(s)));
    loads_[s].idle.push_back(static_cast<std::uint32_t>(v));
    loads_[s].next_port = std::max(loads_[s].next_port, vms_[v].port + 1);
  }
  for (std::size_t s = 0; s < plan_.switches; ++s) {
    switches_.push_back(std::make_unique<EmulatedSwitch>(s, NetworkPlan::datapath_id(s), std::move(ports[s]), *this));
    if (o_.packet_in_no_match) switches_.back()->set_packet_in_reason(ofp::PacketInReason::NoMatch);
    switches_.back()->set_decode_packet_outs(!o_.expect_any_packet_out);
  }
  return true;
}

bool Bench::connect(std::size_t s) {
  EmulatedSwitch& sw = *switches_[s];
  if (auto ok = sw.connect(controller_); !ok) {
    fmt::print(stderr, "vmnbench: dp {}: {}\n", sw.datapath_id(), ok.error());
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.u64 = s;
  loads_[s].polling_out = true;
  return ::epoll_ctl(epoll_, EPOLL_CTL_ADD, sw.fd(), &ev) == 0;
}

void Bench::poll(int timeout_ms) {
  epoll_event events[256];
  const int n = ::epoll_wait(epoll_, events, 256, timeout_ms);
  now_ = Clock::now();
  for (int i = 0; i < n; ++i) {
    const std::size_t s = events[i].data.u64;
    EmulatedSwitch& sw = *switches_[s];
    if (events[i].events & EPOLLOUT) {
      const bool more = sw.on_writable();
      if (!more && sw.connected() && loads_[s].polling_out) {
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = s;
        ::epoll_ctl(epoll_, EPOLL_CTL_MOD, sw.fd(), &ev);
        loads_[s].polling_out = false;
      }
    }
    if (sw.connected() && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) sw.on_readable(now_);
  }
  flush_dirty();
  tick(now_);
  flush_dirty();
}

void Bench::flush_dirty() {
  for (std::size_t s : dirty_) {
    EmulatedSwitch& sw = *switches_[s];
    if (!sw.connected() || !sw.has_output()) continue;
    if (sw.flush() && !loads_[s].polling_out) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLOUT;
      ev.data.u64 = s;
      ::epoll_ctl(epoll_, EPOLL_CTL_MOD, sw.fd(), &ev);
      loads_[s].polling_out = true;
    }
  }
  dirty_.clear();
}

bool Bench::run_until(const std::function<bool()>& done, std::chrono::duration<double> timeout) {
  const TimePoint deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(timeout);
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    poll(5);
  }
  return true;
}

bool Bench::wait_all_up(std::chrono::duration<double> timeout) {
  return run_until([&] { return up_count_ == switches_.size(); }, timeout);
}

bool Bench::wait_quiet(std::chrono::duration<double> timeout) {
  const auto quiet = std::chrono::duration<double, std::milli>(o_.quiet_ms);
  const TimePoint from = Clock::now();
  return run_until([&] { return now_ - std::max(from, last_flow_mod_) >= quiet; }, timeout);
}

void Bench::tick(TimePoint now) {
  if (up_count_ < switches_.size())
    for (auto& sw : switches_) sw->check_up(now, 500ms);
  // Questions older than the timeout are slow, not wrong: the VM may ask again.
  const auto timeout = std::chrono::duration<double, std::milli>(o_.timeout_ms);
  for (std::size_t s = 0; s < loads_.size(); ++s) {
    auto& fifo = loads_[s].in_flight;
    bool freed = false;
    while (!fifo.empty()) {
      const auto [v, sent] = fifo.front();
      const EmulatedVm& vm = vms_[v];
      if (!vm.pending || vm.sent_at != sent || vm.asked_on != s) {
        fifo.pop_front();
        continue;
      }
      if (now - sent < timeout) break;
      fifo.pop_front();
      ++timeouts_;
      complete(v, now, false);  // neither correct nor wrong: slow
      freed = true;
    }
    if (freed) fill(s);
  }
  if (now - last_echo_ >= 1s) {  // liveness from our side too (spec 6.3.2)
    last_echo_ = now;
    for (auto& sw : switches_)
      if (sw->up()) sw->send_echo_request();
  }
}

// ---- questions ----

std::size_t Bench::outstanding() const {
  std::size_t n = 0;
  for (const auto& l : loads_) n += l.outstanding + l.script.size();
  return n;
}

void Bench::fill(std::size_t s) {
  SwitchLoad& load = loads_[s];
  if (!switches_[s]->up()) return;
  while (load.outstanding < o_.window) {
    if (!load.script.empty()) {
      const Ask a = load.script.front();
      if (vms_[a.vm].pending) break;
      load.script.pop_front();
      ask(s, a);
      continue;
    }
    if (!generating_) break;
    auto a = generate(s);
    if (!a) break;
    ask(s, *a);
  }
}

std::optional<Ask> Bench::generate(std::size_t s) {
  SwitchLoad& load = loads_[s];
  QuestionKind kind = o_.mix.pick(question_counter_++);
  if (kind == QuestionKind::Rarp && !o_.expect_any_packet_out) {
    // A known, idle VM from another switch moves here.
    for (std::size_t k = 1; k < loads_.size() && k <= 4; ++k) {
      auto& other = loads_[(s + k) % loads_.size()].idle;
      if (other.empty() || !vms_[other.front()].known) continue;
      const std::uint32_t v = other.front();
      other.pop_front();
      return Ask{v, QuestionKind::Rarp};
    }
    ++fallbacks_;
    kind = QuestionKind::ArpGateway;
  }
  if (load.idle.empty()) return std::nullopt;
  const std::uint32_t v = load.idle.front();
  load.idle.pop_front();
  if (kind == QuestionKind::ArpPeer && !o_.expect_any_packet_out) {
    if (known_.size() >= 2) {
      std::uint32_t target = known_[rng_() % known_.size()];
      if (target == v) target = known_[(rng_() % (known_.size() - 1) + 1) % known_.size()];
      if (target != v) return Ask{v, QuestionKind::ArpPeer, target};
    }
    ++fallbacks_;
  }
  return Ask{v, QuestionKind::ArpGateway};
}

void Bench::ask(std::size_t s, const Ask& a) {
  EmulatedSwitch& sw = *switches_[s];
  EmulatedVm& vm = vms_[a.vm];
  SwitchLoad& load = loads_[s];
  Question& q = vm.question;
  q = Question{};
  q.kind = a.kind;
  q.asker_mac = NetworkPlan::vm_mac(a.vm);
  q.asker_ip = NetworkPlan::home_address(a.vm);
  frame_.clear();
  vm.vacated_port = 0;
  if (a.kind == QuestionKind::Rarp) {
    // A hypervisor's new tap for the arriving VM: a port that hosts no live VMN, announced
    // before the RARP. The old tap disappears from the old switch.
    const std::uint32_t old_sw = vm.sw, old_port = vm.port;
    std::uint32_t port;
    if (!load.free_ports.empty()) {
      port = load.free_ports.back();
      load.free_ports.pop_back();
    } else {
      port = load.next_port++;
    }
    EmulatedSwitch& old = *switches_[old_sw];
    if (old.up()) old.send_port_status(ofp::PortReason::Delete, make_port(old_port, old.datapath_id()));
    sw.send_port_status(ofp::PortReason::Add, make_port(port, sw.datapath_id()));
    vm.vacated_sw = old_sw;
    vm.vacated_port = old_port;
    vm.sw = static_cast<std::uint32_t>(s);
    vm.port = port;
    q.uplink_port = kUplinkPort;
    q.site_gateway = plan_.site_gateway(s);
    q.pool_first = plan_.pool_first(s);
    q.pool_last = plan_.pool_last(s);
    vmnmob::packet::build_rarp_announce(frame_, q.asker_mac);
  } else {
    q.asked_ip = a.kind == QuestionKind::ArpPeer ? NetworkPlan::home_address(a.target) : NetworkPlan::home_gateway();
    q.expected_mac = a.kind == QuestionKind::ArpPeer ? NetworkPlan::vm_mac(a.target) : NetworkPlan::virtual_gateway_mac();
    vmnmob::packet::build_arp_request(frame_, {q.asker_mac, q.asker_ip}, q.asked_ip);
  }
  q.asker_port = vm.port;
  vm.pending = true;
  vm.asked_on = static_cast<std::uint32_t>(s);
  vm.sent_at = now_;
  ++load.outstanding;
  load.in_flight.emplace_back(a.vm, now_);
  ++asked_;
  ++asked_by_kind_[static_cast<int>(a.kind)];
  sw.send_packet_in(vm.port, frame_);
}

void Bench::complete(std::uint32_t v, TimePoint now, bool correct) {
  EmulatedVm& vm = vms_[v];
  vm.pending = false;
  SwitchLoad& load = loads_[vm.asked_on];
  --load.outstanding;
  if (correct) {
    ++correct_;
    if (record_latency_) latencies_us_.push_back(us_between(vm.sent_at, now));
    if (!vm.known && !o_.expect_any_packet_out) known_.push_back(v);
    vm.known = true;
  }
  loads_[vm.sw].idle.push_back(v);
  if (vm.vacated_port != 0) {
    loads_[vm.vacated_sw].free_ports.push_back(vm.vacated_port);
    vm.vacated_port = 0;
  }
  fill(vm.asked_on);
}

void Bench::on_packet_out(EmulatedSwitch& sw, const ofp::PacketOut* po, TimePoint now) {
  const std::size_t s = sw.index();
  if (o_.expect_any_packet_out) {
    auto& fifo = loads_[s].in_flight;
    while (!fifo.empty()) {
      const auto [v, sent] = fifo.front();
      fifo.pop_front();
      const EmulatedVm& vm = vms_[v];
      if (vm.pending && vm.sent_at == sent && vm.asked_on == s) return complete(v, now, true);
    }
    ++unmatched_;
    return;
  }
  if (!po) return;
  std::uint32_t out_port = 0;
  for (const auto& action : po->actions)
    if (const auto* output = std::get_if<ofp::Output>(&action)) {
      out_port = output->port;
      break;
    }
  const auto frame = vmnmob::mobility::parse_arp_frame(po->data.span());
  const auto mac = frame ? answered_mac(*frame, out_port, kUplinkPort) : std::nullopt;
  if (!mac) {
    ++other_packet_outs_;
    return;
  }
  const bool announce = frame->op == vmnmob::mobility::arp_op::kRequest;
  const auto v = plan_.vm_of_mac(*mac);
  if (!v || !vms_[*v].pending || vms_[*v].asked_on != s) {
    if (announce) ++announces_;  // the MoA announce that follows a first detection
    else ++unmatched_;           // an answer after its timeout, or to nobody
    return;
  }
  EmulatedVm& vm = vms_[*v];
  if (announce && vm.question.kind != QuestionKind::Rarp) {
    ++announces_;
    return;
  }
  auto verdict = check_answer(vm.question, out_port, *frame);
  if (!verdict) {
    ++wrong_;
    if (wrong_ <= 5)
      fmt::print(stderr, "vmnbench: wrong answer on dp {} to {} {}: {}\n", sw.datapath_id(), to_string(vm.question.kind),
                 vm.question.asker_mac.to_string(), verdict.error());
    complete(static_cast<std::uint32_t>(*v), now, false);
    return;
  }
  complete(static_cast<std::uint32_t>(*v), now, true);
}

void Bench::on_flow_mod(EmulatedSwitch& sw, ByteSpan wire, TimePoint now) {
  last_flow_mod_ = now;
  if (!trial_active_) return;
  SwitchLoad& load = loads_[sw.index()];
  ++load.trial_flow_mods;
  load.trial_last_flow_mod = now;
  // The migrating VM's egress-by-source flow (T+3: in_port = its new port, ipv4_src = HoA)
  // must appear on its new switch: the flow-mods went to the right datapath.
  const EmulatedVm& x = vms_[0];
  if (sw.index() != x.sw || load.trial_local_flow_seen) return;
  auto msg = ofp::decode(wire);
  if (!msg) return;
  const auto& fm = std::get<ofp::FlowMod>(msg->body);
  if (fm.command != ofp::FlowModCommand::Add) return;
  if (fm.match.get_uint(ofp::OxmField::InPort) == x.port &&
      fm.match.get_uint(ofp::OxmField::Ipv4Src) == NetworkPlan::home_address(0).value)
    load.trial_local_flow_seen = true;
}

void Bench::script_registration(std::size_t n) {
  for (auto& l : loads_) l.idle.clear();
  for (std::size_t v = 0; v < vms_.size(); ++v) {
    auto& l = loads_[vms_[v].sw];
    if (v < n) l.script.push_back({static_cast<std::uint32_t>(v), QuestionKind::ArpGateway});
    else l.idle.push_back(static_cast<std::uint32_t>(v));
  }
}

bool Bench::run_script(const char* phase, nlohmann::json& out) {
  const TimePoint start = Clock::now();
  const std::uint64_t wrong_before = wrong_, timeouts_before = timeouts_, asked_before = asked_;
  for (std::size_t s = 0; s < loads_.size(); ++s) fill(s);
  flush_dirty();
  const bool done = run_until([&] { return outstanding() == 0; }, std::chrono::seconds(120));
  const double ms = ms_between(start, Clock::now());
  const std::uint64_t n = asked_ - asked_before;
  out[phase] = {{"questions", n}, {"ms", ms}, {"per_s", ms > 0 ? static_cast<double>(n) / ms * 1000 : 0},
                {"wrong", wrong_ - wrong_before}, {"timeouts", timeouts_ - timeouts_before}, {"complete", done}};
  if (!o_.json)
    fmt::print("{}: {} questions in {:.1f} ms ({:.0f}/s), {} wrong, {} timeouts{}\n", phase, n, ms, static_cast<double>(n) / ms * 1000,
               wrong_ - wrong_before, timeouts_ - timeouts_before, done ? "" : " (incomplete)");
  return done;
}

// ---- modes ----

void Bench::load(nlohmann::json& out) {
  if (!o_.expect_any_packet_out) {
    // Register every VM first (its first ARP makes the controller install flows), so the
    // measured seconds see the steady state: answers to known VMs plus the chosen migrations.
    script_registration(vms_.size());
    run_script("registration", out);
    wait_quiet(5s);
  }
  const std::uint64_t correct0 = correct_, wrong0 = wrong_, timeouts0 = timeouts_, asked0 = asked_;
  std::fill(std::begin(asked_by_kind_), std::end(asked_by_kind_), 0);
  const int pid = o_.controller_pid;
  latencies_us_.clear();
  const TimePoint start = Clock::now();
  const auto warmup = std::chrono::duration<double>(o_.warmup_s);
  const auto total = std::chrono::duration<double>(o_.warmup_s + o_.duration_s);
  generating_ = true;
  for (std::size_t s = 0; s < loads_.size(); ++s) fill(s);
  flush_dirty();
  // One sample per whole second after the warmup: correct answers in that second.
  std::vector<double> samples;
  double ctl_cpu_w = 0, own_cpu_w = 0;
  TimePoint measured_from = start, second = start;
  std::uint64_t correct_w = 0, at_second = 0;
  while (now_ - start < total && up_count_ == switches_.size()) {
    poll(1);
    if (!record_latency_ && now_ - start >= warmup) {
      record_latency_ = true;
      ctl_cpu_w = cpu_seconds(pid);
      own_cpu_w = own_cpu_seconds();
      measured_from = second = now_;
      correct_w = at_second = correct_;
    }
    if (record_latency_ && now_ - second >= 1s) {
      samples.push_back(static_cast<double>(correct_ - at_second) / std::chrono::duration<double>(now_ - second).count());
      second = now_;
      at_second = correct_;
    }
  }
  const double measured_s = std::chrono::duration<double>(now_ - measured_from).count();
  const double ctl_cpu = cpu_seconds(pid) - ctl_cpu_w, own_cpu = own_cpu_seconds() - own_cpu_w;
  const std::uint64_t correct_measured = correct_ - correct_w;
  generating_ = false;
  record_latency_ = false;
  run_until([&] { return outstanding() == 0; }, std::chrono::duration<double, std::milli>(o_.timeout_ms * 2));
  // A run shorter than one whole second after the warmup has no sample: use its mean.
  const double mean = measured_s > 0 ? static_cast<double>(correct_measured) / measured_s : 0;
  const double med = samples.empty() ? mean : median(samples);
  out["answers_per_s"] = {{"median", med},
                          {"min", samples.empty() ? 0 : *std::min_element(samples.begin(), samples.end())},
                          {"max", samples.empty() ? 0 : *std::max_element(samples.begin(), samples.end())},
                          {"mean", mean},
                          {"samples", samples}};
  out["questions"] = asked_ - asked0;
  out["by_kind"] = {{"arp", asked_by_kind_[0]}, {"peer", asked_by_kind_[1]}, {"rarp", asked_by_kind_[2]}};
  out["correct"] = correct_ - correct0;
  out["wrong"] = wrong_ - wrong0;
  out["timeouts"] = timeouts_ - timeouts0;
  out["fallbacks"] = fallbacks_;
  out["latency_us"] = summary(latencies_us_);
  out["cpu"] = {{"vmnbench_pct", measured_s > 0 ? own_cpu / measured_s * 100 : 0},
                {"controller_pct", pid > 0 && measured_s > 0 ? nlohmann::json(ctl_cpu / measured_s * 100) : nlohmann::json(nullptr)}};
  if (!o_.json) {
    const auto& l = out["latency_us"];
    fmt::print("answers/s: median {:.0f} (min {:.0f}, max {:.0f}) over {} one-second samples\n", med,
               out["answers_per_s"]["min"].get<double>(), out["answers_per_s"]["max"].get<double>(), samples.size());
    if (l.value("n", 0) > 0)
      fmt::print("round trip us: p50 {:.1f}  p99 {:.1f}  p999 {:.1f}  max {:.1f} ({} answers)\n", l["p50"].get<double>(),
                 l["p99"].get<double>(), l["p999"].get<double>(), l["max"].get<double>(), l["n"].get<std::size_t>());
    fmt::print("questions {} (arp {}, peer {}, rarp {}), correct {}, wrong {}, timeouts {}\n", asked_ - asked0,
               asked_by_kind_[0], asked_by_kind_[1], asked_by_kind_[2], correct_ - correct0, wrong_ - wrong0,
               timeouts_ - timeouts0);
    fmt::print("cpu: vmnbench {:.0f}%{}\n", out["cpu"]["vmnbench_pct"].get<double>(),
               pid > 0 ? fmt::format(", controller {:.0f}%", out["cpu"]["controller_pct"].get<double>()) : "");
  }
}

void Bench::migration(nlohmann::json& out) {
  // VM 0 (X) migrates; correspondents are the first C VMs on switches 0..S-1.
  std::vector<std::uint32_t> correspondents;
  for (std::uint32_t v = 1; v < vms_.size() && correspondents.size() < o_.correspondents; ++v)
    if (plan_.home_switch(v) < o_.spread) correspondents.push_back(v);
  auto take = [&](std::uint32_t v) {
    auto& idle = loads_[vms_[v].sw].idle;
    idle.erase(std::find(idle.begin(), idle.end(), v));
  };
  take(0);
  loads_[vms_[0].sw].script.push_back({0, QuestionKind::ArpGateway});
  for (auto c : correspondents) {
    take(c);
    loads_[vms_[c].sw].script.push_back({c, QuestionKind::ArpGateway});
  }
  run_script("registration", out);
  // Each correspondent asks for X: the controller links the pair (remote flows on both sides).
  for (auto c : correspondents) {
    take(c);
    loads_[vms_[c].sw].script.push_back({c, QuestionKind::ArpPeer, 0});
  }
  run_script("linking", out);
  wait_quiet(10s);

  std::vector<double> reaction_us, flow_mods;
  std::uint64_t missing = 0, incomplete = 0;
  std::size_t affected_total = 0;
  for (std::size_t t = 0; t < o_.trials; ++t) {
    EmulatedVm& x = vms_[0];
    const std::size_t from = x.sw, to = (x.sw + 1) % switches_.size();
    std::vector<bool> affected(switches_.size(), false);
    affected[from] = affected[to] = true;
    for (auto c : correspondents) affected[vms_[c].sw] = true;
    for (auto& l : loads_) {
      l.trial_flow_mods = 0;
      l.trial_local_flow_seen = false;
    }
    take(0);
    trial_active_ = true;
    now_ = Clock::now();
    ask(to, Ask{0, QuestionKind::Rarp});
    const TimePoint t0 = Clock::now();  // the RARP leaves with this flush
    flush_dirty();
    const auto quiet = std::chrono::duration<double, std::milli>(o_.quiet_ms);
    const bool done = run_until([&] { return !x.pending && now_ - std::max(t0, last_flow_mod_) >= quiet; }, 10s);
    trial_active_ = false;
    TimePoint last = t0;
    std::uint64_t n = 0;
    std::size_t affected_n = 0;
    bool all_seen = true;
    for (std::size_t s = 0; s < switches_.size(); ++s) {
      n += loads_[s].trial_flow_mods;
      if (loads_[s].trial_flow_mods > 0) last = std::max(last, loads_[s].trial_last_flow_mod);
      if (!affected[s]) continue;
      ++affected_n;
      if (loads_[s].trial_flow_mods == 0) all_seen = false;
    }
    if (!loads_[to].trial_local_flow_seen) all_seen = false;
    if (!done) ++incomplete;
    if (!all_seen) ++missing;
    affected_total = affected_n;
    reaction_us.push_back(us_between(t0, last));
    flow_mods.push_back(static_cast<double>(n));
  }
  out["correspondents"] = correspondents.size();
  out["spread"] = o_.spread;
  out["affected_switches"] = affected_total;
  out["trials"] = o_.trials;
  out["reaction_us"] = summary(reaction_us);
  out["reaction_us"]["median"] = median(reaction_us);
  out["flow_mods_per_migration"] = median(flow_mods);
  out["trials_missing_flow_mods"] = missing;
  out["trials_incomplete"] = incomplete;
  out["last_flow_mod_rule"] = fmt::format("quiescence: last FLOW_MOD on any switch before {} ms without one", o_.quiet_ms);
  out["wrong"] = wrong_;
  out["timeouts"] = timeouts_;
  if (!o_.json)
    fmt::print("migration with {} correspondents over {} switches ({} affected): reaction median {:.0f} us "
               "(min {:.0f}, max {:.0f}), {} flow-mods each; {} trials missing flow-mods, {} incomplete\n",
               correspondents.size(), o_.spread, affected_total, median(reaction_us),
               out["reaction_us"]["min"].get<double>(), out["reaction_us"]["max"].get<double>(), median(flow_mods),
               missing, incomplete);
}

void Bench::scale(nlohmann::json& out) {
  const int pid = o_.controller_pid;
  const std::uint64_t rss0 = resident_bytes(pid);
  const TimePoint start = Clock::now();
  for (std::size_t s = 0; s < switches_.size(); ++s) connect(s);
  const bool up = wait_all_up(60s);
  const double up_ms = ms_between(start, last_up_);
  wait_quiet(30s);
  const double programmed_ms = ms_between(start, std::max(last_up_, last_flow_mod_));
  const std::uint64_t rss1 = resident_bytes(pid);
  out["switches_up"] = up_count_;
  out["all_up_ms"] = up ? nlohmann::json(up_ms) : nlohmann::json(nullptr);
  out["all_programmed_ms"] = programmed_ms;
  if (!o_.json)
    fmt::print("{} switches: all up in {:.1f} ms, base flows done at {:.1f} ms\n", up_count_, up_ms, programmed_ms);
  if (!up) return;
  script_registration(std::min(vms_.size(), o_.vmns));
  run_script("registration", out);
  wait_quiet(30s);
  const std::uint64_t rss2 = resident_bytes(pid);
  const std::size_t n = std::min(vms_.size(), o_.vmns);
  out["vmns"] = n;
  if (pid > 0) {
    out["rss_bytes"] = {{"before", rss0}, {"switches_up", rss1}, {"vmns_registered", rss2}};
    out["bytes_per_switch"] = static_cast<double>(rss1 - std::min(rss0, rss1)) / static_cast<double>(switches_.size());
    out["bytes_per_vmn"] = static_cast<double>(rss2 - std::min(rss1, rss2)) / static_cast<double>(n);
    if (!o_.json)
      fmt::print("controller RSS: {:.1f} MiB before, {:.1f} MiB with switches, {:.1f} MiB with {} VMNs: "
                 "{:.0f} bytes/switch, {:.0f} bytes/VMN\n",
                 static_cast<double>(rss0) / 1048576.0, static_cast<double>(rss1) / 1048576.0,
                 static_cast<double>(rss2) / 1048576.0, n, out["bytes_per_switch"].get<double>(),
                 out["bytes_per_vmn"].get<double>());
  }
}

void Bench::reconnect(nlohmann::json& out) {
  script_registration(vms_.size());
  run_script("registration", out);
  wait_quiet(30s);
  std::vector<double> up_ms, programmed_ms, flow_mods;
  for (std::size_t t = 0; t < o_.trials; ++t) {
    EmulatedSwitch& sw = *switches_[0];
    expect_close_ = true;
    sw.close();
    --up_count_;
    run_until([] { return false; }, 200ms);  // the controller sees the disconnect
    expect_close_ = false;
    const std::uint64_t before = sw.counters().flow_mods;
    const TimePoint start = Clock::now();
    connect(0);
    const bool up = wait_all_up(30s);
    const TimePoint upped = last_up_;
    // The controller may compute for a while before its first FLOW_MOD (30000 of them for
    // 10000 VMNs), so quiescence counts only once the flow-mods have started.
    run_until([&] { return sw.counters().flow_mods > before; }, 10s);
    wait_quiet(60s);
    if (!up) break;
    up_ms.push_back(ms_between(start, upped));
    programmed_ms.push_back(ms_between(start, std::max(upped, last_flow_mod_)));
    flow_mods.push_back(static_cast<double>(sw.counters().flow_mods - before));
  }
  out["vmns_behind_switch"] = plan_.vms_per_switch;
  out["up_ms"] = summary(up_ms);
  out["reprogram_ms"] = summary(programmed_ms);
  out["reprogram_ms"]["median"] = median(programmed_ms);
  out["flow_mods"] = median(flow_mods);
  out["per_trial"] = {{"reprogram_ms", programmed_ms}, {"flow_mods", flow_mods}};
  out["last_flow_mod_rule"] = fmt::format("quiescence: last FLOW_MOD before {} ms without one", o_.quiet_ms);
  if (!o_.json)
    fmt::print("reconnect with {} VMNs behind the switch: re-programmed in {:.1f} ms median ({} flow-mods)\n",
               plan_.vms_per_switch, median(programmed_ms), median(flow_mods));
}

void Bench::counters_json(nlohmann::json& out) const {
  nlohmann::json messages = nlohmann::json::object();
  for (const auto& field : kSwitchCounterFields) {
    std::uint64_t total = 0;
    for (const auto& sw : switches_) total += sw->counters().*field.member;
    messages[field.name] = total;
  }
  out["messages"] = std::move(messages);
  out["packet_outs"] = {{"announces", announces_}, {"unmatched", unmatched_}, {"other", other_packet_outs_}};
  std::vector<std::uint64_t> per_switch;
  for (const auto& sw : switches_) per_switch.push_back(sw->counters().flow_mods);
  if (per_switch.size() <= 32) out["flow_mods_per_switch"] = per_switch;
}

RunResult Bench::run() {
  RunResult r;
  auto& out = r.json;
  static constexpr const char* kModes[] = {"throughput", "latency", "migration", "scale", "reconnect"};
  out["mode"] = kModes[static_cast<int>(o_.mode)];
  out["target"] = o_.target;
  out["controller"] = fmt::format("{}:{}", o_.host, o_.port);
  out["switches"] = plan_.switches;
  out["vms_per_switch"] = plan_.vms_per_switch;
  out["window"] = o_.window;
  out["mix"] = o_.mix.to_string();
  out["verification"] = o_.expect_any_packet_out
                            ? "any PACKET_OUT answers the oldest question (baseline; answers not checked)"
                            : "ARP replies and MoA announces checked field by field";
  if (!setup()) return r;
  if (!o_.json) {
    fmt::print("vmnbench {} against {} ({}:{}): {} switches x {} VMs, window {}, mix {}\n", out["mode"].get<std::string>(),
               o_.target, o_.host, o_.port, plan_.switches, plan_.vms_per_switch, o_.window, o_.mix.to_string());
    if (o_.expect_any_packet_out)
      fmt::print("NOTE: --expect any-packet-out: answers are counted, not verified (a baseline target)\n");
  }
  if (o_.mode != Mode::Scale) {
    for (std::size_t s = 0; s < switches_.size(); ++s)
      if (!connect(s)) return r;
    const TimePoint start = Clock::now();
    if (!wait_all_up(30s)) {
      fmt::print(stderr, "vmnbench: only {} of {} switches came up\n", up_count_, switches_.size());
      out["error"] = fmt::format("only {} of {} switches came up", up_count_, switches_.size());
      counters_json(out);
      return r;
    }
    out["all_up_ms"] = ms_between(start, last_up_);
    wait_quiet(10s);
  }
  switch (o_.mode) {
    case Mode::Throughput:
    case Mode::Latency: load(out); break;
    case Mode::Migration: migration(out); break;
    case Mode::Scale: scale(out); break;
    case Mode::Reconnect: reconnect(out); break;
  }
  wait_quiet(2s);  // let the last migrations' deletes arrive before the switches disconnect
  counters_json(out);
  out["wrong_total"] = wrong_;
  out["timeouts_total"] = timeouts_;
  out["disconnects"] = closed_;
  r.ok = wrong_ == 0 && closed_ == 0 && up_count_ == switches_.size();
  if (!o_.json)
    fmt::print("{}: {} wrong answers, {} timeouts, {} unexpected disconnects\n", r.ok ? "OK" : "FAILED", wrong_,
               timeouts_, closed_);
  return r;
}

}  // namespace

RunResult run_bench(const Options& o) {
  const NetworkPlan plan = plan_for(o);
  if (auto ok = plan.check(); !ok) {
    RunResult r;
    r.json["error"] = ok.error();
    fmt::print(stderr, "vmnbench: {}\n", ok.error());
    return r;
  }
  Bench bench(o, plan);
  return bench.run();
}

}  // namespace vmnbench
