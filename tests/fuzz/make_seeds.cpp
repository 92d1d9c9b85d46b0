// Writes the fuzz seed corpus: every message of the OVS fixtures and every sample message
// (decode target), each fixture conversation as one stream per direction behind a 5-byte
// prefix of chunk sizes (framer target), and whole controller conversations (controller target).
// Usage: vmnmob_fuzz_seeds OUT_DIR   (creates OUT_DIR/decode, OUT_DIR/framer, OUT_DIR/controller)
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "controller_seeds.hpp"
#include "fakes/sample_messages.hpp"
#include "lib/fixtures.hpp"
#include "vmnmob/ofp/codec.hpp"

namespace {
void write(const std::filesystem::path& p, const vmnmob::ByteVector& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));  // NOLINT
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
  }
  std::printf("wrote %zu decode seeds and framer streams to %s\n", n, out.c_str());
  return 0;
}
