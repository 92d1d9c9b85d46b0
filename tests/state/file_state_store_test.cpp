// The file store: journal segments, torn tails, snapshots in the background, old state files,
// and kill -9 at random moments.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "vmnmob/state/file_state_store.hpp"

using namespace vmnmob;
using namespace vmnmob::state;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct TempDir {
  TempDir() {
    char name[] = "/tmp/vmnmob-state-XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path = name;
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return path + "/" + name; }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(path)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string path;
};

void append_raw(const std::string& file, const std::string& bytes) {
  std::ofstream out(file, std::ios::app | std::ios::binary);
  out << bytes;
}

std::vector<int> seqs(const StoredState& s) {
  std::vector<int> out;
  for (const json& r : s.changes) out.push_back(r["seq"].get<int>());
  return out;
}

}  // namespace

TEST_CASE("file store: records come back in order, after a snapshot only the newer ones") {
  TempDir d;
  const std::string path = d.file("state.json");
  {
    FileStateStore store(path);
    auto empty = store.load();
    REQUIRE(empty);
    CHECK(empty->snapshot.is_null());
    CHECK(empty->changes.empty());
    for (int i = 0; i < 3; ++i) REQUIRE(store.append({{"seq", i}}, i == 2));
  }
  FileStateStore store(path);
  auto loaded = store.load();
  REQUIRE(loaded);
  CHECK(loaded->snapshot.is_null());
  CHECK(seqs(*loaded) == std::vector<int>{0, 1, 2});
  // A snapshot replaces them; later records follow it.
  REQUIRE(store.write_snapshot({{"upto", 2}}, true));
  REQUIRE(store.append({{"seq", 3}}, false));
  CHECK(d.names() == std::vector<std::string>{"state.json", "state.json.journal.3"});
  loaded = FileStateStore(path).load();
  REQUIRE(loaded);
  CHECK(loaded->snapshot == json{{"upto", 2}});
  CHECK(seqs(*loaded) == std::vector<int>{3});
}

TEST_CASE("file store: a torn last record is left out; a broken record in the middle is an error") {
  TempDir d;
  const std::string path = d.file("state.json");
  {
    FileStateStore store(path);
    REQUIRE(store.load());
    REQUIRE(store.append({{"seq", 0}}, false));
    REQUIRE(store.append({{"seq", 1}}, false));
  }
  append_raw(path + ".journal.1", "{\"seq\": 2, \"vm");  // the crash hit this write
  FileStateStore store(path);
  auto loaded = store.load();
  REQUIRE(loaded);
  CHECK(seqs(*loaded) == std::vector<int>{0, 1});
  CHECK(loaded->torn == 1);
  // New records go to a new segment, never behind the torn line.
  REQUIRE(store.append({{"seq", 2}}, false));
  loaded = FileStateStore(path).load();
  REQUIRE(loaded);
  CHECK(seqs(*loaded) == std::vector<int>{0, 1, 2});
  CHECK(loaded->torn == 1);

  append_raw(path + ".journal.1", "\n{\"seq\": 9}\n");  // now the bad line is not the last
  auto broken = FileStateStore(path).load();
  REQUIRE_FALSE(broken);
  CHECK(broken.error() == path + ".journal.1: line 3: not a whole JSON record");
}

TEST_CASE("file store: an older state file (a snapshot alone) loads; a broken one is named") {
  TempDir d;
  const std::string path = d.file("state.json");
  append_raw(path, R"({"format": "vmnmob-mobility-snapshot/1", "vmns": [], "switches": []})");
  auto loaded = FileStateStore(path).load();
  REQUIRE(loaded);
  CHECK(loaded->snapshot["format"] == "vmnmob-mobility-snapshot/1");
  CHECK(loaded->changes.empty());
  append_raw(path, "garbage");
  auto broken = FileStateStore(path).load();
  REQUIRE_FALSE(broken);
  CHECK(broken.error() == path + ": not valid JSON");
}

TEST_CASE("file store: a snapshot in the background while records go on; due when the journal outgrows it") {
  TempDir d;
  const std::string path = d.file("state.json");
  FileStateStore store(path, FileStateStoreOptions{4096});
  REQUIRE(store.load());
  int seq = 0;
  while (!store.snapshot_due()) REQUIRE(store.append({{"seq", seq++}, {"pad", std::string(100, 'x')}}, false));
  CHECK(store.journal_bytes() > 4096);
  const int upto = seq - 1;
  auto started = store.write_snapshot({{"upto", upto}, {"pad", std::string(100000, 'y')}}, false);
  REQUIRE(started);
  CHECK(*started);
  CHECK_FALSE(store.snapshot_due());
  for (int i = 0; i < 50; ++i) REQUIRE(store.append({{"seq", seq++}}, false));
  std::optional<Expected<void, std::string>> result;
  for (int i = 0; i < 500 && !result; ++i) {
    result = store.snapshot_result();
    if (!result) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(result);
  CHECK(result->has_value());
  auto loaded = FileStateStore(path).load();
  REQUIRE(loaded);
  CHECK(loaded->snapshot["upto"] == upto);
  REQUIRE(loaded->changes.size() == 50);
  CHECK(loaded->changes.front()["seq"] == upto + 1);
  // Now the journal is small against the snapshot: not due.
  CHECK_FALSE(store.snapshot_due());
}

TEST_CASE("file store: kill -9 at any moment leaves a snapshot and every record after it", "[crash]") {
  std::mt19937 rng(17);
  for (int run = 0; run < 12; ++run) {
    TempDir d;
    const std::string path = d.file("state.json");
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // Records numbered 0, 1, ...; every 300 a snapshot "upto" the last one, written in the
      // background while records go on.
      FileStateStore store(path, FileStateStoreOptions{1});
      if (!store.load()) ::_exit(2);
      for (int seq = 0;; ++seq) {
        if (!store.append({{"seq", seq}, {"pad", std::string(200, 'r')}}, seq % 50 == 0)) ::_exit(3);
        if (seq % 300 == 299) (void)store.write_snapshot({{"upto", seq}, {"pad", std::string(300000, 's')}}, false);
        (void)store.snapshot_result();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 300));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(WIFSIGNALED(status));
    auto loaded = FileStateStore(path).load();
    REQUIRE(loaded);
    // Everything up to the snapshot's last record is in it, every later record follows, none
    // missing; the last may be torn.
    const int upto = loaded->snapshot.is_null() ? -1 : loaded->snapshot["upto"].get<int>();
    std::set<int> have;
    for (int s = 0; s <= upto; ++s) have.insert(s);
    for (int s : seqs(*loaded)) have.insert(s);
    INFO("run " << run << ": snapshot upto " << upto << ", " << loaded->changes.size() << " records, "
                << loaded->torn << " torn");
    REQUIRE(!have.empty());
    CHECK(*have.begin() == 0);
    CHECK(static_cast<int>(have.size()) == *have.rbegin() + 1);
    CHECK(loaded->torn <= 1);
  }
}
