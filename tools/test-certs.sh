#!/usr/bin/env bash
# tools/test-certs.sh DIR -- make a throw-away PKI for the TLS tests.
#
# Writes into DIR (created if needed), unless DIR/.done already exists:
#   ca.pem ca.key          a self-signed test CA
#   server.pem server.key  CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1
#   client.pem client.key  CN=siphon-test-client (for mutual TLS)
#   other-ca.pem           a second CA that signed nothing here (verify failures)
# Keys are EC P-256 so generation takes milliseconds. Nothing here is secret:
# the tests make these at run time and never ship them.
set -euo pipefail
dir=${1:?usage: tools/test-certs.sh DIR}
mkdir -p "$dir"
[ -e "$dir/.done" ] && exit 0
cd "$dir"
days=3650
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -sha256 -days $days -subj "/CN=siphon test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.pem

leaf() { # name subject extensions
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
    -sha256 -days $days -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
leaf server "/CN=localhost" \
  "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature"
leaf client "/CN=siphon-test-client" \
  "extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature"

key other-ca.key
openssl req -x509 -new -key other-ca.key -sha256 -days $days -subj "/CN=siphon other CA" \
  -addext "basicConstraints=critical,CA:TRUE" -out other-ca.pem
rm -f other-ca.key ca.srl
touch .done
