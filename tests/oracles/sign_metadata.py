#!/usr/bin/env python3
"""Write a proxy service's signed metadata for a test-time address; print it to stdout.

Independent signer for the Rust tests that serve metadata on a loopback port (the peers module,
the service tests' mock proxy): the metadata of the committed vector
`tests/vectors/saml/proxy-metadata.xml`, rendered by the same generator
(`tests/vectors/saml_gen/metadata.py`) with another entityID, SingleSignOnService URL, NodeCountry,
validUntil or response-signing certificate, then signed by python-xmlsec (libxmlsec1), never by
our Rust code: enveloped, exc-c14n, sha256-rsa-MGF1 + sha256, Reference #ID, KeyInfo with the
signer's certificate.

Usage:
    sign_metadata.py --entity-id URL [--sso-url URL] [--country CC] [--valid-until INSTANT]
                     [--signing-cert NAME] [--signer NAME]

NAME is a key pair of certs/test-pki (`idp-rsa3072` → certs/test-pki/idp-rsa3072.crt.pem).
Defaults: the vector's SSO URL, country ES, validUntil 2027-11-25T00:00:00Z, signing
certificate idp-rsa3072, signer idp-metadata-signer (the trust anchor the tests configure).
"""

import argparse
import sys

sys.dont_write_bytecode = True  # keep the tree free of __pycache__

from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent  # tests/oracles (saml_gen imports the oracles too)
sys.path.insert(0, str(HERE.parent / "vectors"))  # the saml_gen package

from saml_gen import metadata  # noqa: E402
from saml_gen import scenario as s  # noqa: E402
from saml_gen.xmlcrypto import cert_b64, sign, signature_template  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entity-id", required=True, help="entityID (the URL the metadata is served at)")
    ap.add_argument("--sso-url", default=s.PROXY_SSO_URL, help="SingleSignOnService (HTTP-POST) Location")
    ap.add_argument("--country", default=s.COUNTRY, help="eidas:NodeCountry")
    ap.add_argument("--valid-until", default=metadata.VALID_UNTIL, help="validUntil (xsd:dateTime)")
    ap.add_argument("--signing-cert", default=s.IDP_SIGNING, help="certs/test-pki name of the use=signing cert")
    ap.add_argument("--signer", default=s.METADATA_SIGNER, help="certs/test-pki name of the metadata signer")
    args = ap.parse_args()
    try:
        text = metadata.render(
            args.valid_until,
            signing_cert=cert_b64(args.signing_cert),
            signature=signature_template("#" + s.METADATA_ID),
            entity=metadata.ProxyEntity(entity_id=args.entity_id, sso_url=args.sso_url, country=args.country),
        )
        signed = sign(text, args.signer)
    except Exception as e:  # noqa: BLE001 - report any failure as the oracle's verdict
        print(f"sign_metadata: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(signed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
