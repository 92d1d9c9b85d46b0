// What vmnctl-ofc finds in its state_file at start: the last snapshot with the journal written
// since merged in (vmnmob/state, mobility::merge_state_changes). The start (App::start) and
// --show-flows both read it through here, so they always see the same state.
#pragma once

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "vmnmob/base/expected.hpp"
#include "vmnmob/state/state_store.hpp"

namespace vmnctl {

struct SavedState {
  /// The snapshot with every journal record merged; null when the file holds none.
  nlohmann::json state;
  /// No file at all: the only empty start. A file that reads as `null` is not absent: it is
  /// somebody's mistake, and restore refuses it (the first save would overwrite it otherwise).
  bool absent = false;
  std::size_t records = 0;  // journal records merged
  std::size_t torn = 0;     // records cut short by a crash, left out
};

vmnmob::Expected<SavedState, std::string> load_saved_state(vmnmob::state::StateStore& store, const std::string& path);

}  // namespace vmnctl
