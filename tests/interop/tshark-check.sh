#!/usr/bin/env bash
# ctest `interop_tshark`: writes every sample message with the codec into a pcap and asks
# tshark (Wireshark's OpenFlow 1.3 dissector, openflow_v4) whether each frame is the message
# we meant, with no malformed packet and no expert item of severity warning or error.
# A negative control (one FLOW_MOD deliberately broken) must be caught by the same check.
# Usage: tshark-check.sh PATH/TO/vmnmob_interop_pcap WORKDIR
set -euo pipefail
gen=$1
work=$2
command -v tshark >/dev/null || { echo "tshark not installed (apt-get install tshark)" >&2; exit 1; }

# check PCAP EXPECTED: prints every disagreement; returns 1 if there is any.
check() {
  local pcap=$1 expected=$2 fields=$1.fields expert=$1.expert fail=0
  # Without "decode as": the dissector claims TCP port 6653 on its own.
  tshark -n -r "$pcap" -T fields -E separator='|' \
    -e frame.number -e openflow_v4.version -e openflow_v4.type \
    -e openflow_v4.multipart_request.type -e openflow_v4.multipart_reply.type -e _ws.malformed \
    2>/dev/null >"$fields"
  local frame type mp name line version got_type mp_req mp_rep malformed got_mp
  while read -r frame type mp name; do
    line=$(awk -F'|' -v f="$frame" '$1 == f' "$fields")
    IFS='|' read -r _ version got_type mp_req mp_rep malformed <<<"$line"
    # An error message dissects the request it carries too: the first value is the outer one.
    got_type=${got_type%%,*}
    version=${version%%,*}
    got_mp=${mp_req:-$mp_rep}
    got_mp=${got_mp%%,*}
    local problems=()
    [[ "$version" == 4 || "$version" == 0x04 ]] || problems+=("version '$version'")
    [[ "$got_type" == "$type" ]] || problems+=("type '$got_type' (want $type)")
    if [[ "$mp" != - && "$got_mp" != "$mp" ]]; then problems+=("multipart type '$got_mp' (want $mp)"); fi
    [[ -z "$malformed" ]] || problems+=("malformed: $malformed")
    if ((${#problems[@]})); then
      echo "frame $frame ($name): ${problems[*]}"
      fail=1
    fi
  done <"$expected"
  # Expert info of severity warning or error is a complaint about our bytes.
  tshark -n -r "$pcap" -q -z expert,warn 2>/dev/null >"$expert"
  if grep -qE '^(Errors|Warns) \(' "$expert"; then
    echo "tshark expert items of severity warning/error:"
    cat "$expert"
    tshark -n -r "$pcap" -Y '_ws.expert.severity >= 6291456 || _ws.malformed' -V 2>/dev/null | head -200
    fail=1
  fi
  return $fail
}

"$gen" --corrupt "$work/control.pcap" "$work/control.expected"
if check "$work/control.pcap" "$work/control.expected" >"$work/control.log"; then
  echo "FAIL: the negative control (a FLOW_MOD with a wrong match length) was not caught" >&2
  exit 1
fi
grep -q '(FLOW_MOD)' "$work/control.log" || { echo "FAIL: control caught, but not at the FLOW_MOD:" >&2; cat "$work/control.log" >&2; exit 1; }

"$gen" "$work/interop.pcap" "$work/interop.expected"
if ! check "$work/interop.pcap" "$work/interop.expected" >&2; then
  echo "FAIL: tshark disagrees with the codec (see above); pcap kept at $work/interop.pcap" >&2
  exit 1
fi
echo "PASS: $(wc -l <"$work/interop.expected") OpenFlow 1.3 messages dissected by tshark as expected," \
     "no malformed or expert warnings; the broken control was caught"
