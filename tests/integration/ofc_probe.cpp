// ofc_probe: a tiny controller on the connection manager, for the OVS integration tests.
//
//   ofc_probe --listen PORT           passive mode on 127.0.0.1:PORT (0 = any free port)
//   ofc_probe --connect HOST:PORT     active mode (the bridge listens with ptcp:PORT)
//
// It prints one line per event on stdout ("listening 6653", "up dpid=0x... ports=a,b",
// "down dpid=0x... reason=...", "port-status ...", "packet-in ...") and reads commands on
// stdin, one per line, printing one result line each:
//   flow DPID COOKIE          FLOW_MOD add (priority 100, ip,in_port=1 -> output:2) + barrier
//   flows DPID N              N FLOW_MODs (tcp_dst 1..N, cookie 0x5000+i) + barrier
//   barrier DPID              BARRIER round trip
//   flowstats DPID            OFPMP_FLOW for all tables: parts and flow count
//   quit
// DPID is hexadecimal without 0x. Exits 0 on quit or end of input.
#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include <cstdio>
#include <cstring>
#include <future>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "vmnmob/connection/switch_manager.hpp"

using namespace vmnmob;
using namespace vmnmob::connection;
using namespace std::chrono_literals;

namespace {

std::mutex g_out;
void say(const std::string& line) {
  std::lock_guard lock(g_out);
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string hex(std::uint64_t v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

class Printer : public SwitchObserver {
 public:
  void on_switch_up(const SwitchUp& e) override {
    std::string names;
    for (const auto& p : e.ports) names += (names.empty() ? "" : ",") + p.name;
    say("up dpid=" + hex(e.datapath_id) + " peer=" + e.sw.peer() + " ports=" + names);
  }
  void on_switch_down(const SwitchDown& e) override {
    say("down dpid=" + hex(e.datapath_id) + " reason=" + std::string(to_string(e.reason)) +
        " detail=" + e.detail);
  }
  void on_port_status(const PortStatusEvent& e) override {
    static const char* reasons[] = {"add", "delete", "modify"};
    auto r = static_cast<unsigned>(e.port_status.reason);
    say("port-status dpid=" + hex(e.sw.datapath_id()) + " reason=" + (r < 3 ? reasons[r] : "?") +
        " port=" + std::to_string(e.port_status.desc.port_no) + " name=" + e.port_status.desc.name);
  }
  void on_packet_in(const PacketInEvent& e) override {
    say("packet-in dpid=" + hex(e.sw.datapath_id()) + " in_port=" +
        std::to_string(e.packet_in.in_port()) + " bytes=" + std::to_string(e.packet_in.data.size()));
  }
  void on_error(const SwitchErrorEvent& e) override {
    say("error dpid=" + hex(e.sw.datapath_id()) + " type=" + ofp::error_type_name(e.error.type) +
        " code=" + ofp::error_code_name(e.error.type, e.error.code));
  }
  void on_handshake_failed(const HandshakeFailed& e) override {
    say("handshake-failed peer=" + e.peer + " reason=" + std::string(to_string(e.reason)));
  }
};

ReplyResult wait(std::shared_ptr<Switch> sw, ofp::MessageBody body) {
  auto promise = std::make_shared<std::promise<ReplyResult>>();
  auto future = promise->get_future();
  sw->request(std::move(body), 5s, [promise](ReplyResult r) { promise->set_value(std::move(r)); });
  return future.get();
}

ofp::FlowMod make_flow(std::uint64_t cookie, std::uint16_t tcp_dst) {
  ofp::FlowMod mod;
  mod.cookie = cookie;
  mod.priority = 100;
  mod.match.add(ofp::OxmField::InPort, 1);
  mod.match.add(ofp::OxmField::EthType, 0x0800);
  if (tcp_dst != 0) {
    mod.match.add(ofp::OxmField::IpProto, 6);
    mod.match.add(ofp::OxmField::TcpDst, tcp_dst);
  }
  mod.instructions.push_back(ofp::ApplyActions{{ofp::Output{2}}});
  return mod;
}

void command(SwitchManager& manager, const std::string& line) {
  std::istringstream in(line);
  std::string verb, dpid_text;
  in >> verb >> dpid_text;
  DatapathId dpid = std::strtoull(dpid_text.c_str(), nullptr, 16);
  auto sw = manager.find(dpid);
  if (!sw) return say(verb + "-failed not connected");

  if (verb == "flow" || verb == "flows") {
    std::uint64_t n = 1, cookie = 0;
    if (verb == "flow") {
      std::string c;
      in >> c;
      cookie = std::strtoull(c.c_str(), nullptr, 16);
    } else {
      in >> n;
    }
    for (std::uint64_t i = 0; i < n; ++i) {
      auto mod = verb == "flow" ? make_flow(cookie, 0)
                                : make_flow(0x5000 + i, static_cast<std::uint16_t>(i + 1));
      if (auto r = sw->send(mod); !r) return say(verb + "-failed " + std::string(to_string(r.error())));
    }
    auto r = wait(sw, ofp::BarrierRequest{});
    return say(r ? verb + "-ok" : verb + "-failed " + r.error().to_string());
  }
  if (verb == "barrier") {
    auto r = wait(sw, ofp::BarrierRequest{});
    return say(r ? "barrier-ok xid=" + std::to_string(r->front().xid)
                 : "barrier-failed " + r.error().to_string());
  }
  if (verb == "flowstats") {
    auto r = wait(sw, ofp::MultipartRequest{0, ofp::FlowStatsRequest{}});
    if (!r) return say("flowstats-failed " + r.error().to_string());
    auto merged = merge_multipart(*r);
    const auto* flows = std::get_if<ofp::FlowStatsReply>(&merged);
    return say("flowstats parts=" + std::to_string(r->size()) +
               " flows=" + std::to_string(flows ? flows->flows.size() : 0));
  }
  say("unknown-command " + verb);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fputs("usage: ofc_probe --listen PORT | --connect HOST:PORT\n", stderr);
    return 2;
  }
  boost::asio::io_context io;
  ManagerOptions options;
  options.backoff = BackoffConfig{100ms, 1s};
  SwitchManager manager(io, options);
  Printer printer;
  manager.add_observer(printer);

  std::string mode = argv[1], arg = argv[2];
  if (mode == "--listen") {
    auto port = manager.listen("127.0.0.1", static_cast<std::uint16_t>(std::stoi(arg)));
    if (!port) {
      say("listen-failed " + port.error());
      return 1;
    }
    say("listening " + std::to_string(*port));
  } else if (mode == "--connect") {
    auto colon = arg.rfind(':');
    manager.connect(arg.substr(0, colon), static_cast<std::uint16_t>(std::stoi(arg.substr(colon + 1))));
    say("connecting " + arg);
  } else {
    return 2;
  }

  auto work = boost::asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line == "quit") break;
    if (!line.empty()) command(manager, line);
  }
  manager.stop();
  std::this_thread::sleep_for(100ms);
  work.reset();
  io.stop();
  runner.join();
  return 0;
}
