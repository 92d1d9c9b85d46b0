#include "saved_state.hpp"

#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "vmnmob/mobility/state_changes.hpp"

namespace vmnctl {

vmnmob::Expected<SavedState, std::string> load_saved_state(vmnmob::state::StateStore& store, const std::string& path) {
  auto stored = store.load();
  if (!stored) return vmnmob::unexpected(stored.error());
  if (stored->snapshot.is_null() && !stored->changes.empty())
    return vmnmob::unexpected(fmt::format("{}: a journal of changes without the snapshot it follows", path));
  SavedState out;
  out.records = stored->changes.size();
  out.torn = stored->torn;
  std::error_code ec;
  out.absent = stored->snapshot.is_null() &&
               std::filesystem::symlink_status(path, ec).type() == std::filesystem::file_type::not_found;
  out.state = std::move(stored->snapshot);
  if (!stored->changes.empty())
    if (auto merged = vmnmob::mobility::merge_state_changes(out.state, stored->changes); !merged)
      return vmnmob::unexpected(fmt::format("{}: {}", path, merged.error()));
  return out;
}

}  // namespace vmnctl
