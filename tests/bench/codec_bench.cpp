// Codec microbenchmarks (Google Benchmark): the two hot paths of the mobility controller.
//  - decode a PACKET_IN carrying an ARP request (every VMN detection and announce starts so);
//    the bytes are the ones Open vSwitch 3.1 sent (tests/fixtures/ovs/monitor.txt).
//  - encode a FLOW_MOD with 4 match fields and 3 set-field actions plus output (one HoA<->MoA
//    translation flow), and the encode+decode pair.
// Results and how they were produced: docs/BENCHMARKS.md.
#include <benchmark/benchmark.h>

#include <stdexcept>

#include "lib/fixtures.hpp"
#include "vmnmob/ofp/codec.hpp"

using namespace vmnmob;
using namespace vmnmob::ofp;

namespace {

ByteVector ovs_packet_in() {
  auto f = vmnmob::testing::load_fixture(vmnmob::testing::ovs_fixture_dir(VMNMOB_FIXTURES_DIR) + "/monitor.txt");
  for (const auto& m : f.messages) {
    if (m.direction != "s2c" || m.bytes.size() < 2 || m.bytes[1] != std::byte{10}) continue;
    auto d = decode(as_bytes(m.bytes));
    if (d && std::get<PacketIn>(d->body).in_port() == 1) return m.bytes;
  }
  throw std::runtime_error("no packet-in from port 1 in monitor.txt");
}

Message translation_flow_mod() {
  FlowMod fm;
  fm.cookie = 0x0100000000000001u;
  fm.priority = 1000;
  fm.idle_timeout = 300;
  fm.flags = flow_mod_flags::kSendFlowRem;
  fm.match.add(OxmField::InPort, 1)
      .add(OxmField::EthType, 0x0800)
      .add(OxmField::Ipv4Src, *Ipv4Address::parse("10.0.0.1"))
      .add(OxmField::Ipv4Dst, *Ipv4Address::parse("10.0.0.2"));
  fm.instructions = {ApplyActions{{set_field(OxmField::Ipv4Src, *Ipv4Address::parse("192.168.1.10")),
                                   set_field(OxmField::Ipv4Dst, *Ipv4Address::parse("192.168.2.20")),
                                   set_field(OxmField::EthDst, *MacAddress::parse("00:00:5e:00:01:01")),
                                   Output{2, 0}}}};
  return Message{kVersion, 0x1234, fm};
}

void BM_DecodePacketInArp(benchmark::State& state) {
  const ByteVector wire = ovs_packet_in();
  for (auto _ : state) {
    auto m = decode(as_bytes(wire));
    benchmark::DoNotOptimize(m);
    if (!m) state.SkipWithError("decode failed");
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(wire.size()));
}
BENCHMARK(BM_DecodePacketInArp);

void BM_EncodeFlowModTranslation(benchmark::State& state) {
  const Message msg = translation_flow_mod();
  ByteVector out;
  out.reserve(256);
  for (auto _ : state) {
    out.clear();
    auto s = encode(msg, out);
    benchmark::DoNotOptimize(out.data());
    if (!s) state.SkipWithError("encode failed");
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_msg"] = static_cast<double>(out.size());
}
BENCHMARK(BM_EncodeFlowModTranslation);

void BM_EncodeDecodeFlowModTranslation(benchmark::State& state) {
  const Message msg = translation_flow_mod();
  ByteVector out;
  out.reserve(256);
  for (auto _ : state) {
    out.clear();
    auto s = encode(msg, out);
    auto m = decode(as_bytes(out));
    benchmark::DoNotOptimize(m);
    if (!s || !m) state.SkipWithError("round trip failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeDecodeFlowModTranslation);

/// The controller's hot path end to end in the codec: a PACKET_IN arrives and a translation
/// FLOW_MOD goes out (the "decode + encode of that pair").
void BM_DecodePacketInEncodeFlowMod(benchmark::State& state) {
  const ByteVector wire = ovs_packet_in();
  const Message msg = translation_flow_mod();
  ByteVector out;
  out.reserve(256);
  for (auto _ : state) {
    auto m = decode(as_bytes(wire));
    benchmark::DoNotOptimize(m);
    out.clear();
    auto s = encode(msg, out);
    benchmark::DoNotOptimize(out.data());
    if (!m || !s) state.SkipWithError("pair failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecodePacketInEncodeFlowMod);

}  // namespace

BENCHMARK_MAIN();
