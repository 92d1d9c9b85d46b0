// What saving the state costs per change, with N VMNs already registered: the mobility engine
// and the state store in one process, as vmnctl-ofc drives them (a new VMN: the ARP that
// detects it, then its record; a migration: the RARP, then its record, fdatasync'd). Two ways
// of saving:
//   journal  vmnmob/state FileStateStore: one record per change, a snapshot in the background
//            when the journal outgrows the last one (the taking of it, on this thread, counted)
//   rewrite  what vmnctl-ofc did before: the whole snapshot written to a temporary file and
//            renamed over the state file on every change (no fsync)
//
//   vmnmob_bench_state --vmns N [--samples K] [--mode journal|rewrite] [--dir DIR]
// Prints one JSON object: per-operation microseconds (median, p99, max, mean) for new VMNs
// and migrations, and the snapshots taken.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "vmnmob/mobility/engine.hpp"
#include "vmnmob/state/file_state_store.hpp"

using namespace vmnmob;
using namespace vmnmob::mobility;

namespace {

constexpr std::uint64_t kSites = 16;
using Wall = std::chrono::steady_clock;

MacAddress vmn_mac(std::uint32_t i) { return MacAddress::from_u64(std::uint64_t{0x525400000000} + i); }
Ipv4Address hoa(std::uint32_t i) { return Ipv4Address{(10u << 24) + 2u + i}; }

MobilityConfig config() {
  MobilityConfig c;
  c.home_prefix = Ipv4Prefix{Ipv4Address{10u << 24}, 8};
  c.home_gateway = Ipv4Address{(10u << 24) + 1};
  c.hold_time = std::chrono::seconds(30);
  // Load, not a deployment: many VMNs per port, one VMN moving back and forth.
  c.max_vmns_per_port = 0;
  c.move_freeze.moves = 0;
  for (std::uint64_t dp = 1; dp <= kSites; ++dp) {
    SiteConfig s;
    s.datapath_id = dp;
    s.uplink_port = 1;
    s.gateway_ip = Ipv4Address{(172u << 24) + static_cast<std::uint32_t>(dp << 16) + 1};
    s.gateway_mac = MacAddress::from_u64(0x0a0000000000 + dp);
    s.pool_prefixes.push_back(Ipv4Prefix{Ipv4Address{(172u << 24) + static_cast<std::uint32_t>(dp << 16)}, 16});
    c.sites.push_back(s);
  }
  return c;
}

std::vector<ofp::Port> ports() {
  std::vector<ofp::Port> p(2);
  p[0].port_no = 1;
  p[0].name = "eth0";
  p[1].port_no = 2;
  p[1].name = "vnet0";
  return p;
}

ArpFrame request(MacAddress m, Ipv4Address spa, Ipv4Address tpa) {
  return {MacAddress::broadcast(), m, kEtherTypeArp, arp_op::kRequest, m, spa, MacAddress::zero(), tpa};
}

ArpFrame announce(MacAddress m) {
  return {MacAddress::broadcast(), m, kEtherTypeRarp, arp_op::kReverseRequest, m, Ipv4Address{}, m, Ipv4Address{}};
}

/// The old vmnctl-ofc save: temporary file + rename, no fsync.
void rewrite(const std::string& path, const nlohmann::json& state) {
  const std::string tmp = path + ".tmp";
  const std::string text = state.dump();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) || ::close(fd) != 0 ||
      std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::perror("rewrite");
    std::exit(1);
  }
}

nlohmann::json summary(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double u : us) sum += u;
  auto at = [&](double q) { return us[std::min(us.size() - 1, static_cast<std::size_t>(q * static_cast<double>(us.size())))]; };
  return {{"median_us", at(0.5)}, {"p99_us", at(0.99)}, {"max_us", us.back()}, {"mean_us", sum / static_cast<double>(us.size())}};
}

}  // namespace

int main(int argc, char** argv) {
  std::uint32_t vmns = 10000, samples = 2000;
  std::string mode = "journal", dir = "/var/tmp";
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--vmns") vmns = static_cast<std::uint32_t>(std::strtoul(next().c_str(), nullptr, 10));
    else if (a == "--samples") samples = static_cast<std::uint32_t>(std::strtoul(next().c_str(), nullptr, 10));
    else if (a == "--mode") mode = next();
    else if (a == "--dir") dir = next();
    else {
      std::fprintf(stderr, "usage: vmnmob_bench_state --vmns N [--samples K] [--mode journal|rewrite] [--dir DIR]\n");
      return 2;
    }
  }
  if (mode != "journal" && mode != "rewrite") return 2;
  char name[256];
  std::snprintf(name, sizeof name, "%s/vmnmob-state-bench-XXXXXX", dir.c_str());
  if (::mkdtemp(name) == nullptr) return 1;
  const std::string path = std::string(name) + "/state.json";

  TimePoint now = TimePoint{} + std::chrono::hours(1);
  MobilityEngine engine(config());
  Batch batch;
  for (std::uint64_t dp = 1; dp <= kSites; ++dp) engine.on_switch_up(now, dp, ports(), batch);
  const Ipv4Address gateway{(10u << 24) + 1};
  for (std::uint32_t i = 0; i < vmns; ++i) {
    batch.clear();
    engine.on_arp(now, 1 + i % kSites, 2, request(vmn_mac(i), hoa(i), gateway), batch);
  }
  state::FileStateStore store(path);
  if (!store.load()) return 1;
  // What a compaction costs this thread (taking the snapshot; the writing is the store's).
  const auto taken = Wall::now();
  nlohmann::json first = engine.snapshot(now);
  const double take_us = std::chrono::duration<double, std::micro>(Wall::now() - taken).count();
  if (mode == "journal") (void)store.write_snapshot(std::move(first), true);
  else rewrite(path, first);

  std::uint64_t snapshots = 0;
  std::vector<double> snapshot_take_us;
  auto save = [&](bool move) {
    if (mode == "rewrite") return rewrite(path, engine.snapshot(now));
    if (!store.append(engine.changes_record(batch.changes, now), move)) std::exit(1);
    if (store.snapshot_due()) {
      const auto t = Wall::now();
      (void)store.write_snapshot(engine.snapshot(now), false);
      snapshot_take_us.push_back(std::chrono::duration<double, std::micro>(Wall::now() - t).count());
      ++snapshots;
    }
  };

  std::vector<double> new_us, move_us;
  for (std::uint32_t k = 0; k < samples; ++k) {
    const std::uint32_t i = vmns + k;
    now += std::chrono::milliseconds(1);
    const auto t = Wall::now();
    batch.clear();
    engine.on_arp(now, 1 + i % kSites, 2, request(vmn_mac(i), hoa(i), gateway), batch);
    save(false);
    new_us.push_back(std::chrono::duration<double, std::micro>(Wall::now() - t).count());
  }
  // VMN 0 (on switch 1) moves to switch 2 and back, each time with a new MoA.
  for (std::uint32_t k = 0; k < samples; ++k) {
    now += std::chrono::milliseconds(1);
    const auto t = Wall::now();
    batch.clear();
    engine.on_arp(now, k % 2 == 0 ? 2 : 1, 2, announce(vmn_mac(0)), batch);
    save(true);
    move_us.push_back(std::chrono::duration<double, std::micro>(Wall::now() - t).count());
  }
  nlohmann::json out = {{"mode", mode}, {"vmns", vmns}, {"samples", samples}, {"new_vmn", summary(new_us)},
                        {"migration", summary(move_us)}, {"snapshots", snapshots},
                        {"snapshot_take_us", take_us}};
  if (!snapshot_take_us.empty()) out["compactions_take"] = summary(snapshot_take_us);
  std::printf("%s\n", out.dump().c_str());
  std::filesystem::remove_all(name);
  return 0;
}
