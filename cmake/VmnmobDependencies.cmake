# All dependencies come from Debian 12 packages; nothing is downloaded at build time.
#   libboost-dev libboost-system-dev (Asio, Endian), libfmt-dev, nlohmann-json3-dev,
#   catch2 (2.13), libbenchmark-dev, libssl-dev (TLS on the OpenFlow channel).
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(OpenSSL 1.1.1 REQUIRED)
find_package(fmt 9 REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
if(VMNMOB_BUILD_TESTS)
  find_package(Catch2 2.13 REQUIRED)
endif()
if(VMNMOB_BUILD_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()
