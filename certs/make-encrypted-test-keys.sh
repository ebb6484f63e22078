#!/usr/bin/env bash
# Makes the ENCRYPTED TEST keys of certs/test-pki/encrypted/ with the openssl CLI (an
# implementation independent of the connector's loader), from the committed TEST keys
# sp-sign-rsa3072 and sp-enc-ec-p256. TEST ONLY: the passphrase is committed beside them.
# Usage: certs/make-encrypted-test-keys.sh   (re-run to remake them; existing files are replaced)
set -euo pipefail
cd "$(dirname "$0")/test-pki"
out=encrypted
pass="test passphrase, not for production"
mkdir -p "$out"
printf '%s\n' "$pass" >"$out/passphrase.txt"
# Encrypted PKCS#8 (PBES2, AES-256-CBC, PBKDF2-HMAC-SHA256): -----BEGIN ENCRYPTED PRIVATE KEY-----
openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -in sp-sign-rsa3072.key.pem \
  -out "$out/sp-sign-rsa3072.pkcs8.key.pem" -passout "pass:$pass"
openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -in sp-enc-ec-p256.key.pem \
  -out "$out/sp-enc-ec-p256.pkcs8.key.pem" -passout "pass:$pass"
# Legacy (traditional) encrypted PEM: Proc-Type: 4,ENCRYPTED / DEK-Info: AES-256-CBC.
openssl rsa -traditional -aes256 -in sp-sign-rsa3072.key.pem \
  -out "$out/sp-sign-rsa3072.legacy.key.pem" -passout "pass:$pass" 2>/dev/null
openssl ec -aes256 -in sp-enc-ec-p256.key.pem \
  -out "$out/sp-enc-ec-p256.legacy.key.pem" -passout "pass:$pass" 2>/dev/null
cat >"$out/README.md" <<README
# Encrypted TEST keys — TEST ONLY, never in production

Made by \`certs/make-encrypted-test-keys.sh\` with the openssl CLI ($(openssl version | cut -d' ' -f1-2)) from
the committed TEST keys of \`certs/test-pki/\` (their certificates are there). The passphrase is
committed too (\`passphrase.txt\`, with a trailing newline, as an operator's file would have).

| file | format | key |
|---|---|---|
| \`sp-sign-rsa3072.pkcs8.key.pem\` | encrypted PKCS#8 (PBES2 AES-256-CBC, PBKDF2-HMAC-SHA256) | \`sp-sign-rsa3072\` |
| \`sp-enc-ec-p256.pkcs8.key.pem\` | encrypted PKCS#8 (PBES2 AES-256-CBC, PBKDF2-HMAC-SHA256) | \`sp-enc-ec-p256\` |
| \`sp-sign-rsa3072.legacy.key.pem\` | traditional PEM, \`Proc-Type: 4,ENCRYPTED\`, AES-256-CBC | \`sp-sign-rsa3072\` |
| \`sp-enc-ec-p256.legacy.key.pem\` | traditional PEM, \`Proc-Type: 4,ENCRYPTED\`, AES-256-CBC | \`sp-enc-ec-p256\` |
README
echo "wrote certs/test-pki/$out/"
