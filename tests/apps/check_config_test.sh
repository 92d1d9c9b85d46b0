#!/usr/bin/env bash
# vmnctl-ofc --check-config: the example passes; a broken file fails listing every problem
# as "path: reason"; each configuration issue 17 found passing is refused by name.
set -euo pipefail
bin=$1 examples=$2 here=$(cd "$(dirname "$0")" && pwd)
"$bin" --check-config "$examples/vmnctl-ofc.json"
if out=$("$bin" --check-config "$here/broken-config.json" 2>&1); then
  echo "FAIL: broken config accepted"; exit 1
fi
echo "$out"
expect=(
  "openflow.listen: not an ADDR:PORT endpoint"
  "home.gateway: is not inside home.prefix"
  "sites[0].colour: unknown key"
  "sites[0].dpid: not a datapath id"
  "sites[1].gateway: not an IPv4 address"
  "sites[1].mobile_pool[1]: not an address range or prefix"
  "sites[1].name: duplicate site name"
  "sites[1].mobile_pool[0]: 192.168.1.150-192.168.1.160 overlaps sites[0].mobile_pool[0]"
  "mobility.moa_hold_s: must be between"
  "mobility.make_before_break: must be \"switch\" or \"network\""
  "limits.packets: unknown key"
  "limits.connections_per_address: must be a whole number"
  "limits.handshake_timeout_s: must be between"
  "limits.packet_in_per_port.burst: is required"
  "limits.announce_per_switch.burst: must be at least 1"
  "limits.switch_meters: must be true or false"
  "mobility.vmn_idle_s: must be a whole number from 0 to 65535"
  "mobility.max_vmns_per_port: must be a whole number from 0 to 65535"
  "mobility.move_freeze.window: unknown key"
  "mobility.move_freeze.moves: must be a whole number from 0 to 64"
)
for e in "${expect[@]}"; do
  grep -qF "$e" <<<"$out" || { echo "FAIL: missing '$e'"; exit 1; }
done
[[ $(wc -l <<<"$out") -eq ${#expect[@]} ]] || { echo "FAIL: expected ${#expect[@]} problems"; exit 1; }

# ---- issue 17: each of these passed --check-config before ----
work=$(mktemp -d /tmp/vmnctl-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
# site HOME POOL_A POOL_B [DPID_A DPID_B UPLINK_A GATEWAY]: two sites; writes $work/c.json.
config() {
  local home=$1 pool_a=$2 pool_b=$3 dpid_a=${4:-0xa} dpid_b=${5:-0xb} uplink_a=${6:-'"up-a"'} gateway=${7:-10.10.0.254}
  cat >"$work/c.json" <<JSON
{ "home": {"prefix": "$home", "gateway": "$gateway"},
  "sites": [
    {"name": "site-a", "dpid": "$dpid_a", "uplink": $uplink_a, "gateway": "192.168.1.1", "mobile_pool": $pool_a},
    {"name": "site-b", "dpid": "$dpid_b", "uplink": "up-b", "gateway": "192.168.2.1", "mobile_pool": $pool_b} ] }
JSON
}
# refused LINE...: --check-config fails on $work/c.json and prints exactly these lines (any order).
refused() {
  local got
  if got=$("$bin" --check-config "$work/c.json" 2>&1); then
    echo "FAIL: accepted:"; cat "$work/c.json"; exit 1
  fi
  for e in "$@"; do
    grep -qxF "$e" <<<"$got" || { echo "FAIL: missing '$e' in:"; echo "$got"; exit 1; }
  done
  [[ $(wc -l <<<"$got") -eq $# ]] || { echo "FAIL: expected $# problems, got:"; echo "$got"; exit 1; }
}
home=10.10.0.0/24
config $home '["192.168.1.100-192.168.1.199"]' '["192.168.2.100-192.168.2.199"]'
"$bin" --check-config "$work/c.json" >/dev/null || { echo "FAIL: the base configuration is refused"; exit 1; }

# A pool that straddles the home prefix (only its ends were looked at), or one inside it: the
# controller handed out another VM's HoA as a MoA.
config $home '["10.9.0.0/16", "10.9.255.0-10.10.1.0"]' '["10.10.0.1-10.10.0.9"]'
refused "sites[0].mobile_pool[1]: 10.9.255.0-10.10.1.0 overlaps the home prefix 10.10.0.0/24 (home.prefix)" \
        "sites[1].mobile_pool[0]: 10.10.0.1-10.10.0.9 overlaps the home prefix 10.10.0.0/24 (home.prefix)" \
        "sites[1].mobile_pool[0]: 10.10.0.1-10.10.0.9 overlaps sites[0].mobile_pool[1] (10.9.255.0-10.10.1.0)"
# A home prefix of 0.0.0.0/0 (every pool overlaps it too).
config 0.0.0.0/0 '["192.168.1.100-192.168.1.199"]' '["192.168.2.100-192.168.2.199"]'
refused "home.prefix: 0.0.0.0/0 is wider than /8: a home prefix is one subnet of VMs" \
        "sites[0].gateway: 192.168.1.1 is inside home.prefix (0.0.0.0/0): a site router is not a VMN" \
        "sites[1].gateway: 192.168.2.1 is inside home.prefix (0.0.0.0/0): a site router is not a VMN" \
        "sites[0].mobile_pool[0]: 192.168.1.100-192.168.1.199 overlaps the home prefix 0.0.0.0/0 (home.prefix)" \
        "sites[1].mobile_pool[0]: 192.168.2.100-192.168.2.199 overlaps the home prefix 0.0.0.0/0 (home.prefix)"
# Two sites with dpid 0.
config $home '["192.168.1.100-192.168.1.199"]' '["192.168.2.100-192.168.2.199"]' 0 0x0
refused "sites[0].dpid: 0 is not a datapath id" "sites[1].dpid: 0 is not a datapath id"
# A repeated dpid.
config $home '["192.168.1.100-192.168.1.199"]' '["192.168.2.100-192.168.2.199"]' 11 0xb
refused "sites[1].dpid: 0xb repeats sites[0].dpid"
# Uplink "70000": digits in quotes are neither a safe number nor a safe name; above OFPP_MAX.
config $home '["192.168.1.100-192.168.1.199"]' '["192.168.2.100-192.168.2.199"]' 0xa 0xb '"70000"'
refused 'sites[0].uplink: "70000" is a port name of digits only: write a port number as a JSON number (1..0xffffff00)'
config $home '["192.168.1.100-192.168.1.199"]' '["192.168.2.100-192.168.2.199"]' 0xa 0xb 4294967041
refused "sites[0].uplink: must be a port number (1..0xffffff00) or a port name of 1-15 characters"
# The home gateway at the network address of the home prefix.
config $home '["192.168.1.100-192.168.1.199"]' '["192.168.2.100-192.168.2.199"]' 0xa 0xb '"up-a"' 10.10.0.0
refused "home.gateway: 10.10.0.0 is the network address of 10.10.0.0/24"
# A pool of 3.7 billion addresses (all of unicast space but 10/8 from the home prefix on and
# 192/8) is fine: 3.2 billion aborted the controller with std::bad_alloc at start
# (tests/apps/state_check_test.sh starts one). One with multicast addresses is not.
huge='["1.0.0.0-10.9.255.255", "11.0.0.0-126.255.255.255", "128.0.0.0-191.255.255.255", "193.0.0.0-223.255.255.255"]'
config $home "$huge" '["224.0.0.0/24"]'
refused "sites[1].mobile_pool[0]: 224.0.0.0/24 holds addresses of 224.0.0.0 and above (multicast, reserved, broadcast), which no VMN may have as MoA"
config $home "$huge" '["192.168.2.100-192.168.2.199"]'
"$bin" --check-config "$work/c.json" >/dev/null || { echo "FAIL: a pool of 3.7 billion addresses refused"; exit 1; }
echo "PASS"
