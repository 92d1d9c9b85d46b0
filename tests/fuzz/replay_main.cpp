// A main() for the fuzz targets in builds without libFuzzer (any compiler): runs the target on
// every file given, or on every file in the directories given. ctest (label `fuzz`) uses it to
// replay the crash regressions and the seed corpus, so a fixed crash stays fixed.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {
int run_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", p.c_str());
    return 1;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());  // NOLINT
  return 0;
}
}  // namespace

int main(int argc, char** argv) {
  std::size_t files = 0;
  int errors = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg)) {
      for (const auto& e : std::filesystem::recursive_directory_iterator(arg)) {
        if (!e.is_regular_file() || e.path().filename().string().front() == '.') continue;
        errors += run_file(e.path());
        ++files;
      }
    } else {
      errors += run_file(arg);
      ++files;
    }
  }
  std::printf("replayed %zu inputs, all passed\n", files);
  return errors == 0 ? 0 : 1;
}
