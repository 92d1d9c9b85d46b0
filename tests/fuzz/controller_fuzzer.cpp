// libFuzzer target: the controller's whole input path (controller_pipeline.hpp) on arbitrary
// byte streams from three switches. Nothing may crash or trip a sanitizer, no address may be
// handed out twice or outside its pool, and every connected switch must end up holding exactly
// the flows the engine's registry calls for.
#include <cstddef>
#include <cstdint>

#include "controller_pipeline.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  vmnmob::fuzz::Pipeline pipeline;
  const bool ok = pipeline.run(std::span(data, size));
  VMNMOB_FUZZ_CHECK(ok, pipeline.why().c_str());
  return 0;
}
