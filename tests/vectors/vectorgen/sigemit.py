"""Writing signature vectors: file + cross-checks + manifest entry, in one call."""

from dataclasses import dataclass

from .common import SIG_DIR, Manifest, rel_xmlsec
from .signing import check_primitives, check_signxml, check_xmlsec, check_xmlsec1

R_NODE = "urn:oasis:names:tc:SAML:2.0:protocol:Response"
A_NODE = "urn:oasis:names:tc:SAML:2.0:assertion:Assertion"
MD_NODE = "urn:oasis:names:tc:SAML:2.0:metadata:EntityDescriptor"

# Accept vectors that most negative vectors are a one-defect mutation of.
BASE = "sig/accept_rsapss_sha256_primitives.xml"
BASE_EC = "sig/accept_ecdsa_p256_sha256_primitives.xml"
BASE_ASSERTION = "sig/accept_assertion_in_response_ecdsa_p256_primitives.xml"


class CrossCheckFailed(RuntimeError):
    """A positive vector did not verify with an independent implementation."""


@dataclass
class SigEmitter:
    pki: dict
    manifest: Manifest
    versions: dict

    def emit(
        self,
        name: str,
        data: bytes,
        *,
        trust,
        expect: str,
        generator: str,
        proves: str,
        element: str = "root",
        sibling: str | None = None,
        options: dict | None = None,
        expect_text: dict | None = None,
        sig_alg: str | None = None,
        cli_node: str | None = None,
        hmac_key: bytes | None = None,
        run_xmlsec: bool = True,
        note: str | None = None,
        write: bool = True,
    ) -> bytes:
        """Writes sig/`name`, cross-checks it, and appends a manifest entry.

        Positive vectors (`expect == "ok"`) must verify with every checker that ran.
        """
        path = SIG_DIR / name
        if write:
            path.write_bytes(data)
        crosscheck = {}
        trust_pki = trust[0] if trust else None
        if run_xmlsec:
            crosscheck["python-xmlsec"] = check_xmlsec(
                data, cert_path=trust_pki.cert_path if trust_pki else None, hmac_key=hmac_key, element=element
            )
            crosscheck["primitives"] = check_primitives(
                data, public_key=trust_pki.cert.public_key() if trust_pki else None, hmac_key=hmac_key,
                element=element,
            )
        if sig_alg is not None and trust_pki is not None:
            crosscheck["signxml"] = check_signxml(data, cert_pem=trust_pki.cert_pem, sig_alg=sig_alg, element=element)
        if cli_node is not None and trust_pki is not None:
            crosscheck["xmlsec1"] = check_xmlsec1(data, cert_path=trust_pki.cert_path, id_node=cli_node)
        if expect == "ok":
            bad = {k: v for k, v in crosscheck.items() if v != "valid"}
            if bad or not crosscheck:
                raise CrossCheckFailed(f"{name}: {bad or 'no cross-check ran'}")
        self.manifest.add(
            file=rel_xmlsec(path),
            op="verify",
            trust=[p.cert_rel for p in trust],
            element=element,
            expect=expect,
            expect_text=expect_text,
            options=options,
            sibling=sibling,
            generator=generator,
            proves=proves,
            crosscheck=crosscheck or None,
            note=note,
        )
        return data
