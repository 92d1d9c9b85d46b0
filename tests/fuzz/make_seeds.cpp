// Writes the fuzz seed corpus: every message of the OVS fixtures and every sample message
// (decode target), each fixture conversation as one stream per direction behind a 5-byte
// prefix of chunk sizes (framer target), and whole controller conversations (controller target).
// State files (snapshot target): the state a controller conversation leaves, and that state
// broken the ways issue 17 found accepted (pools swapped between sites, null, a HoA outside the
// home prefix or at its network address, port 0, times of 1e17 / -2^62 / 2^63-1 ms). Configurations
// (config target): a sound one and each bad one issue 17 found passing.
// Usage: vmnmob_fuzz_seeds OUT_DIR   (creates OUT_DIR/<target> for each target)
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <fstream>
#include <string>

#include "controller_seeds.hpp"
#include "fakes/sample_messages.hpp"
#include "lib/fixtures.hpp"
#include "vmnmob/ofp/codec.hpp"

#include <nlohmann/json.hpp>

namespace {
void write(const std::filesystem::path& p, const vmnmob::ByteVector& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));  // NOLINT
}
void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

const vmnmob::TimePoint kSnapshotTime = vmnmob::TimePoint{} + std::chrono::hours(2);

/// The state a conversation left, and one broken copy per issue 17 finding.
void write_snapshot_seeds(const std::filesystem::path& dir, const nlohmann::json& good) {
  using nlohmann::json;
  write_text(dir / "state", good.dump(1));
  write_text(dir / "null", "null");
  write_text(dir / "array", "[]");
  auto broken = [&](const std::string& name, auto change) {
    json j = good;
    change(j);
    write_text(dir / name, j.dump(1));
  };
  broken("pools-swapped", [](json& j) { std::swap(j["switches"][0]["pool"], j["switches"][1]["pool"]); });
  broken("hoa-outside-home", [](json& j) { j["vmns"][0]["home_address"] = "192.168.7.7"; });
  broken("hoa-network-address", [](json& j) { j["vmns"][0]["home_address"] = "10.0.0.0"; });
  broken("hoa-broadcast-address", [](json& j) { j["vmns"][0]["home_address"] = "10.0.0.255"; });
  broken("port-0", [](json& j) { j["vmns"][0]["port"] = 0; });
  broken("port-above-max", [](json& j) { j["vmns"][0]["port"] = 0xffffff01u; });
  broken("uplink-0", [](json& j) { j["switches"][0]["uplink_port"] = 0; });
  broken("moa-other-site", [](json& j) { j["vmns"][0]["mobile_address"] = "172.16.2.10"; });
  broken("dpid-twice", [](json& j) { j["switches"][2]["datapath_id"] = 1; });
  broken("age-1e17", [](json& j) { j["vmns"][0]["detected_age_ms"] = 100'000'000'000'000'000; });
  broken("age-1e17-float", [](json& j) { j["vmns"][0]["last_seen_age_ms"] = 1e17; });
  broken("age-minus-2-62", [](json& j) { j["vmns"][0]["moved_age_ms"] = -(std::int64_t{1} << 62); });
  broken("frozen-int64-max", [](json& j) { j["vmns"][0]["frozen_remaining_ms"] = std::numeric_limits<std::int64_t>::max(); });
  broken("moves-int64-min", [](json& j) {
    j["vmns"][0]["recent_moves_age_ms"] = json::array({std::numeric_limits<std::int64_t>::min()});
  });
  broken("held-2-63", [](json& j) {
    j["switches"][0]["pool"]["held"] = json::array({{{"address", "172.16.0.17"}, {"remaining_ms", 9223372036854775807u}}});
  });
  broken("free-range-huge", [](json& j) { j["switches"][0]["pool"]["free"].push_back("0.0.0.0-255.255.255.255"); });
}

/// A sound vmnctl-ofc configuration, and each bad one issue 17 found passing --check-config.
void write_config_seeds(const std::filesystem::path& dir) {
  const std::string good = R"({ "openflow": {"listen": "127.0.0.1:6653"},
  "home": {"prefix": "10.10.0.0/24", "gateway": "10.10.0.254"},
  "sites": [
    {"name": "site-a", "dpid": "0xa", "uplink": "up-a", "gateway": "192.168.1.1", "mobile_pool": ["192.168.1.100-192.168.1.199", "192.168.1.224/28"], "vm_ports": ["vnet"]},
    {"name": "site-b", "dpid": "11", "uplink": 7, "gateway": "192.168.2.1", "gateway_mac": "02:00:00:00:02:01", "mobile_pool": ["192.168.2.0/25"]} ],
  "mobility": {"moa_hold_s": 30, "vmn_idle_s": 600, "move_freeze": {"moves": 3, "window_s": 60}},
  "limits": {"switch_meters": true},
  "log": {"level": "debug"} })";
  write_text(dir / "good", good);
  auto broken = [&](const std::string& name, const std::string& from, const std::string& to) {
    std::string text = good;
    text.replace(text.find(from), from.size(), to);
    write_text(dir / name, text);
  };
  broken("pool-straddles-home", R"("192.168.2.0/25")", R"("10.9.0.0-10.11.0.0")");
  broken("pool-inside-home", R"("192.168.2.0/25")", R"("10.10.0.1-10.10.0.9")");
  broken("home-0-0-0-0-0", "10.10.0.0/24", "0.0.0.0/0");
  broken("dpid-0", R"("0xa")", R"("0")");
  broken("dpid-repeated", R"("11")", R"("0xa")");
  broken("uplink-70000", R"("up-a")", R"("70000")");
  broken("uplink-above-max", R"("uplink": 7)", R"("uplink": 4294967041)");
  broken("gateway-network-address", "10.10.0.254", "10.10.0.0");
  broken("pool-3-2-billion", R"("192.168.2.0/25")", R"("16.0.0.0-206.188.31.255")");
  broken("pool-3-7-billion", R"("192.168.2.0/25")",
         R"("1.0.0.0-10.9.255.255", "11.0.0.0-126.255.255.255", "128.0.0.0-191.255.255.255", "193.0.0.0-223.255.255.255")");
  broken("pools-overlap", R"("192.168.2.0/25")", R"("192.168.1.150-192.168.1.160")");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  const std::filesystem::path out(argv[1]);
  std::filesystem::create_directories(out / "decode");
  std::filesystem::create_directories(out / "framer");
  std::filesystem::create_directories(out / "controller");
  std::filesystem::create_directories(out / "snapshot");
  std::filesystem::create_directories(out / "config");
  std::size_t n = 0;
  for (const auto& f : vmnmob::testing::load_fixtures(vmnmob::testing::ovs_fixture_dir(VMNMOB_FIXTURES_DIR))) {
    vmnmob::ByteVector streams[2];
    for (auto& s : streams) s = vmnmob::bytes_from_hex("00 01 40 07 ff");  // chunk sizes
    for (const auto& m : f.messages) {
      write(out / "decode" / (f.name + "-" + std::to_string(m.line)), m.bytes);
      auto& s = streams[m.direction == "c2s" ? 0 : 1];
      s.insert(s.end(), m.bytes.begin(), m.bytes.end());
      ++n;
    }
    write(out / "framer" / (f.name + "-c2s"), streams[0]);
    write(out / "framer" / (f.name + "-s2c"), streams[1]);
  }
  std::size_t i = 0;
  std::size_t n_snapshots = 0;
  for (const auto& sample : vmnmob::testing::sample_messages()) {
    auto wire = vmnmob::ofp::encode(sample.message);
    if (!wire) continue;
    std::string name = sample.name;  // e.g. "FLOW_MOD delete by cookie": a file name without spaces
    for (char& c : name)
      if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
    write(out / "decode" / ("sample-" + std::to_string(i++) + "-" + name), *wire);
    ++n;
  }
  for (const auto& [name, bytes] : vmnmob::fuzz::controller_seeds()) {
    // A seed that no longer drives the engine (a handshake the session refuses, say) would
    // quietly shrink what the fuzzer explores: each must bring all switches up and a VMN in.
    vmnmob::fuzz::Pipeline pipeline;
    const bool ok = pipeline.run(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));  // NOLINT
    if (!ok || !pipeline.up(0) || !pipeline.up(1) || !pipeline.up(2) || pipeline.engine().registry().size() == 0) {
      std::fprintf(stderr, "controller seed %s: %s (switches up %d%d%d, %zu VMNs)\n", name.c_str(),
                   ok ? "does not reach the engine" : pipeline.why().c_str(), pipeline.up(0), pipeline.up(1),
                   pipeline.up(2), pipeline.engine().registry().size());
      return 1;
    }
    write(out / "controller" / name, bytes);
    ++n;
    if (n_snapshots++ == 0) write_snapshot_seeds(out / "snapshot", pipeline.engine().snapshot(kSnapshotTime));
  }
  write_config_seeds(out / "config");
  std::printf("wrote %zu decode seeds and framer streams to %s\n", n, out.c_str());
  return 0;
}
