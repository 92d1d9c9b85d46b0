// The controller's state file: the engine's snapshot, written atomically (temporary file in
// the same directory, then rename), so a crash at any moment (even kill -9) leaves either the
// previous or the new state, never a torn one.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "vmnmob/base/expected.hpp"

namespace vmnctl {

vmnmob::Expected<void, std::string> save_state(const std::string& path, const nlohmann::json& state);
/// nullopt-like: an absent file is an empty json (null), not an error.
vmnmob::Expected<nlohmann::json, std::string> load_state(const std::string& path);

}  // namespace vmnctl
