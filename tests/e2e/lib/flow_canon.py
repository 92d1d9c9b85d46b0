#!/usr/bin/env python3
"""Open vSwitch's flow text in the canonical form of vmnmob/ofp/flow_text.hpp.

  flow_canon.py [FILE]        `ovs-ofctl -O OpenFlow13 [--no-stats] dump-flows BR` output (stdin
                              without FILE) -> one canonical line per flow, sorted
  flow_canon.py --compare DUMP SHOW SECTION
                              DUMP is a dump-flows output, SHOW the output of `vmnctl-ofc
                              --show-flows` (sections "# NAME dp 0x..."); prints a diff of the
                              two for SECTION and exits 1 when they differ

The canonical form: "table=T priority=P cookie=0x.. idle_timeout=I hard_timeout=H flags=F
match=F=V,... actions=A,...", match fields by their OpenFlow 1.3 OXM names, sorted; OVS's
shorthands (ip, arp, tcp, ...) become eth_type and ip_proto; counters and ages are dropped.
A flow this script cannot map (Nicira extensions such as reg0 or resubmit) is printed with a
leading "unmapped: " and never equals a line of the printer.
"""
import difflib
import ipaddress
import re
import sys

SHORTHANDS = {
    "ip": {"eth_type": 0x0800}, "ipv6": {"eth_type": 0x86dd}, "arp": {"eth_type": 0x0806},
    "rarp": {"eth_type": 0x8035}, "mpls": {"eth_type": 0x8847}, "mplsm": {"eth_type": 0x8848},
    "icmp": {"eth_type": 0x0800, "ip_proto": 1}, "tcp": {"eth_type": 0x0800, "ip_proto": 6},
    "udp": {"eth_type": 0x0800, "ip_proto": 17}, "sctp": {"eth_type": 0x0800, "ip_proto": 132},
    "icmp6": {"eth_type": 0x86dd, "ip_proto": 58}, "tcp6": {"eth_type": 0x86dd, "ip_proto": 6},
    "udp6": {"eth_type": 0x86dd, "ip_proto": 17}, "sctp6": {"eth_type": 0x86dd, "ip_proto": 132},
}
FLAGS = ["send_flow_rem", "check_overlap", "reset_counts", "no_packet_counts", "no_byte_counts"]
HEADER_NUMBERS = {"table", "priority", "idle_timeout", "hard_timeout"}
IGNORED = {"duration", "n_packets", "n_bytes", "idle_age", "hard_age", "importance"}
RESERVED_PORTS = {"IN_PORT", "TABLE", "NORMAL", "FLOOD", "ALL", "CONTROLLER", "LOCAL", "ANY"}
IPV4_FIELDS = {"ipv4_src", "ipv4_dst", "arp_spa", "arp_tpa"}
IPV6_FIELDS = {"ipv6_src", "ipv6_dst", "ipv6_nd_target"}
MAC_FIELDS = {"eth_src", "eth_dst", "arp_sha", "arp_tha", "ipv6_nd_sll", "ipv6_nd_tll"}
HEX_FIELDS = {"metadata", "tunnel_id", "ipv6_flabel", "pbb_isid", "ipv6_exthdr"}
# OVS match names -> OXM names (tp_*, icmp_* depend on the protocol: see match_name()).
MATCH_NAMES = {
    "in_port": "in_port", "dl_src": "eth_src", "dl_dst": "eth_dst", "eth_src": "eth_src",
    "eth_dst": "eth_dst", "dl_type": "eth_type", "eth_type": "eth_type", "dl_vlan_pcp": "vlan_pcp",
    "nw_src": "ipv4_src", "nw_dst": "ipv4_dst", "ip_src": "ipv4_src", "ip_dst": "ipv4_dst",
    "nw_proto": "ip_proto", "ip_proto": "ip_proto", "nw_ecn": "ip_ecn", "ip_ecn": "ip_ecn",
    "ip_dscp": "ip_dscp", "arp_op": "arp_op", "arp_spa": "arp_spa", "arp_tpa": "arp_tpa",
    "arp_sha": "arp_sha", "arp_tha": "arp_tha", "ipv6_src": "ipv6_src", "ipv6_dst": "ipv6_dst",
    "ipv6_label": "ipv6_flabel", "nd_target": "ipv6_nd_target", "nd_sll": "ipv6_nd_sll",
    "nd_tll": "ipv6_nd_tll", "mpls_label": "mpls_label", "mpls_tc": "mpls_tc", "mpls_bos": "mpls_bos",
    "tun_id": "tunnel_id", "tunnel_id": "tunnel_id", "metadata": "metadata",
}
# OVS set_field names -> OXM names.
SET_FIELD_NAMES = dict(MATCH_NAMES, vlan_vid="vlan_vid", ip_src="ipv4_src", ip_dst="ipv4_dst",
                       tcp_src="tcp_src", tcp_dst="tcp_dst", udp_src="udp_src", udp_dst="udp_dst")


class Unmapped(Exception):
    pass


def number(text):
    return int(text, 0)


def ip_value(name, text):
    value, _, mask = text.partition("/")
    v6 = name in IPV6_FIELDS
    addr = ipaddress.IPv6Address(value) if v6 else ipaddress.IPv4Address(value)
    if not mask:
        return addr.compressed
    width = 128 if v6 else 32
    if mask.isdigit():
        bits = int(mask)
    else:
        m = int(ipaddress.IPv6Address(mask) if v6 else ipaddress.IPv4Address(mask))
        inv = (~m) & ((1 << width) - 1)
        bits = width - inv.bit_length() if (inv & (inv + 1)) == 0 else None
        if bits is None:
            shown = ipaddress.IPv6Address(m) if v6 else ipaddress.IPv4Address(m)
            return f"{addr.compressed}/{shown.compressed}"
    return addr.compressed if bits == width else f"{addr.compressed}/{bits}"


def field_value(name, text):
    if name in IPV4_FIELDS or name in IPV6_FIELDS:
        return ip_value(name, text)
    if name in MAC_FIELDS:
        value, _, mask = text.lower().partition("/")
        return value if not mask or mask == "ff:ff:ff:ff:ff:ff" else f"{value}/{mask}"
    value, _, mask = text.partition("/")
    if name in ("in_port", "in_phy_port") and value in RESERVED_PORTS:
        return value
    if name == "eth_type":
        return f"{number(value):#06x}"
    if name in HEX_FIELDS:
        return f"{number(value):#x}" + (f"/{number(mask):#x}" if mask else "")
    return str(number(value)) + (f"/{number(mask):#x}" if mask else "")


def match_name(key, proto):
    if key in ("tp_src", "tp_dst"):
        prefix = {6: "tcp", 17: "udp", 132: "sctp"}.get(proto)
        if prefix is None:
            raise Unmapped(key)
        return f"{prefix}_{key[3:]}"
    if key in ("icmp_type", "icmp_code", "icmpv6_type", "icmpv6_code"):
        return ("icmpv4_" if proto == 1 else "icmpv6_") + key.split("_")[1]
    if key in MATCH_NAMES:
        return MATCH_NAMES[key]
    raise Unmapped(key)


def split_top(text):
    """Splits at commas outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    if cur:
        parts.append(cur)
    return parts


def action(token):
    if token in RESERVED_PORTS:
        return f"output:{token}"
    m = re.fullmatch(r"CONTROLLER:(\d+)", token)
    if m:
        return f"output:CONTROLLER:{m.group(1)}"
    m = re.fullmatch(r"output:(\w+)", token)
    if m:
        return f"output:{m.group(1)}"
    m = re.fullmatch(r"set_field:(.+)->(\w+)", token)
    if m:
        name = SET_FIELD_NAMES.get(m.group(2))
        if name is None:
            raise Unmapped(token)
        return f"set_field:{name}={field_value(name, m.group(1))}"
    m = re.fullmatch(r"write_actions\((.*)\)", token)
    if m:
        return "write_actions(" + ",".join(action(t) for t in split_top(m.group(1))) + ")"
    m = re.fullmatch(r"(set_mpls_ttl)\((\d+)\)", token)
    if m:
        return f"set_mpls_ttl:{m.group(2)}"
    m = re.fullmatch(r"mod_nw_ttl:(\d+)", token)
    if m:
        return f"set_nw_ttl:{m.group(1)}"
    m = re.fullmatch(r"(push_vlan|push_mpls|pop_mpls|push_pbb):(\w+)", token)
    if m:
        return f"{m.group(1)}:{number(m.group(2)):#06x}"
    m = re.fullmatch(r"write_metadata:(\w+)(?:/(\w+))?", token)
    if m:
        value, mask = number(m.group(1)), m.group(2)
        if mask is None or number(mask) == (1 << 64) - 1:
            return f"write_metadata:{value:#x}"
        return f"write_metadata:{value:#x}/{number(mask):#x}"
    if token == "dec_ttl":
        return "dec_nw_ttl"
    if re.fullmatch(r"(meter|goto_table|group|set_queue):\d+", token) or token in (
            "pop_vlan", "dec_mpls_ttl", "copy_ttl_in", "copy_ttl_out", "pop_pbb", "clear_actions"):
        return token
    raise Unmapped(token)


def canonical(line):
    line = line.strip()
    head, sep, actions_text = line.partition(" actions=")
    if not sep:
        raise Unmapped(line)
    tokens = [t for t in re.split(r"[ ,]+", head) if t]
    header = {"table": 0, "priority": 32768, "idle_timeout": 0, "hard_timeout": 0}
    cookie = 0
    flags = []
    fields = {}
    raw = []
    for t in tokens:
        key, eq, value = t.partition("=")
        if key in IGNORED:
            continue
        if not eq:
            if t in FLAGS:
                flags.append(t)
            elif t in SHORTHANDS:
                fields.update(SHORTHANDS[t])
            else:
                raise Unmapped(t)
        elif key == "cookie":
            cookie = number(value)
        elif key in HEADER_NUMBERS:
            header[key] = number(value)
        else:
            raw.append((key, value))
    proto = fields.get("ip_proto")
    for key, value in raw:
        if key in ("nw_proto", "ip_proto"):
            proto = number(value)
    match = {}
    for key, value in raw:
        if key == "dl_vlan":
            match["vlan_vid"] = str(0x1000 | number(value))
            continue
        if key == "nw_tos":
            match["ip_dscp"] = str(number(value) >> 2)
            continue
        name = match_name(key, proto)
        if name in ("ipv4_src", "ipv4_dst") and fields.get("eth_type") == 0x0806:
            name = "arp_spa" if name == "ipv4_src" else "arp_tpa"
        match[name] = field_value(name, value)
    for name, value in fields.items():
        match.setdefault(name, f"{value:#06x}" if name == "eth_type" else str(value))
    flags.sort(key=FLAGS.index)
    acts = [] if actions_text in ("drop", "") else [action(t) for t in split_top(actions_text)]
    return (f"table={header['table']} priority={header['priority']} cookie={cookie:#x} "
            f"idle_timeout={header['idle_timeout']} hard_timeout={header['hard_timeout']} "
            f"flags={','.join(flags) or '-'} "
            f"match={','.join(sorted(f'{k}={v}' for k, v in match.items())) or 'any'} "
            f"actions={','.join(acts) or 'drop'}")


def canonical_lines(text):
    out = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("OFPST_FLOW") or "reply (OF" in line:
            continue
        try:
            out.append(canonical(line))
        except (Unmapped, ValueError) as e:
            out.append(f"unmapped: {line.strip()} ({e})")
    return sorted(out)


def show_section(text, section):
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("# "):
            inside = line[2:].split()[0] == section
            continue
        if inside and line.strip():
            lines.append(line)
    return sorted(lines)


def main(argv):
    if len(argv) >= 1 and argv[0] == "--compare":
        if len(argv) != 4:
            print(__doc__, file=sys.stderr)
            return 2
        dump = canonical_lines(open(argv[1]).read())
        belief = show_section(open(argv[2]).read(), argv[3])
        if dump == belief:
            return 0
        sys.stdout.writelines(difflib.unified_diff(
            [l + "\n" for l in belief], [l + "\n" for l in dump],
            f"{argv[3]}: vmnctl-ofc --show-flows", f"{argv[3]}: ovs-ofctl dump-flows"))
        return 1
    text = open(argv[0]).read() if argv else sys.stdin.read()
    for line in canonical_lines(text):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
