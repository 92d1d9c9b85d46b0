// vmn-probe: a precise UDP prober for measuring migration downtime.
//
//   vmn-probe echo  --listen ADDR:PORT
//   vmn-probe probe --to ADDR:PORT [--interval-us 1000] [--duration-s 10] [--json]
//
// The prober sends one datagram per interval carrying a sequence number and its send time
// (CLOCK_MONOTONIC, ns); the echo side returns it unchanged. Downtime is the longest gap
// between the send times of two consecutive *answered* probes, minus one interval: with a
// 1 ms interval that is the outage to 1 ms resolution. ICMP ping on this machine only manages
// one probe every 15-16 ms (see SYSTEM.md), which is why the project carries its own prober.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

struct Probe {
  std::uint64_t seq;
  std::int64_t sent_ns;
};
static_assert(sizeof(Probe) == 16);

std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

std::optional<sockaddr_in> parse_endpoint(std::string_view s) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  std::string host(s.substr(0, colon));
  if (inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1) return std::nullopt;
  char* end = nullptr;
  std::string port(s.substr(colon + 1));
  long p = std::strtol(port.c_str(), &end, 10);
  if (end == port.c_str() || *end != '\0' || p <= 0 || p > 65535) return std::nullopt;
  a.sin_port = htons(static_cast<std::uint16_t>(p));
  return a;
}

int usage() {
  std::fputs(
      "usage: vmn-probe echo --listen ADDR:PORT [--duration-s N]\n"
      "       vmn-probe probe --to ADDR:PORT [--interval-us 1000] [--duration-s 10] [--json]\n",
      stderr);
  return 2;
}

int run_echo(const sockaddr_in& listen, double duration_s) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, reinterpret_cast<const sockaddr*>(&listen), sizeof listen) != 0) {
    std::perror("vmn-probe echo: bind");
    return 1;
  }
  const std::int64_t deadline =
      duration_s > 0 ? now_ns() + static_cast<std::int64_t>(duration_s * 1e9) : INT64_MAX;
  char buf[2048];
  while (now_ns() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n > 0)
      (void)sendto(fd, buf, static_cast<std::size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
  }
  close(fd);
  return 0;
}

int run_probe(const sockaddr_in& to, std::int64_t interval_ns, double duration_s, bool json) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
    std::perror("vmn-probe probe: connect");
    return 1;
  }
  const auto total = static_cast<std::uint64_t>(duration_s * 1e9 / static_cast<double>(interval_ns));
  std::vector<std::int64_t> answered_sent;  // send times of answered probes
  std::vector<std::int64_t> rtts;
  std::vector<bool> seen(total, false);
  const std::int64_t start = now_ns();
  std::uint64_t sent = 0;
  // Replies keep arriving for a grace period after the last probe.
  const std::int64_t end = start + static_cast<std::int64_t>(total) * interval_ns + 500'000'000;
  while (true) {
    std::int64_t now = now_ns();
    if (sent < total && now >= start + static_cast<std::int64_t>(sent) * interval_ns) {
      Probe p{sent, now};
      (void)send(fd, &p, sizeof p, MSG_DONTWAIT);  // ENETUNREACH etc. during the move is loss
      ++sent;
      continue;
    }
    if (now >= end) break;
    std::int64_t next = sent < total ? start + static_cast<std::int64_t>(sent) * interval_ns : end;
    int wait_ms = static_cast<int>(std::max<std::int64_t>(0, (next - now) / 1'000'000));
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, wait_ms) <= 0) continue;
    Probe p{};
    while (recv(fd, &p, sizeof p, MSG_DONTWAIT) == static_cast<ssize_t>(sizeof p)) {
      if (p.seq < total && !seen[p.seq]) {
        seen[p.seq] = true;
        rtts.push_back(now_ns() - p.sent_ns);
      }
    }
  }
  close(fd);

  // Longest run of unanswered probes, measured between answered neighbours' send slots.
  std::uint64_t answered = 0, longest_gap_slots = 0, gap_start = 0;
  std::optional<std::uint64_t> last;
  for (std::uint64_t i = 0; i < total; ++i) {
    if (!seen[i]) continue;
    ++answered;
    if (last && i - *last > longest_gap_slots) {
      longest_gap_slots = i - *last;
      gap_start = *last;
    }
    last = i;
  }
  const double downtime_ms =
      longest_gap_slots > 1 ? static_cast<double>((longest_gap_slots - 1) * static_cast<std::uint64_t>(interval_ns)) / 1e6 : 0.0;
  std::sort(rtts.begin(), rtts.end());
  const double rtt_p50_us = rtts.empty() ? 0.0 : static_cast<double>(rtts[rtts.size() / 2]) / 1e3;
  if (json) {
    std::printf(
        "{\"sent\":%llu,\"answered\":%llu,\"lost\":%llu,\"interval_us\":%.1f,"
        "\"downtime_ms\":%.3f,\"gap_after_seq\":%llu,\"rtt_p50_us\":%.1f}\n",
        static_cast<unsigned long long>(total), static_cast<unsigned long long>(answered),
        static_cast<unsigned long long>(total - answered), static_cast<double>(interval_ns) / 1e3,
        downtime_ms, static_cast<unsigned long long>(gap_start), rtt_p50_us);
  } else {
    std::printf("sent %llu answered %llu lost %llu downtime %.3f ms (after seq %llu) rtt p50 %.1f us\n",
                static_cast<unsigned long long>(total), static_cast<unsigned long long>(answered),
                static_cast<unsigned long long>(total - answered), downtime_ms,
                static_cast<unsigned long long>(gap_start), rtt_p50_us);
  }
  return answered == 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string_view mode = argv[1];
  std::optional<sockaddr_in> endpoint;
  std::int64_t interval_us = 1000;
  std::optional<double> duration_s;  // echo: forever; probe: 10 s
  bool json = false;
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--listen" || a == "--to") {
      endpoint = parse_endpoint(value());
      if (!endpoint) return usage();
    } else if (a == "--interval-us") {
      interval_us = std::strtoll(value(), nullptr, 10);
    } else if (a == "--duration-s") {
      duration_s = std::strtod(value(), nullptr);
    } else if (a == "--json") {
      json = true;
    } else {
      return usage();
    }
  }
  if (!endpoint || interval_us <= 0) return usage();
  if (mode == "echo") return run_echo(*endpoint, duration_s.value_or(0));
  if (mode == "probe") return run_probe(*endpoint, interval_us * 1000, duration_s.value_or(10), json);
  return usage();
}
