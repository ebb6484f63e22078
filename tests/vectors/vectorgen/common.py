"""Paths, algorithm URIs, tool versions and the manifest collector shared by the generators."""

import json
import subprocess
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from cryptography.hazmat.primitives import hashes

VECTORS = Path(__file__).resolve().parent.parent  # tests/vectors
ROOT = VECTORS.parent.parent  # the repository
PKI_DIR = ROOT / "certs" / "test-pki"
XMLSEC_DIR = VECTORS / "xmlsec"
SIG_DIR = XMLSEC_DIR / "sig"
ENC_DIR = XMLSEC_DIR / "enc"
ORACLES = VECTORS.parent / "oracles"

# --- namespaces -------------------------------------------------------------------------------
NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NS_DSIG11 = "http://www.w3.org/2009/xmldsig11#"
NS_EC = "http://www.w3.org/2001/10/xml-exc-c14n#"
NS_XENC = "http://www.w3.org/2001/04/xmlenc#"
NS_XENC11 = "http://www.w3.org/2009/xmlenc11#"
NS = {"saml2p": NS_SAMLP, "saml2": NS_SAML, "md": NS_MD, "ds": NS_DS, "xenc": NS_XENC, "xenc11": NS_XENC11}

# --- XML-DSig algorithm URIs ------------------------------------------------------------------
C14N_EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"
C14N_EXC_WC = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
C14N_INC = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_INC_WC = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
T_ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
T_XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"
T_BASE64 = "http://www.w3.org/2000/09/xmldsig#base64"

PSS = {
    256: "http://www.w3.org/2007/05/xmldsig-more#sha256-rsa-MGF1",
    384: "http://www.w3.org/2007/05/xmldsig-more#sha384-rsa-MGF1",
    512: "http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1",
}
ECDSA = {
    256: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
    384: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
    512: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512",
}
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
HMAC_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256"
DSA_SHA256 = "http://www.w3.org/2009/xmldsig11#dsa-sha256"
DIGEST = {
    1: "http://www.w3.org/2000/09/xmldsig#sha1",
    256: "http://www.w3.org/2001/04/xmlenc#sha256",
    384: "http://www.w3.org/2001/04/xmldsig-more#sha384",
    512: "http://www.w3.org/2001/04/xmlenc#sha512",
}
DIGEST_MD5 = "http://www.w3.org/2001/04/xmldsig-more#md5"
HASH = {1: hashes.SHA1, 256: hashes.SHA256, 384: hashes.SHA384, 512: hashes.SHA512}
HASH_BY_URI = {
    DIGEST[1]: hashes.SHA1,
    DIGEST[256]: hashes.SHA256,
    DIGEST[384]: hashes.SHA384,
    DIGEST[512]: hashes.SHA512,
    DIGEST_MD5: hashes.MD5,
}

# --- XML-Enc algorithm URIs -------------------------------------------------------------------
ENC_ELEMENT = "http://www.w3.org/2001/04/xmlenc#Element"
ENC_CONTENT = "http://www.w3.org/2001/04/xmlenc#Content"
AES_GCM = {
    128: "http://www.w3.org/2009/xmlenc11#aes128-gcm",
    192: "http://www.w3.org/2009/xmlenc11#aes192-gcm",
    256: "http://www.w3.org/2009/xmlenc11#aes256-gcm",
}
AES128_CBC = "http://www.w3.org/2001/04/xmlenc#aes128-cbc"
RSA_OAEP11 = "http://www.w3.org/2009/xmlenc11#rsa-oaep"
RSA_OAEP_MGF1P = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
RSA_1_5 = "http://www.w3.org/2001/04/xmlenc#rsa-1_5"
MGF1 = {
    1: "http://www.w3.org/2009/xmlenc11#mgf1sha1",
    256: "http://www.w3.org/2009/xmlenc11#mgf1sha256",
    384: "http://www.w3.org/2009/xmlenc11#mgf1sha384",
    512: "http://www.w3.org/2009/xmlenc11#mgf1sha512",
}
ECDH_ES = "http://www.w3.org/2009/xmlenc11#ECDH-ES"
CONCAT_KDF = "http://www.w3.org/2009/xmlenc11#ConcatKDF"
KW_AES = {
    128: "http://www.w3.org/2001/04/xmlenc#kw-aes128",
    192: "http://www.w3.org/2001/04/xmlenc#kw-aes192",
    256: "http://www.w3.org/2001/04/xmlenc#kw-aes256",
}
KW_TRIPLEDES = "http://www.w3.org/2001/04/xmlenc#kw-tripledes"

# --- SAML test identities ---------------------------------------------------------------------
IDP_ENTITY = "https://proxy.test.example.de/EidasNode/ServiceMetadata"
SP_ENTITY = "https://connector.test.example.fr/eidas/metadata"
ACS_URL = "https://connector.test.example.fr/eidas/acs"


def tool_versions() -> dict:
    """Versions of the independent implementations, as printed in manifest `generator` fields."""
    import xmlsec  # noqa: PLC0415 (import here: only needed for the version string)

    libxmlsec = ".".join(str(p) for p in xmlsec.get_libxmlsec_version())
    try:
        cli = subprocess.run(["xmlsec1", "--version"], capture_output=True, text=True, check=True).stdout.split()[1]
    except (OSError, subprocess.CalledProcessError, IndexError):
        cli = "missing"
    return {
        "signxml": f"signxml {version('signxml')}",
        "python-xmlsec": f"python-xmlsec {version('xmlsec')} (libxmlsec1 {libxmlsec})",
        "xmlsec1": f"xmlsec1 {cli} CLI (Debian, OpenSSL)",
        "primitives": f"hand-assembled: lxml {version('lxml')} exc-c14n + cryptography {version('cryptography')}",
        "cryptography": f"hand-assembled: cryptography {version('cryptography')} primitives + lxml {version('lxml')}",
    }


def rel_root(path: Path) -> str:
    """Path relative to the repository root, with forward slashes."""
    return path.resolve().relative_to(ROOT).as_posix()


def rel_xmlsec(path: Path) -> str:
    """Path relative to tests/vectors/xmlsec (where manifest.json lives)."""
    return path.resolve().relative_to(XMLSEC_DIR).as_posix()


@dataclass
class Manifest:
    """Collects manifest entries in generation order (the order is stable)."""

    entries: list = field(default_factory=list)

    def add(self, **entry):
        entry = {k: v for k, v in entry.items() if v is not None}
        for key in ("file", "op", "expect", "generator", "proves"):
            if key not in entry:
                raise ValueError(f"manifest entry without {key}: {entry}")
        self.entries.append(entry)
        return entry

    def write(self, path: Path):
        path.write_text(json.dumps(self.entries, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
