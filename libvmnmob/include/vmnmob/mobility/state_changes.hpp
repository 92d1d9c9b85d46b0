// What one engine call changed in the state a snapshot holds, and how such changes are saved
// and read back without writing the whole snapshot each time.
//
// Every engine call fills Batch::changes with the keys it touched: VMNs by MAC, pool addresses
// by (datapath id, MoA), switches by datapath id. MobilityEngine::changes_record turns them
// into one small JSON record with the current value of each key (a VMN's whole entry, or its
// removal; an address's pool state; a switch's learned fields), so its size follows the change,
// not the registry. merge_state_changes applies such records, in order, to a snapshot: the last
// value of each key wins, so applying a record again, or a record the snapshot already
// contains, changes nothing. A host keeps a snapshot plus the records written since (a journal,
// vmnmob/state) and restores from the merge.
//
// No I/O here.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "vmnmob/base/address.hpp"
#include "vmnmob/base/expected.hpp"

namespace vmnmob::mobility {

struct StateChanges {
  /// Registered, moved, linked, frozen, thawed or removed (keys may repeat).
  std::vector<MacAddress> vmns;
  /// (datapath id, address) whose pool state changed: taken, released, handed back.
  std::vector<std::pair<std::uint64_t, Ipv4Address>> addresses;
  /// A switch's learned gateway MAC, uplink port or base flow generation changed.
  std::vector<std::uint64_t> switches;
  /// The whole state changed (a restore, a pool grown): only a whole snapshot saves it.
  bool everything = false;

  bool empty() const { return vmns.empty() && addresses.empty() && switches.empty() && !everything; }
  void clear() {
    vmns.clear();
    addresses.clear();
    switches.clear();
    everything = false;
  }
};

/// Applies change records (MobilityEngine::changes_record), oldest first, to `snapshot`
/// (MobilityEngine::snapshot's document). The error names the record and the key
/// ("changes[3].addresses[0]: datapath 0xa is not in the snapshot"); on error `snapshot` may be
/// partly changed. O(snapshot + records).
Expected<void, std::string> merge_state_changes(nlohmann::json& snapshot, std::span<const nlohmann::json> records);

}  // namespace vmnmob::mobility
