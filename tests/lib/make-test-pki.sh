#!/usr/bin/env bash
# make-test-pki.sh DIR NAME[@CA]...: a throwaway PKI for tests, made at test time (no key is
# ever committed). Always makes two CAs, "ca" and "other-ca"; then one certificate per NAME
# (CN=NAME, O=vmnmob test) signed by "ca", or by the CA after "@". Files: DIR/NAME.pem,
# DIR/NAME.key (PEM, unencrypted EC P-256), DIR/ca.pem, DIR/other-ca.pem.
set -euo pipefail
dir=$1
shift
mkdir -p "$dir"
cd "$dir"
umask 077
newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
make_ca() {
  openssl req -x509 "${newkey[@]}" -keyout "$1.key" -out "$1.pem" -days 2 \
    -subj "/O=vmnmob test/CN=$1" >/dev/null 2>&1
}
make_leaf() {  # name ca
  openssl req "${newkey[@]}" -keyout "$1.key" -out "$1.csr" -subj "/O=vmnmob test/CN=$1" >/dev/null 2>&1
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" -days 2 >/dev/null 2>&1
  rm -f "$1.csr"
}
[[ -f ca.pem ]] || make_ca ca
[[ -f other-ca.pem ]] || make_ca other-ca
for spec in "$@"; do
  name=${spec%@*}
  issuer=ca
  [[ $spec == *@* ]] && issuer=${spec#*@}
  make_leaf "$name" "$issuer"
done
