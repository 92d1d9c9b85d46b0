#!/usr/bin/env bash
# vmnctl-ofc's TLS and admission keys: openflow.tls (files loaded at --check-config time),
# ssl:/tcp: endpoints, sites[].certificate, sites[].allowed_peers; every problem named by
# path; --listen ssl: without openflow.tls refused. Certificates are made here, at test time.
set -euo pipefail
bin=$1 here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$here/../lib/make-test-pki.sh" "$work/pki" controller >/dev/null
p=$work/pki

config() {  # openflow-json site-a-extra
  cat <<JSON
{ "openflow": $1,
  "home": { "prefix": "10.10.0.0/24", "gateway": "10.10.0.254" },
  "sites": [ { "name": "site-a", "dpid": "0xa", "uplink": "upA", "gateway": "192.168.1.1",
               "mobile_pool": ["192.168.1.100-192.168.1.199"] $2 } ] }
JSON
}
fail=0
expect_ok() {  # name file
  if ! out=$("$bin" --check-config "$2" 2>&1); then echo "FAIL: $1 rejected: $out"; fail=1; else echo "ok: $1"; fi
}
expect_errors() {  # name file expected...
  local name=$1 file=$2 e
  shift 2
  if out=$("$bin" --check-config "$file" 2>&1); then echo "FAIL: $name accepted"; fail=1; return; fi
  for e in "$@"; do grep -qF -- "$e" <<<"$out" || { echo "FAIL: $name: missing '$e' in:"; echo "$out"; fail=1; }; done
  [[ $(wc -l <<<"$out") -eq $# ]] || { echo "FAIL: $name: expected $# problems:"; echo "$out"; fail=1; }
  echo "ok: $name"
}

fp=$(openssl x509 -in "$p/controller.pem" -noout -fingerprint -sha256 | cut -d= -f2)
tls="\"tls\": {\"certificate\": \"$p/controller.pem\", \"private_key\": \"$p/controller.key\", \"ca_certificate\": \"$p/ca.pem\"}"

config "{\"listen\": \"ssl:0.0.0.0:6653\", \"connect\": [\"tcp:127.0.0.1:6640\", \"ssl:[::1]:6641\"], $tls}" \
  ", \"certificate\": \"sha256:$fp\", \"allowed_peers\": [\"192.168.1.0/24\", \"fd00::/8\", \"127.0.0.1\"]" >"$work/good.json"
expect_ok "ssl listen, fingerprint with colons, allowed_peers" "$work/good.json"
lower=$(tr -d ':' <<<"$fp" | tr 'A-F' 'a-f')
config "{\"listen\": \"ssl:127.0.0.1:6653\", $tls}" ", \"certificate\": \"sha256:$lower\"" >"$work/good2.json"
expect_ok "fingerprint lower case without colons" "$work/good2.json"
config "{\"listen\": \"127.0.0.1:6653\"}" ", \"certificate\": \"subject:CN=switch-a,O=vmnmob test\"" >"$work/good3.json"
expect_ok "subject binding, plain listen" "$work/good3.json"

config "{\"listen\": \"ssl:0.0.0.0:6653\", \"connect\": [\"ssl:127.0.0.1:1\"]}" \
  ", \"certificate\": \"md5:00\", \"allowed_peers\": [\"10.0.0.0/33\", \"host\"]" >"$work/bad1.json"
expect_errors "ssl without tls, bad bindings" "$work/bad1.json" \
  "openflow.listen: ssl: needs openflow.tls" \
  "openflow.connect[0]: ssl: needs openflow.tls" \
  "sites[0].certificate: must be \"sha256:<fingerprint>\" or \"subject:<KEY=VALUE,...>\"" \
  "sites[0].allowed_peers[0]: not an IPv4 or IPv6 network" \
  "sites[0].allowed_peers[1]: not an IPv4 or IPv6 network"

config "{\"listen\": \"ssl:0.0.0.0:6653\", \"tls\": {\"certificate\": \"$p/nope.pem\", \"private_key\": \"$p/controller.key\", \"ca_certificate\": \"$p/ca.pem\", \"crl\": 1}}" \
  ", \"certificate\": \"sha256:AB:CD\"" >"$work/bad2.json"
expect_errors "missing certificate file, unknown key, short fingerprint" "$work/bad2.json" \
  "openflow.tls.crl: unknown key" \
  "openflow.tls.certificate: $p/nope.pem: cannot open" \
  "sites[0].certificate: not a SHA-256 fingerprint"

config "{\"tls\": {\"certificate\": \"$p/controller.pem\", \"private_key\": \"$p/ca.key\", \"ca_certificate\": \"$p/ca.pem\"}}" \
  ", \"certificate\": \"subject:\"" >"$work/bad3.json"
expect_errors "key of another certificate, empty subject" "$work/bad3.json" \
  "openflow.tls.private_key: $p/ca.key:" \
  "sites[0].certificate: not a subject"

config "{\"tls\": {\"certificate\": \"$p/controller.pem\"}}" "" >"$work/bad4.json"
expect_errors "tls fields required" "$work/bad4.json" \
  "openflow.tls.private_key: is required" "openflow.tls.ca_certificate: is required"

# --listen ssl: needs openflow.tls (checked before anything starts).
config "{\"listen\": \"127.0.0.1:16653\"}" "" >"$work/plain.json"
if out=$("$bin" --config "$work/plain.json" --listen ssl:127.0.0.1:16653 2>&1); then
  echo "FAIL: --listen ssl: without openflow.tls accepted"; fail=1
else
  grep -qF -- "--listen: ssl: needs openflow.tls" <<<"$out" || { echo "FAIL: --listen: $out"; fail=1; }
  echo "ok: --listen ssl: without openflow.tls"
fi
# SIGHUP: openflow.tls, the listen transport, sites[].certificate and allowed_peers cannot
# change live; the reload is refused by name and the controller keeps serving.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
config "{\"listen\": \"127.0.0.1:$port\"}" "" >"$work/live.json"
"$bin" --config "$work/live.json" >"$work/log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do grep -q "listening for switches" "$work/log" && break; sleep 0.1; done
config "{\"listen\": \"ssl:127.0.0.1:$port\", $tls}" \
  ", \"certificate\": \"sha256:$fp\", \"allowed_peers\": [\"127.0.0.1\"]" >"$work/live.json"
kill -HUP "$pid"
for _ in $(seq 50); do (($(grep -c "reload refused" "$work/log" || true) >= 4)) && break; sleep 0.1; done
for e in "openflow.listen cannot change while running" "openflow.tls cannot change while running" \
  "sites[0].certificate (site-a) cannot change while running" \
  "sites[0].allowed_peers (site-a) cannot change while running"; do
  grep -qF "reload refused: $e; nothing changed" "$work/log" || { echo "FAIL: SIGHUP: missing '$e'"; cat "$work/log"; fail=1; }
done
grep -q "configuration reloaded" "$work/log" && { echo "FAIL: SIGHUP applied"; fail=1; }
kill -0 "$pid" 2>/dev/null || { echo "FAIL: the controller exited"; fail=1; }
echo "ok: SIGHUP refuses TLS and binding changes"
((fail == 0)) && echo PASS
exit "$fail"
