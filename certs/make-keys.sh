#!/usr/bin/env bash
# Makes a connector key set: RSA-3072 signing key and RSA-3072 encryption key, each with a
# self-signed certificate (eIDAS CR 1.4: RSA >= 3072; separate keys for signing and encryption).
# Usage: certs/make-keys.sh OUT_DIR "CN=eIDAS connector,O=Example,C=FR" [DAYS]
# Production keys belong in an HSM or a secret store, never in this repository.
set -euo pipefail
out=${1:?output folder}
subject=${2:?subject, e.g. "/CN=eIDAS connector/O=Example/C=FR"}
days=${3:-825}
mkdir -p "$out"
for use in sign enc; do
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$out/$use.key.pem" 2>/dev/null
  openssl req -new -x509 -key "$out/$use.key.pem" -out "$out/$use.crt.pem" -days "$days" -sha256 \
    -subj "$subject" -addext "keyUsage=critical,$([ $use = sign ] && echo digitalSignature || echo keyEncipherment,keyAgreement)"
done
echo "wrote $out/{sign,enc}.{key,crt}.pem"
