// vmnbench's pure logic: answer verification, the question mix, percentiles and the plan.
#include <catch2/catch.hpp>

#include "plan.hpp"
#include "verify.hpp"
#include "vmnmob/mobility/arp_frame.hpp"

using namespace vmnbench;
namespace op = vmnmob::mobility::arp_op;

namespace {

Question gateway_question() {
  Question q;
  q.kind = QuestionKind::ArpGateway;
  q.asker_mac = NetworkPlan::vm_mac(7);
  q.asker_ip = NetworkPlan::home_address(7);
  q.asker_port = 9;
  q.asked_ip = NetworkPlan::home_gateway();
  q.expected_mac = NetworkPlan::virtual_gateway_mac();
  return q;
}

ArpFrame correct_reply(const Question& q) {
  ArpFrame f;
  f.eth_dst = q.asker_mac;
  f.eth_src = q.expected_mac;
  f.op = op::kReply;
  f.sender_mac = q.expected_mac;
  f.sender_ip = q.asked_ip;
  f.target_mac = q.asker_mac;
  f.target_ip = q.asker_ip;
  return f;
}

}  // namespace

TEST_CASE("a correct ARP reply passes and every wrong field is caught") {
  const Question q = gateway_question();
  const ArpFrame good = correct_reply(q);
  CHECK(check_answer(q, 9, good).has_value());
  CHECK_FALSE(check_answer(q, 8, good).has_value());  // wrong in_port

  ArpFrame f = good;
  f.eth_dst = NetworkPlan::vm_mac(8);
  CHECK_FALSE(check_answer(q, 9, f).has_value());
  f = good;
  f.target_ip = NetworkPlan::home_address(8);
  CHECK_FALSE(check_answer(q, 9, f).has_value());
  f = good;
  f.sender_ip = NetworkPlan::home_address(3);
  CHECK_FALSE(check_answer(q, 9, f).has_value());
  f = good;
  f.sender_mac = NetworkPlan::vm_mac(3);
  CHECK_FALSE(check_answer(q, 9, f).has_value());
  f = good;
  f.op = op::kRequest;
  CHECK_FALSE(check_answer(q, 9, f).has_value());
}

TEST_CASE("a RARP is answered by the MoA announce out the uplink from the new pool") {
  NetworkPlan plan{4, 10};
  Question q;
  q.kind = QuestionKind::Rarp;
  q.asker_mac = NetworkPlan::vm_mac(2);
  q.uplink_port = kUplinkPort;
  q.site_gateway = plan.site_gateway(1);
  q.pool_first = plan.pool_first(1);
  q.pool_last = plan.pool_last(1);
  ArpFrame f;
  f.eth_dst = MacAddress::broadcast();
  f.eth_src = f.sender_mac = q.asker_mac;
  f.op = op::kRequest;
  f.sender_ip = plan.pool_first(1);
  f.target_ip = q.site_gateway;
  CHECK(answered_mac(f, kUplinkPort, kUplinkPort) == q.asker_mac);
  CHECK(check_answer(q, kUplinkPort, f).has_value());
  CHECK_FALSE(check_answer(q, 5, f).has_value());
  ArpFrame other_pool = f;
  other_pool.sender_ip = plan.pool_first(2);
  CHECK_FALSE(check_answer(q, kUplinkPort, other_pool).has_value());
  ArpFrame other_gateway = f;
  other_gateway.target_ip = plan.site_gateway(0);
  CHECK_FALSE(check_answer(q, kUplinkPort, other_gateway).has_value());
  // A probe from 0.0.0.0 answers nobody; neither does a request out a VM port.
  ArpFrame probe = f;
  probe.sender_ip = Ipv4Address{};
  CHECK_FALSE(answered_mac(probe, kUplinkPort, kUplinkPort).has_value());
  CHECK_FALSE(answered_mac(f, 5, kUplinkPort).has_value());
}

TEST_CASE("mix parsing and its exact interleaving") {
  auto mix = parse_mix("arp=80,peer=15,rarp=5");
  REQUIRE(mix);
  int counts[3] = {0, 0, 0};
  for (std::uint64_t n = 0; n < 1000; ++n) ++counts[static_cast<int>(mix->pick(n))];
  CHECK(counts[0] == 800);
  CHECK(counts[1] == 150);
  CHECK(counts[2] == 50);
  // Interleaved: no more than a few RARPs among any 20 consecutive questions.
  int in_first_20 = 0;
  for (std::uint64_t n = 0; n < 20; ++n) in_first_20 += mix->pick(n) == QuestionKind::Rarp;
  CHECK(in_first_20 <= 2);
  CHECK_FALSE(parse_mix("arp=90"));
  CHECK_FALSE(parse_mix("arp=90,bogus=10"));
  CHECK_FALSE(parse_mix("arp=x"));
  CHECK_FALSE(parse_mix("arp=101"));
}

TEST_CASE("nearest-rank percentiles and median") {
  std::vector<double> v;
  for (int i = 1; i <= 1000; ++i) v.push_back(i);
  CHECK(percentile(v, 50) == 500);
  CHECK(percentile(v, 99) == 990);
  CHECK(percentile(v, 99.9) == 999);
  CHECK(percentile(v, 100) == 1000);
  CHECK(percentile({}, 50) == 0);
  CHECK(median({3, 1, 2}) == 2);
  CHECK(median({4, 1, 3, 2}) == 2.5);
}

TEST_CASE("plan: VM addresses round-trip, pools are disjoint and the config matches") {
  NetworkPlan plan{16, 100};
  REQUIRE(plan.check());
  CHECK(plan.vm_of_mac(NetworkPlan::vm_mac(1599)) == 1599u);
  CHECK_FALSE(plan.vm_of_mac(NetworkPlan::vm_mac(1600)).has_value());
  CHECK(plan.home_switch(17) == 1);
  CHECK(plan.home_port(17) == kFirstVmPort + 1);
  for (std::size_t s = 0; s + 1 < plan.switches; ++s) CHECK(plan.pool_last(s) < plan.site_gateway(s + 1));
  CHECK(NetworkPlan::home_prefix().contains(NetworkPlan::home_address(1599)));
  const auto cfg = controller_config(plan, "127.0.0.1:6653");
  REQUIRE(cfg["sites"].size() == 16);
  CHECK(cfg["sites"][3]["dpid"] == "0x0000000000000004");
  CHECK(cfg["sites"][3]["gateway_mac"] == NetworkPlan::site_gateway_mac(3).to_string());
  CHECK(cfg["sites"][3]["uplink"] == kUplinkPort);
  CHECK(NetworkPlan{1000, 1000}.check());
  CHECK_FALSE(NetworkPlan{0, 1}.check());
}
