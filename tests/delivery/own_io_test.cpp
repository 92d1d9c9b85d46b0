// examples/own_io: the engine and the delivery with an I/O loop of their own (POSIX sockets,
// poll), driven over loopback by the shared fake switch.
#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "fakes/migration_on_wire.hpp"
#include "own_io/own_io_controller.hpp"

TEST_CASE("own I/O loop: the migration's deletes wait for every switch's barrier reply") {
  using namespace vmnmob;
  own_io::Controller controller(mobility::test::three_sites(),
                                {delivery::BreakOrder::Network, std::chrono::seconds(5)});
  const auto port = controller.listen(0);
  REQUIRE(port.has_value());
  std::atomic<bool> stop{false};
  std::thread loop([&] {
    while (!stop) controller.poll_once(5);
  });
  struct Join {
    std::atomic<bool>& stop;
    std::thread& loop;
    ~Join() {
      stop = true;
      loop.join();
    }
  } join{stop, loop};
  testing::check_network_order_on_wire(*port);
}
