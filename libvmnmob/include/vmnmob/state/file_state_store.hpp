// A StateStore in local files: PATH holds the last snapshot (written to PATH.tmp, fsync'd and
// renamed, so it is always whole), PATH.journal.N the records appended since, one JSON object
// per line, in segments numbered upwards.
//
// A snapshot starts a new segment N+1 on the caller's thread, then writes PATH and removes the
// segments up to N on a thread of its own: a crash at any moment leaves a whole PATH and every
// segment not yet covered by it (load() returns the older snapshot with all segments, or the
// newer one with segments it already contains). A record cut short by a crash is the last line
// of its segment and is left out; a failed append is cut back off the file (or, if that fails,
// its segment is closed and the next append opens a new one), so a full disk never leaves a
// broken line in the middle. A PATH without segments (an older vmnctl-ofc's state file) loads
// as a snapshot without records.
#pragma once

#include <memory>
#include <string>

#include "vmnmob/state/state_store.hpp"

namespace vmnmob::state {

struct FileStateStoreOptions {
  /// A snapshot is due when the segments since the last one hold more bytes than the snapshot,
  /// and at least this many.
  std::size_t min_journal_bytes = 1 << 20;
};

class FileStateStore final : public StateStore {
 public:
  explicit FileStateStore(std::string path, FileStateStoreOptions options = {});
  ~FileStateStore() override;  // waits for a snapshot being written
  FileStateStore(const FileStateStore&) = delete;
  FileStateStore& operator=(const FileStateStore&) = delete;

  Expected<StoredState, std::string> load() override;
  Expected<void, std::string> append(const nlohmann::json& record, bool durable) override;
  bool snapshot_due() const override;
  Expected<bool, std::string> write_snapshot(nlohmann::json state, bool wait) override;
  std::optional<Expected<void, std::string>> snapshot_result() override;

  const std::string& path() const;
  /// Bytes in the segments since the last snapshot.
  std::size_t journal_bytes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vmnmob::state
