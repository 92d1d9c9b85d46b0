// Reads the golden OpenFlow fixtures captured from Open vSwitch (tests/fixtures/ovs/*.txt,
// written by tests/fixtures/capture-ovs.sh): one message per line, "<direction> <hex>", with
// '#' comment lines. Shared by the fixture tests, the fuzz seed generator and the benchmarks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "vmnmob/base/bytes.hpp"

namespace vmnmob::testing {

struct FixtureMessage {
  std::string direction;  // "c2s" (controller to switch) or "s2c"
  ByteVector bytes;       // one whole OpenFlow message
  std::size_t line = 0;   // 1-based line in the file, for failure messages
};

struct Fixture {
  std::string name;  // file name without ".txt", e.g. "monitor"
  std::string path;
  std::vector<FixtureMessage> messages;
};

inline std::string ovs_fixture_dir(const std::string& fixtures_root) {
  return fixtures_root + "/ovs";
}

inline Fixture load_fixture(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open fixture " + path);
  Fixture f;
  f.path = path;
  f.name = std::filesystem::path(path).stem().string();
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    auto space = line.find(' ');
    if (space == std::string::npos) throw std::runtime_error(path + ": malformed line " + std::to_string(n));
    std::string dir = line.substr(0, space);
    if (dir != "c2s" && dir != "s2c") throw std::runtime_error(path + ": bad direction on line " + std::to_string(n));
    std::string hex = line.substr(space + 1);
    ByteVector bytes = bytes_from_hex(hex);
    if (bytes.size() * 2 != hex.size()) throw std::runtime_error(path + ": bad hex on line " + std::to_string(n));
    f.messages.push_back({dir, std::move(bytes), n});
  }
  return f;
}

/// All fixtures in `dir`, sorted by name.
inline std::vector<Fixture> load_fixtures(const std::string& dir) {
  std::vector<std::string> paths;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".txt") paths.push_back(e.path().string());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<Fixture> out;
  for (const auto& p : paths) out.push_back(load_fixture(p));
  return out;
}

}  // namespace vmnmob::testing
