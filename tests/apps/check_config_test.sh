#!/usr/bin/env bash
# vmnctl-ofc --check-config: the example passes; a broken file fails listing every problem
# as "path: reason".
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
  "sites[1].mobile_pool[0]: overlaps sites[0].mobile_pool[0]"
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
echo "PASS"
