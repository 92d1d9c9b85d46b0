// The one clock of the library. The I/O-free parts (session, mobility engine) never read it:
// their handlers take `now`, so tests feed them times instead of sleeping.
#pragma once

#include <chrono>

namespace vmnmob {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = Clock::duration;

}  // namespace vmnmob
