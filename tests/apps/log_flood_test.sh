#!/usr/bin/env bash
# vmnctl-ofc's log under a flood a peer causes at will: 400 connections claiming a datapath id
# the configuration does not know, each refused. At most log.lines_per_second "switch refused"
# lines a second are written; one "log-suppressed" summary line a second counts the rest, and
# the written lines plus the summaries' counts are exactly the refusals.
set -euo pipefail
bin=$1
work=$(mktemp -d /tmp/vmnctl-logflood.XXXXXX)
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [[ -n "${KEEP:-}" ]] && cp "$work/log" /tmp/persist-flood.log
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [[ -f "$work/log" ]] && tail -40 "$work/log" >&2
  exit 1
}

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/config.json" <<JSON
{ "openflow": {"listen": "127.0.0.1:$port"},
  "home": {"prefix": "10.10.0.0/24", "gateway": "10.10.0.254"},
  "sites": [{"name": "site-a", "dpid": "0xa", "uplink": "up-a", "gateway": "192.168.1.1",
             "mobile_pool": ["192.168.1.100-192.168.1.199"]}],
  "log": {"level": "info", "lines_per_second": 10} }
JSON
"$bin" --config "$work/config.json" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q "listening" "$work/log" && break; sleep 0.05; done

attempts=400
start=$(date +%s.%N)
# Each connection does the whole handshake as datapath 0xdead and is refused at its end.
python3 - "$port" "$attempts" <<'PY' || fail "the flood could not run"
import socket, struct, sys
port, attempts = int(sys.argv[1]), int(sys.argv[2])
def messages(s):
    buf = b""
    while True:
        while len(buf) >= 8:
            length = struct.unpack("!H", buf[2:4])[0]
            if len(buf) < length:
                break
            yield buf[:length]
            buf = buf[length:]
        data = s.recv(65536)
        if not data:
            return
        buf += data
refused = 0
for i in range(attempts):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(struct.pack("!BBHI", 4, 0, 8, 1))  # HELLO
    for m in messages(s):
        kind, xid = m[1], struct.unpack("!I", m[4:8])[0]
        if kind == 5:  # FEATURES_REQUEST -> FEATURES_REPLY, datapath 0xdead
            s.sendall(struct.pack("!BBHIQIBB2xII", 4, 6, 32, xid, 0xdead, 256, 254, 0, 0, 0))
        elif kind == 18:  # MULTIPART_REQUEST (PORT_DESC) -> an empty PORT_DESC reply
            s.sendall(struct.pack("!BBHIHH4x", 4, 19, 16, xid, 13, 0))
    refused += 1
    s.close()
sys.exit(0 if refused == attempts else 1)
PY
elapsed=$(python3 -c "import time; print(time.time() - $start)")
sleep 2.5  # the last second's summary
kill -0 "$pid" 2>/dev/null || fail "the controller died"

written=$(grep -c "switch refused: dp 0x000000000000dead" "$work/log" || true)
suppressed=$(python3 - "$work/log" <<'PY'
import re, sys
total = 0
for line in open(sys.argv[1]):
    m = re.search(r"(\d+) more switch-refused lines suppressed", line)
    if m:
        total += int(m.group(1))
print(total)
PY
)
summaries=$(grep -c "more switch-refused lines suppressed" "$work/log" || true)
seconds=$(python3 -c "import math; print(math.ceil($elapsed) + 3)")
echo "flood of $attempts in ${elapsed}s: $written lines written, $summaries summaries counting $suppressed"
(( written + suppressed == attempts )) || fail "written $written + suppressed $suppressed != $attempts refusals"
(( written <= 10 * seconds )) || fail "$written lines in about $seconds s: not limited to 10 a second"
(( summaries >= 1 && summaries <= seconds )) || fail "$summaries summary lines in about $seconds s"
(( $(wc -l <"$work/log") <= 12 * seconds + 10 )) || fail "the log grew to $(wc -l <"$work/log") lines"
echo "PASS: log bounded under a flood of refused switches, summaries count every suppressed line"
