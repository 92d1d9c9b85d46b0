// vmnbench-reflector: the machine's ceiling for vmnbench's load. Raw epoll, no library: it
// frames OpenFlow messages by the header's length field only, does the least a controller must
// for vmnbench's switches to come up (HELLO, FEATURES_REQUEST, PORT_DESC request; answers
// ECHO_REQUEST and BARRIER_REQUEST), and writes one fixed PACKET_OUT per PACKET_IN.
//
// usage: vmnbench-reflector [HOST:]PORT
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

// OpenFlow 1.3 message types used here (spec 7.1).
constexpr std::uint8_t kHello = 0, kEchoRequest = 2, kEchoReply = 3, kFeaturesRequest = 5, kFeaturesReply = 6,
                       kPacketIn = 10, kPacketOut = 13, kMultipartRequest = 18, kMultipartReply = 19,
                       kBarrierRequest = 20, kBarrierReply = 21;
constexpr std::uint16_t kPortDesc = 13;

struct Connection {
  int fd = -1;
  std::vector<std::uint8_t> in, out;
  std::size_t out_sent = 0;
  bool polling_out = false;
};

std::uint16_t read16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }

void header(std::vector<std::uint8_t>& out, std::uint8_t type, std::uint16_t length, const std::uint8_t* xid) {
  const std::uint8_t h[8] = {4, type, static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length), xid[0], xid[1], xid[2], xid[3]};
  out.insert(out.end(), h, h + 8);
}

/// PACKET_OUT: no buffer, in_port CONTROLLER, one output action to port 2, a 60-byte frame.
std::vector<std::uint8_t> fixed_packet_out() {
  std::vector<std::uint8_t> m;
  const std::uint8_t xid[4] = {0, 0, 0, 0};
  header(m, kPacketOut, 8 + 16 + 16 + 60, xid);
  const std::uint8_t body[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfd, 0, 16, 0, 0, 0, 0, 0, 0};
  m.insert(m.end(), body, body + 16);
  const std::uint8_t output[16] = {0, 0, 0, 16, 0, 0, 0, 2, 0xff, 0xff, 0, 0, 0, 0, 0, 0};
  m.insert(m.end(), output, output + 16);
  m.resize(m.size() + 60, 0);
  return m;
}

void handle(Connection& c, const std::uint8_t* msg, std::uint16_t length, const std::vector<std::uint8_t>& packet_out) {
  const std::uint8_t type = msg[1];
  const std::uint8_t* xid = msg + 4;
  switch (type) {
    case kHello: {
      const std::uint8_t zero[4] = {0, 0, 0, 1};
      header(c.out, kFeaturesRequest, 8, zero);
      break;
    }
    case kFeaturesReply: {
      const std::uint8_t x[4] = {0, 0, 0, 2};
      header(c.out, kMultipartRequest, 16, x);
      const std::uint8_t body[8] = {0, static_cast<std::uint8_t>(kPortDesc), 0, 0, 0, 0, 0, 0};
      c.out.insert(c.out.end(), body, body + 8);
      break;
    }
    case kEchoRequest:
      header(c.out, kEchoReply, length, xid);
      c.out.insert(c.out.end(), msg + 8, msg + length);
      break;
    case kBarrierRequest:
      header(c.out, kBarrierReply, 8, xid);
      break;
    case kPacketIn:
      c.out.insert(c.out.end(), packet_out.begin(), packet_out.end());
      break;
    case kMultipartReply:
    default:
      break;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: vmnbench-reflector [HOST:]PORT\n");
    return 2;
  }
  std::string arg = argv[1], host = "127.0.0.1";
  if (auto colon = arg.rfind(':'); colon != std::string::npos) {
    host = arg.substr(0, colon);
    arg = arg.substr(colon + 1);
  }
  rlimit nofile{};
  getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;
  setrlimit(RLIMIT_NOFILE, &nofile);

  const int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(std::atoi(arg.c_str())));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
      bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0 || listen(listener, 4096) < 0) {
    std::fprintf(stderr, "vmnbench-reflector: cannot listen on %s:%s: %s\n", host.c_str(), arg.c_str(), std::strerror(errno));
    return 1;
  }
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);

  const std::vector<std::uint8_t> packet_out = fixed_packet_out();
  std::vector<Connection> conns(static_cast<std::size_t>(nofile.rlim_cur > 1u << 20 ? 1u << 20 : nofile.rlim_cur));
  std::vector<int> dirty;
  epoll_event events[256];
  for (;;) {
    const int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listener) {
        for (int c; (c = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;) {
          if (static_cast<std::size_t>(c) >= conns.size()) {
            close(c);
            continue;
          }
          setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          Connection& conn = conns[static_cast<std::size_t>(c)];
          conn = Connection{};
          conn.fd = c;
          const std::uint8_t hello[8] = {4, kHello, 0, 8, 0, 0, 0, 0};
          conn.out.assign(hello, hello + 8);
          dirty.push_back(c);
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
        continue;
      }
      Connection& c = conns[static_cast<std::size_t>(fd)];
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        std::uint8_t buf[65536];
        bool closed = false;
        for (;;) {
          const ssize_t r = read(fd, buf, sizeof buf);
          if (r > 0) {
            c.in.insert(c.in.end(), buf, buf + r);
            if (static_cast<std::size_t>(r) < sizeof buf) break;
            continue;
          }
          if (r < 0 && (errno == EAGAIN || errno == EINTR)) break;
          closed = true;
          break;
        }
        if (closed) {
          close(fd);
          c = Connection{};
          continue;
        }
        std::size_t at = 0;
        while (c.in.size() - at >= 8) {
          const std::uint16_t length = read16(c.in.data() + at + 2);
          if (length < 8) {
            closed = true;
            break;
          }
          if (c.in.size() - at < length) break;
          handle(c, c.in.data() + at, length, packet_out);
          at += length;
        }
        c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(at));
        if (closed) {
          close(fd);
          c = Connection{};
          continue;
        }
        if (c.out.size() > c.out_sent) dirty.push_back(fd);
      }
      if (events[i].events & EPOLLOUT) dirty.push_back(fd);
    }
    for (int fd : dirty) {
      Connection& c = conns[static_cast<std::size_t>(fd)];
      if (c.fd < 0) continue;
      while (c.out_sent < c.out.size()) {
        const ssize_t w = send(fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
        if (w < 0) break;
        c.out_sent += static_cast<std::size_t>(w);
      }
      const bool pending = c.out_sent < c.out.size();
      if (!pending) {
        c.out.clear();
        c.out_sent = 0;
      }
      if (pending != c.polling_out) {
        epoll_event cev{};
        cev.events = EPOLLIN | (pending ? EPOLLOUT : 0u);
        cev.data.fd = fd;
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &cev);
        c.polling_out = pending;
      }
    }
    dirty.clear();
  }
}
