// The whole packet library: header value types, parse_frame, builders and checksums.
#pragma once

#include "vmnmob/packet/build.hpp"
#include "vmnmob/packet/checksum.hpp"
#include "vmnmob/packet/error.hpp"
#include "vmnmob/packet/frame.hpp"
#include "vmnmob/packet/headers.hpp"
