// The ARP parse sits on the PACKET_IN hot path: check that parsing allocates nothing.
// This file replaces the global allocation functions of the test_packet executable with
// counting ones (which forward to malloc/free), and counts only inside a marked window.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <new>

#include "golden_frames.hpp"
#include "test_util.hpp"
#include "vmnmob/packet/frame.hpp"

namespace {
thread_local bool counting = false;
thread_local std::size_t allocations = 0;

void* counted_alloc(std::size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}

template <class F>
std::size_t allocations_in(F&& f) {
  allocations = 0;
  counting = true;
  f();
  counting = false;
  return allocations;
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n); }
void* operator new[](std::size_t n) { return counted_alloc(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace vmnmob;
using namespace vmnmob::packet;

TEST_CASE("alloc: the counter sees allocations") {
  CHECK(allocations_in([] { ByteVector v(100); (void)v; }) == 1);
}

TEST_CASE("alloc: parsing ARP, RARP and IPv4 frames allocates nothing, nor does failing") {
  ByteVector arp = bytes_from_hex(golden::arp_request);
  ByteVector rarp = bytes_from_hex(golden::qemu_rarp_announce);
  ByteVector tcp = bytes_from_hex(golden::tcp_syn);
  ByteVector bad = arp;
  bad[18] = std::byte{8};
  bool ok = true;
  std::size_t n = allocations_in([&] {
    auto a = parse_frame(as_bytes(arp));
    auto r = parse_frame(as_bytes(rarp));
    auto t = parse_frame(as_bytes(tcp));
    auto b = parse_frame(as_bytes(bad));
    ok = a && a->is_arp_request() && r && r->is_rarp_announce() && t && t->tcp() && !b;
  });
  CHECK(ok);
  CHECK(n == 0);
}
