#!/usr/bin/env bash
# vmnctl-ofc's northbound API with curl, loopback only: northbound.listen and .token from the
# configuration, --check-config's "path: reason" for a bad section, /healthz without the token,
# /readyz 503 naming the missing site until its switch (the fake switch) connects, then 200,
# /v1/switches showing it, /v1/config with the token redacted, and POST /v1/reload doing what
# SIGHUP does (applied: 200, refused: 409 with the reason).
set -euo pipefail
bin=$1
fake_switch=$2
work=$(mktemp -d /tmp/vmnctl-northbound.XXXXXX)
pid=""
sw=""
cleanup() {
  [[ -n "$sw" ]] && kill "$sw" 2>/dev/null && { wait "$sw" 2>/dev/null || true; }
  [[ -n "$pid" ]] && kill -TERM "$pid" 2>/dev/null && { wait "$pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  [[ -f "$work/log" ]] && cat "$work/log" >&2
  exit 1
}
command -v curl >/dev/null || { echo "SKIP: curl is not installed"; exit 77; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
of_port=$(free_port)
api_port=$(free_port)
token=0123456789abcdef-test
config() {  # config FILE POOL_A NORTHBOUND
  cat >"$1" <<JSON
{ "openflow": {"listen": "127.0.0.1:$of_port"},
  "home": {"prefix": "10.10.0.0/24", "gateway": "10.10.0.254"},
  "sites": [
    {"name": "site-a", "dpid": "0xa", "uplink": "up-a", "gateway": "192.168.1.1", "mobile_pool": $2}
  ],
  "northbound": $3 }
JSON
}
api() {  # api METHOD PATH [curl args]: prints the body, then the status on its own line
  local method=$1 path=$2
  shift 2
  curl -sS -X "$method" -w '\n%{http_code}\n' "$@" "http://127.0.0.1:$api_port$path"
}
status() { tail -n1 <<<"$1"; }
body() { sed '$d' <<<"$1"; }
field() { python3 -c 'import json, sys; print(eval("d" + sys.argv[1], {"d": json.load(sys.stdin)}))' "$1"; }

# --check-config names a bad section's problems.
config "$work/bad.json" '["192.168.1.100-192.168.1.109"]' '{"listen": "localhost", "token": "short", "tls": 1}'
if "$bin" --check-config "$work/bad.json" >"$work/check" 2>&1; then fail "--check-config accepted a bad northbound"; fi
grep -qF 'northbound.tls: unknown key' "$work/check" || fail "no unknown key: $(cat "$work/check")"
grep -qF 'northbound.listen: not an ADDR:PORT endpoint' "$work/check" || fail "no listen error: $(cat "$work/check")"
grep -qF 'northbound.token: must be at least 16 characters' "$work/check" || fail "no token error: $(cat "$work/check")"

config "$work/c.json" '["192.168.1.100-192.168.1.109"]' "{\"listen\": \"127.0.0.1:$api_port\", \"token\": \"$token\"}"
"$bin" --check-config "$work/c.json" >/dev/null || fail "--check-config refused a good northbound"
"$bin" --config "$work/c.json" >"$work/log" 2>&1 &
pid=$!
for ((i = 0; i < 50; i++)); do
  grep -qF "northbound API on http://127.0.0.1:$api_port" "$work/log" && break
  sleep 0.1
done
grep -qF "northbound API on http://127.0.0.1:$api_port (bearer token required)" "$work/log" || fail "API not listening"
auth=(-H "Authorization: Bearer $token")

r=$(api GET /healthz)
[[ $(status "$r") == 200 && $(body "$r" | field '["status"]') == ok ]] || fail "/healthz: $r"
r=$(api GET /readyz)
[[ $(status "$r") == 401 && $(body "$r" | field '["error"]["code"]') == unauthorized ]] || fail "/readyz without token: $r"
r=$(api GET /readyz "${auth[@]}")
[[ $(status "$r") == 503 ]] || fail "/readyz without switch: $r"
[[ $(body "$r" | field '["error"]["message"]') == "switches not connected: site-a (0x000000000000000a)" ]] || fail "/readyz: $r"

"$fake_switch" --port "$of_port" --dpid 0xa --hold-s 30 >"$work/sw.log" 2>&1 &
sw=$!
for ((i = 0; i < 50; i++)); do
  [[ $(status "$(api GET /readyz "${auth[@]}")") == 200 ]] && break
  sleep 0.1
done
r=$(api GET /readyz "${auth[@]}")
[[ $(status "$r") == 200 && $(body "$r" | field '["ready"]') == True ]] || fail "/readyz with the switch: $r"

r=$(api GET /v1/switches "${auth[@]}")
[[ $(status "$r") == 200 ]] || fail "/v1/switches: $r"
s=$(body "$r")
[[ $(field '["switches"][0]["dpid"]' <<<"$s") == 0x000000000000000a ]] || fail "dpid: $s"
[[ $(field '["switches"][0]["site"]' <<<"$s") == site-a ]] || fail "site: $s"
[[ $(field '["switches"][0]["connected"]' <<<"$s") == True ]] || fail "connected: $s"
[[ $(field '["switches"][0]["peer"]' <<<"$s") == 127.0.0.1:* ]] || fail "peer: $s"
[[ $(field '["switches"][0]["connected_since"]' <<<"$s") =~ ^20[0-9-]+T[0-9:.]+Z$ ]] || fail "connected_since: $s"

r=$(api GET /v1/config "${auth[@]}")
[[ $(body "$r" | field '["northbound"]["token"]') == "<redacted>" ]] || fail "/v1/config shows the token: $r"
grep -qF "$token" <<<"$r" && fail "/v1/config leaks the token"

r=$(api GET /v1/pools "${auth[@]}")
[[ $(body "$r" | field '["pools"][0]["size"]') == 10 ]] || fail "/v1/pools: $r"

# POST /v1/reload is SIGHUP: a grown pool applies, a lost address is refused (409).
config "$work/c.json" '["192.168.1.100-192.168.1.119"]' "{\"listen\": \"127.0.0.1:$api_port\", \"token\": \"$token\"}"
r=$(api POST /v1/reload "${auth[@]}")
[[ $(status "$r") == 200 ]] || fail "reload (grow): $r"
[[ $(body "$r" | field '["changes"]') == "['pool of site-a grown by 10 addresses to 20']" ]] || fail "reload changes: $r"
grep -qF "configuration reloaded (1 pools grown)" "$work/log" || fail "reload not logged as SIGHUP's"
r=$(api GET /v1/pools "${auth[@]}")
[[ $(body "$r" | field '["pools"][0]["size"]') == 20 ]] || fail "pool not grown: $r"
config "$work/c.json" '["192.168.1.100-192.168.1.109"]' "{\"listen\": \"127.0.0.1:$api_port\", \"token\": \"$token\"}"
r=$(api POST /v1/reload "${auth[@]}")
[[ $(status "$r") == 409 && $(body "$r" | field '["error"]["code"]') == reload_refused ]] || fail "reload (shrink): $r"
[[ $(body "$r" | field '["error"]["refusals"][0]') == *"192.168.1.110 would leave the pool"* ]] || fail "refusal: $r"
r=$(api GET /v1/pools "${auth[@]}")
[[ $(body "$r" | field '["pools"][0]["size"]') == 20 ]] || fail "refused reload changed the pool: $r"
echo "PASS"
