#include "vmnmob/state/file_state_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>

#include <fmt/format.h>

namespace vmnmob::state {

namespace {

std::string errno_text(const std::string& file, const char* what) {
  return fmt::format("{}: {}: {}", file, what, std::strerror(errno));
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// The whole file; nullopt (errno set) when it cannot be read. An absent file is ENOENT.
std::optional<std::string> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string text;
  char buffer[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int saved = errno;
      ::close(fd);
      errno = saved;
      return std::nullopt;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

bool write_all(int fd, const char* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, data + done, size - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

/// A rename or a new file is durable once its directory is.
void sync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

struct FileStateStore::Impl {
  std::string path;
  std::string directory;
  std::string base;
  FileStateStoreOptions options;

  // The caller's side (one thread at a time).
  std::uint64_t segment = 1;    // the segment appends go to
  int fd = -1;                  // open on `segment`, or -1 (opened at the next append)
  std::size_t segment_size = 0;
  std::size_t journal_bytes = 0;  // since the last snapshot was started

  // Shared with the snapshot thread.
  mutable std::mutex mutex;
  std::thread writer;
  bool writing = false;
  std::size_t snapshot_bytes = 0;
  std::optional<Expected<void, std::string>> result;

  std::string segment_path(std::uint64_t n) const { return fmt::format("{}.journal.{}", path, n); }

  /// The journal segments on disk, by number.
  std::vector<std::pair<std::uint64_t, std::string>> segments() const {
    std::vector<std::pair<std::uint64_t, std::string>> out;
    DIR* d = ::opendir(directory.c_str());
    if (d == nullptr) return out;
    const std::string prefix = base + ".journal.";
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
      const std::string number = name.substr(prefix.size());
      if (!std::all_of(number.begin(), number.end(), [](char c) { return c >= '0' && c <= '9'; }) || number.size() > 18)
        continue;
      out.emplace_back(std::stoull(number), directory + "/" + name);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
  }

  void close_segment() {
    if (fd >= 0) ::close(fd);
    fd = -1;
    segment_size = 0;
  }

  /// Writes `text` as the snapshot and removes the segments up to `covered`.
  Expected<void, std::string> write(const std::string& text, std::uint64_t covered) {
    const std::string tmp = path + ".tmp";
    int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) return unexpected(errno_text(tmp, "open"));
    auto fail = [&](const char* what) {
      std::string error = errno_text(tmp, what);
      if (out >= 0) ::close(out);
      ::unlink(tmp.c_str());  // a partial file would only take the room the next try needs
      return unexpected(std::move(error));
    };
    if (!write_all(out, text.data(), text.size())) return fail("write");
    // Synced before the rename: the segments it replaces are removed next.
    if (::fsync(out) != 0) return fail("fsync");
    const int closed = ::close(out);
    out = -1;
    if (closed != 0) return fail("close");
    if (std::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename");
    sync_directory(directory);
    for (const auto& [n, file] : segments())
      if (n <= covered) ::unlink(file.c_str());
    std::lock_guard lock(mutex);
    snapshot_bytes = text.size();
    return {};
  }

  void join() {
    if (writer.joinable()) writer.join();
  }
};

FileStateStore::FileStateStore(std::string path, FileStateStoreOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->path = std::move(path);
  impl_->directory = directory_of(impl_->path);
  impl_->base = base_of(impl_->path);
  impl_->options = options;
}

FileStateStore::~FileStateStore() {
  impl_->join();
  impl_->close_segment();
}

const std::string& FileStateStore::path() const { return impl_->path; }
std::size_t FileStateStore::journal_bytes() const { return impl_->journal_bytes; }

Expected<StoredState, std::string> FileStateStore::load() {
  Impl& m = *impl_;
  m.join();
  m.close_segment();
  ::unlink((m.path + ".tmp").c_str());  // a snapshot cut short; the one before it is whole
  StoredState stored;
  if (auto text = read_file(m.path)) {
    stored.snapshot = nlohmann::json::parse(*text, nullptr, false);
    if (stored.snapshot.is_discarded()) return unexpected(fmt::format("{}: not valid JSON", m.path));
    std::lock_guard lock(m.mutex);
    m.snapshot_bytes = text->size();
  } else if (errno != ENOENT) {
    return unexpected(errno_text(m.path, "read"));
  }
  m.journal_bytes = 0;
  std::uint64_t last = 0;
  for (const auto& [n, file] : m.segments()) {
    last = n;
    auto text = read_file(file);
    if (!text) return unexpected(errno_text(file, "read"));
    m.journal_bytes += text->size();
    std::size_t line = 0;
    for (std::size_t at = 0; at < text->size();) {
      ++line;
      const std::size_t end = text->find('\n', at);
      const bool complete = end != std::string::npos;
      const std::string_view body(text->data() + at, (complete ? end : text->size()) - at);
      const std::size_t next = complete ? end + 1 : text->size();
      auto record = nlohmann::json::parse(body, nullptr, false);
      if (!complete || record.is_discarded()) {
        // Only the last line of a segment can have been cut short by a crash.
        if (next < text->size()) return unexpected(fmt::format("{}: line {}: not a whole JSON record", file, line));
        ++stored.torn;
        break;
      }
      stored.changes.push_back(std::move(record));
      at = next;
    }
  }
  m.segment = last + 1;  // never append after a line that may be torn
  return stored;
}

Expected<void, std::string> FileStateStore::append(const nlohmann::json& record, bool durable) {
  Impl& m = *impl_;
  const std::string file = m.segment_path(m.segment);
  if (m.fd < 0) {
    m.fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (m.fd < 0) return unexpected(errno_text(file, "open"));
    struct stat st {};
    m.segment_size = ::fstat(m.fd, &st) == 0 ? static_cast<std::size_t>(st.st_size) : 0;
    sync_directory(m.directory);
  }
  std::string line = record.dump();
  line.push_back('\n');
  if (!write_all(m.fd, line.data(), line.size())) {
    std::string error = errno_text(file, "write");
    // No half record may stay in the middle of the journal: cut it off, or leave the segment.
    if (::ftruncate(m.fd, static_cast<off_t>(m.segment_size)) != 0) {
      m.close_segment();
      ++m.segment;
    }
    return unexpected(std::move(error));
  }
  m.segment_size += line.size();
  m.journal_bytes += line.size();
  if (durable && ::fdatasync(m.fd) != 0) return unexpected(errno_text(file, "fdatasync"));
  return {};
}

bool FileStateStore::snapshot_due() const {
  const Impl& m = *impl_;
  std::lock_guard lock(m.mutex);
  return !m.writing && m.journal_bytes > std::max(m.snapshot_bytes, m.options.min_journal_bytes);
}

Expected<bool, std::string> FileStateStore::write_snapshot(nlohmann::json state, bool wait) {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.mutex);
    if (m.writing && !wait) return false;
  }
  m.join();
  // Records from now on go to a new segment; the ones so far are in `state`.
  m.close_segment();
  const std::uint64_t covered = m.segment++;
  const std::size_t covered_bytes = std::exchange(m.journal_bytes, 0);
  if (wait) {
    auto written = m.write(state.dump(), covered);
    if (!written) {
      m.journal_bytes += covered_bytes;
      return unexpected(written.error());
    }
    return true;
  }
  {
    std::lock_guard lock(m.mutex);
    m.writing = true;
  }
  m.writer = std::thread([&m, state = std::move(state), covered] {
    auto written = m.write(state.dump(), covered);
    std::lock_guard lock(m.mutex);
    m.result = std::move(written);
    m.writing = false;
  });
  return true;
}

std::optional<Expected<void, std::string>> FileStateStore::snapshot_result() {
  Impl& m = *impl_;
  std::lock_guard lock(m.mutex);
  return std::exchange(m.result, std::nullopt);
}

}  // namespace vmnmob::state
