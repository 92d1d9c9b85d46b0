#include "state_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace vmnctl {

vmnmob::Expected<void, std::string> save_state(const std::string& path, const nlohmann::json& state) {
  // Written to a temporary file and renamed over the old one: a reader (or a restart after a
  // crash, or a full disk) sees the old state or the new one, never a part of either.
  const std::string tmp = path + ".tmp";
  const std::string text = state.dump();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return vmnmob::unexpected(fmt::format("{}: {}", tmp, std::strerror(errno)));
  auto fail = [&](const char* what) {
    std::string err = fmt::format("{}: {}: {}", tmp, what, std::strerror(errno));
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());  // a partial file would only take the space the next try needs
    return vmnmob::unexpected(std::move(err));
  };
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    done += static_cast<std::size_t>(n);
  }
  // No fsync: the file must survive the controller crashing, which the page cache ensures;
  // surviving a power loss would cost milliseconds on every migration. close() still reports
  // a failed delayed write on some file systems.
  const int closed = ::close(fd);
  fd = -1;
  if (closed != 0) return fail("close");
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename");
  return {};
}

vmnmob::Expected<nlohmann::json, std::string> load_state(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return nlohmann::json();
    return vmnmob::unexpected(fmt::format("{}: {}", path, std::strerror(errno)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  if (j.is_discarded()) return vmnmob::unexpected(fmt::format("{}: not valid JSON", path));
  return j;
}

}  // namespace vmnctl
