// Golden frames for the packet tests.
//
// The ARP, ICMP, UDP and TCP frames were sent by the Linux kernel between two network
// namespaces and captured with tcpdump (see capture_golden.sh); tshark verified every IPv4,
// ICMP, UDP and TCP checksum in them. They are as seen on a veth: not padded to 60 bytes.
// Hosts: 10.0.0.1 at 52:54:00:12:34:56 and 10.0.0.2 at 52:54:00:ab:cd:ef.
// The RARP frame is written by hand from QEMU's net/announce.c layout (see SYSTEM.md).
#pragma once

#include <string_view>

namespace golden {

// "Who has 10.0.0.2? Tell 10.0.0.1", 42 bytes.
inline constexpr std::string_view arp_request =
    "ff ff ff ff ff ff 52 54 00 12 34 56 08 06"
    "00 01 08 00 06 04 00 01 52 54 00 12 34 56 0a 00 00 01 00 00 00 00 00 00 0a 00 00 02";

// "10.0.0.2 is at 52:54:00:ab:cd:ef", the answer to arp_request, 42 bytes.
inline constexpr std::string_view arp_reply =
    "52 54 00 12 34 56 52 54 00 ab cd ef 08 06"
    "00 01 08 00 06 04 00 02 52 54 00 ab cd ef 0a 00 00 02 52 54 00 12 34 56 0a 00 00 01";

// ICMP echo request 10.0.0.1 -> 10.0.0.2, id 0x1234 seq 1, 11 data bytes 01..0b (odd length),
// IPv4 id 0x0aff, DF, TTL 64. 53 bytes.
inline constexpr std::string_view icmp_echo_request =
    "52 54 00 ab cd ef 52 54 00 12 34 56 08 00"
    "45 00 00 27 0a ff 40 00 40 01 1b d5 0a 00 00 01 0a 00 00 02"
    "08 00 c1 ac 12 34 00 01 01 02 03 04 05 06 07 08 09 0a 0b";

// UDP 10.0.0.1:40000 -> 10.0.0.2:5353, "hello udp" (9 bytes, odd), IPv4 id 0xe8d8. 51 bytes.
inline constexpr std::string_view udp_datagram =
    "52 54 00 ab cd ef 52 54 00 12 34 56 08 00"
    "45 00 00 25 e8 d8 40 00 40 11 3d ed 0a 00 00 01 0a 00 00 02"
    "9c 40 14 e9 00 11 11 49 68 65 6c 6c 6f 20 75 64 70";

// ICMP port unreachable 10.0.0.2 -> 10.0.0.1 quoting udp_datagram; TOS 0xc0, no DF. 79 bytes.
inline constexpr std::string_view icmp_port_unreachable =
    "52 54 00 12 34 56 52 54 00 ab cd ef 08 00"
    "45 c0 00 41 70 19 00 00 40 01 f5 e0 0a 00 00 02 0a 00 00 01"
    "03 03 11 22 00 00 00 00"
    "45 00 00 25 e8 d8 40 00 40 11 3d ed 0a 00 00 01 0a 00 00 02"
    "9c 40 14 e9 00 11 11 49 68 65 6c 6c 6f 20 75 64 70";

// TCP SYN 10.0.0.1:40001 -> 10.0.0.2:8080, seq 0xcc215534, window 64240, 20 bytes of options
// (MSS 1460, SACK permitted, timestamps, NOP, window scale 10). 74 bytes.
inline constexpr std::string_view tcp_syn =
    "52 54 00 ab cd ef 52 54 00 12 34 56 08 00"
    "45 00 00 3c 7c 4c 40 00 40 06 aa 6d 0a 00 00 01 0a 00 00 02"
    "9c 41 1f 90 cc 21 55 34 00 00 00 00 a0 02 fa f0 57 21 00 00"
    "02 04 05 b4 04 02 08 0a 8e dc 75 e4 00 00 00 00 01 03 03 0a";

// TCP PSH+ACK of the same connection carrying "hi", 12 bytes of options (NOP NOP timestamps).
// 68 bytes.
inline constexpr std::string_view tcp_data =
    "52 54 00 ab cd ef 52 54 00 12 34 56 08 00"
    "45 00 00 36 7c 4e 40 00 40 06 aa 71 0a 00 00 01 0a 00 00 02"
    "9c 41 1f 90 cc 21 55 35 f8 f2 25 8d 80 18 00 3f 6d 39 00 00"
    "01 01 08 0a 8e dc 75 e4 1e f7 6d 6e 68 69";

// QEMU's self-announce for 52:54:00:12:34:56: broadcast, type 0x8035, htype 1, ptype 0x0800,
// hlen 6, plen 4, op 3 (reverse request), sha = tha = the MAC, spa = tpa = 0.0.0.0, then 18
// zero bytes of padding to 60.
inline constexpr std::string_view qemu_rarp_announce =
    "ff ff ff ff ff ff 52 54 00 12 34 56 80 35"
    "00 01 08 00 06 04 00 03 52 54 00 12 34 56 00 00 00 00 52 54 00 12 34 56 00 00 00 00"
    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00";

}  // namespace golden
