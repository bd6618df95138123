#!/bin/sh
# tls-demo.sh DIR [NAME...] - the demo's certificates, made once with the
# openssl command: DIR/ca.pem (a local CA to trust in a browser or pass to
# curl --cacert) and DIR/localhost.pem with its key, ECDSA P-256, for
# localhost, 127.0.0.1, ::1 and any NAME given. Nothing is made when
# DIR/localhost.pem exists already; remove DIR to start again.
#
# The CA is name-constrained to what it signs here (localhost and below,
# the loopback addresses and the NAMEs), so a browser that trusts it
# trusts it for nothing else, even if its key were copied. Keys are mode
# 600 in a folder of mode 700 and never leave it.
set -eu

dir=${1:?usage: tls-demo.sh DIR [NAME...]}
shift
[ -f "$dir/localhost.pem" ] && exit 0
command -v openssl >/dev/null || { echo "tls-demo.sh: openssl not found" >&2; exit 1; }

umask 077
mkdir -p "$dir"
chmod 700 "$dir"
tmp=$(mktemp -d "$dir/.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

san="DNS:localhost,IP:127.0.0.1,IP:::1"
permitted="DNS:localhost,IP:127.0.0.0/255.0.0.0,IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
for n in "$@"; do
	san="$san,DNS:$n"
	permitted="$permitted,DNS:$n"
done

cat >"$tmp/ca.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
x509_extensions = v3_ca
[dn]
CN = camada demo CA ($(hostname 2>/dev/null || echo local))
O = camada demo (make run)
[v3_ca]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
nameConstraints = critical,permitted;$(echo "$permitted" | sed 's/,/,permitted;/g')
EOF

cat >"$tmp/leaf.cnf" <<EOF
[req]
distinguished_name = dn
prompt = no
[dn]
CN = localhost
[leaf]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
subjectAltName = $san
EOF

q() { "$@" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; exit 1; }; }

q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$tmp/ca.key"
q openssl req -new -x509 -config "$tmp/ca.cnf" -key "$tmp/ca.key" \
    -days 3650 -sha256 -out "$tmp/ca.pem"
q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$tmp/localhost.key"
q openssl req -new -config "$tmp/leaf.cnf" -key "$tmp/localhost.key" \
    -out "$tmp/localhost.csr"
# 397 days: the longest a browser accepts for a server certificate
q openssl x509 -req -in "$tmp/localhost.csr" -CA "$tmp/ca.pem" \
    -CAkey "$tmp/ca.key" -CAcreateserial -days 397 -sha256 \
    -extfile "$tmp/leaf.cnf" -extensions leaf -out "$tmp/localhost.pem"

chmod 644 "$tmp/ca.pem" "$tmp/localhost.pem"
mv "$tmp/ca.key" "$tmp/localhost.key" "$tmp/ca.pem" "$dir/"
# the certificate last: its presence says the folder is complete
mv "$tmp/localhost.pem" "$dir/"
echo "tls-demo.sh: made $dir/ca.pem and $dir/localhost.pem ($san)"
