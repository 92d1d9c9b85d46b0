// Where a controller keeps its state between runs: a snapshot plus the change records written
// since (vmnmob/mobility/state_changes.hpp). The store does not read either: it keeps JSON
// documents in order and hands them back, so a backend (a local file, later etcd) needs no
// knowledge of the engine.
//
// Cost: append() is O(record); a snapshot is O(state) and a store may write it off the
// caller's thread. Merging snapshot and records is the caller's (merge_state_changes).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "vmnmob/base/expected.hpp"

namespace vmnmob::state {

struct StoredState {
  /// The last snapshot written, or null when there is none.
  nlohmann::json snapshot;
  /// The records appended after it, oldest first. Records the snapshot already contains may be
  /// among them (a crash between a snapshot and the removal of the records it replaces): a
  /// merge where the last value of each key wins makes them harmless.
  std::vector<nlohmann::json> changes;
  /// Records cut short by a crash while they were written, left out.
  std::size_t torn = 0;
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  virtual Expected<StoredState, std::string> load() = 0;
  /// Appends one record. `durable`: it is on stable storage when this returns (a move's
  /// record, before its flows go out); otherwise it survives the process, not a power loss.
  virtual Expected<void, std::string> append(const nlohmann::json& record, bool durable) = 0;
  /// The records since the last snapshot have outgrown it: time for a snapshot.
  virtual bool snapshot_due() const = 0;
  /// Replaces snapshot and records with `state`, which must contain every record appended so
  /// far. `wait`: written when this returns; otherwise written off the caller's thread (at most
  /// one at a time: false while another runs) and its outcome comes from snapshot_result().
  virtual Expected<bool, std::string> write_snapshot(nlohmann::json state, bool wait) = 0;
  /// The outcome of a snapshot written off the caller's thread, once, when it is done.
  virtual std::optional<Expected<void, std::string>> snapshot_result() = 0;
};

}  // namespace vmnmob::state
