// The send queue: coalescing, urgent lane first, double buffering, the bound.
#include <catch2/catch.hpp>

#include "connection/detail/write_queue.hpp"

using namespace vmnmob;
using namespace vmnmob::connection;
using namespace vmnmob::connection::detail;

TEST_CASE("write queue: coalesces, puts urgent first, double-buffers, bounds the bulk lane", "[write]") {
  ofp::FlowMod flow_mod;
  auto size = ofp::encode(ofp::Message{ofp::kVersion, 1, flow_mod})->size();
  WriteQueue q(10 * size);

  for (std::uint32_t i = 1; i <= 10; ++i)
    CHECK(q.push(ofp::Message{ofp::kVersion, i, flow_mod}, WriteQueue::Lane::Bulk) ==
          WriteQueue::PushResult::Queued);
  // The 11th does not fit: refused, queue unchanged.
  CHECK(q.push(ofp::Message{ofp::kVersion, 11, flow_mod}, WriteQueue::Lane::Bulk) ==
        WriteQueue::PushResult::Full);
  CHECK(q.depth() == 10 * size);
  // Echo still gets through: its lane is separate.
  CHECK(q.push(ofp::Message{ofp::kVersion, 99, ofp::EchoReply{}}, WriteQueue::Lane::Urgent) ==
        WriteQueue::PushResult::Queued);

  REQUIRE(q.ready());
  auto batch = q.begin_write();  // one write for all eleven messages
  CHECK_FALSE(q.ready());
  REQUIRE(batch[0].size() == 8);
  CHECK(std::to_integer<int>(batch[0][1]) == 3);  // OFPT_ECHO_REPLY first
  CHECK(batch[1].size() == 10 * size);
  auto first = ofp::decode_header(batch[1].subspan(0, 8));
  REQUIRE(first);
  CHECK(first->xid == 1);

  // While the batch is in flight, the bulk lane fills again up to its limit.
  CHECK(q.push(ofp::Message{ofp::kVersion, 12, flow_mod}, WriteQueue::Lane::Bulk) ==
        WriteQueue::PushResult::Queued);
  CHECK_FALSE(q.ready());  // one write at a time
  q.end_write();
  CHECK(q.depth() == size);
  REQUIRE(q.ready());
  auto next = q.begin_write();
  CHECK(next[0].empty());
  CHECK(next[1].size() == size);
}

TEST_CASE("write queue: a HELLO_FAILED error for an old peer keeps the peer's version byte", "[write]") {
  WriteQueue q;
  ofp::ErrorMsg e;
  e.type = ofp::ErrorType::HelloFailed;
  CHECK(q.push(ofp::Message{1, 5, e}, WriteQueue::Lane::Bulk) == WriteQueue::PushResult::Queued);
  auto batch = q.begin_write();
  REQUIRE(batch[1].size() >= 12);
  CHECK(std::to_integer<int>(batch[1][0]) == 1);
  CHECK(std::to_integer<int>(batch[1][1]) == 1);  // OFPT_ERROR
}

TEST_CASE("write queue: an xid given at push time numbers the encoded message", "[write]") {
  WriteQueue q;
  ofp::Message barrier{ofp::kVersion, 0, ofp::BarrierRequest{}};
  std::size_t bytes = 0;
  CHECK(q.push(barrier, WriteQueue::Lane::Bulk, &bytes, 0xa1b2c3d4) == WriteQueue::PushResult::Queued);
  CHECK(bytes == 8);
  auto batch = q.begin_write();
  auto header = ofp::decode_header(batch[1]);
  REQUIRE(header);
  CHECK(header->xid == 0xa1b2c3d4);
  CHECK(header->type == static_cast<std::uint8_t>(ofp::MessageType::BarrierRequest));
}
