# Project-wide build options. Every target that is part of the project calls
# vmnmob_target_defaults() so warnings and sanitizers are applied uniformly.
option(VMNMOB_BUILD_TESTS "Build unit, integration and end-to-end tests" ON)
option(VMNMOB_BUILD_BENCHMARKS "Build Google Benchmark microbenchmarks" ON)
option(VMNMOB_BUILD_FUZZERS "Build libFuzzer targets (needs clang)" OFF)
option(VMNMOB_SANITIZE "Build everything with AddressSanitizer and UBSan" OFF)
option(VMNMOB_WERROR "Treat warnings as errors" OFF)
# The sanitizers of the libFuzzer build. The default finds memory errors as they happen; a long
# run may use "undefined" alone (several times faster) and replay its corpus under ASan after.
set(VMNMOB_FUZZ_SANITIZERS "address,undefined" CACHE STRING "Sanitizers of the libFuzzer build")

set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

if(VMNMOB_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
if(VMNMOB_BUILD_FUZZERS)
  # Instrument everything for coverage; the fuzz targets add -fsanitize=fuzzer at link time.
  # Any sanitizer report stops the fuzzer (UBSan would otherwise print and go on).
  add_compile_options(-fsanitize=fuzzer-no-link,${VMNMOB_FUZZ_SANITIZERS} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${VMNMOB_FUZZ_SANITIZERS})
endif()

function(vmnmob_target_defaults target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
    -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
    $<$<BOOL:${VMNMOB_WERROR}>:-Werror>)
endfunction()
