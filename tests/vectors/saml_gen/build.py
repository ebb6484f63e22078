"""Assembling one Response vector: plaintext Assertion → (sign) → encrypt → Response → sign.

`make_response` keeps the pre-crypto texts (the Response envelope with a placeholder where
the ciphertext goes, and the plaintext Assertion before its signature is filled) so that the
manifest can show, for each reject, the exact lines that differ from its accept sibling.
"""

import copy
import difflib
from dataclasses import dataclass, field, replace
from importlib.metadata import version

import xmlsec
from lxml import etree

from . import scenario as s
from . import templates as t
from .checks import NS, parse
from .xmlcrypto import encrypt_ecdh_es, encrypt_rsa, sign, signature_template

LIBXMLSEC = ".".join(str(p) for p in xmlsec.get_libxmlsec_version())
PY_XMLSEC = f"python-xmlsec {version('xmlsec')} (libxmlsec1 {LIBXMLSEC})"
CRYPTOGRAPHY = f"pyca/cryptography {version('cryptography')}"
ENC_PLACEHOLDER = "<!-- xenc:EncryptedData of the plaintext Assertion below -->"
MAX_DIFF_LINES = 12


@dataclass
class Built:
    """A finished Response and how it was made."""

    data: bytes
    pre_response: str  # the envelope template (ciphertexts replaced by a placeholder)
    pre_assertion: str  # the plaintext Assertion as written (before its signature value)
    steps: list = field(default_factory=list)  # generator description, in order


def describe_encryption(enc: str, recipient: str) -> str:
    if enc == "ecdh-es":
        return (f"Assertion encrypted by hand with {CRYPTOGRAPHY}: ECDH-ES (P-256) + ConcatKDF(SHA-256, params \"00\") "
                f"+ kw-aes256 + aes256-gcm, to {recipient}")
    cipher = "aes256-cbc" if enc == "rsa-oaep+cbc" else "aes256-gcm"
    transport = "rsa-oaep-mgf1p (SHA-1)" if enc == "rsa-oaep-mgf1p" else "xmlenc11#rsa-oaep (sha256, mgf1sha256)"
    return f"Assertion encrypted by {PY_XMLSEC}: {transport} + {cipher}, to {recipient}"


def encrypt(plaintext: bytes, enc: str = "rsa-oaep", recipient: str = s.SP_ENC_RSA,
            data_id: str = s.ENC_DATA_ID, key_id: str = s.ENC_KEY_ID) -> str:
    if enc == "ecdh-es":
        return encrypt_ecdh_es(plaintext, recipient, data_id=data_id, key_id=key_id)
    if enc == "rsa-oaep+cbc":
        return encrypt_rsa(plaintext, recipient, cipher="aes256-cbc", data_id=data_id, key_id=key_id)
    return encrypt_rsa(plaintext, recipient, transport=enc, data_id=data_id, key_id=key_id)


def assertion_bytes(spec: t.AssertionSpec, *, signed: bool = False, edit=None) -> tuple[bytes, str, list]:
    """The plaintext Assertion (signed by the proxy key when `signed`); `edit(text)` runs after signing."""
    steps = []
    if signed:
        spec = replace(spec, signature=signature_template("#" + spec.assertion_id, prefixes="eidas-natural xsi",
                                                          declare_ds=True))
    pre = t.render_assertion(spec)
    data = pre.encode("utf-8")
    if signed:
        data = sign(pre, s.IDP_SIGNING)
        steps.append(f"Assertion signed by {PY_XMLSEC}: enveloped, exc-c14n PrefixList \"eidas-natural xsi\", "
                     f"sha256-rsa-MGF1 + sha256, Reference #{spec.assertion_id}, KeyInfo {s.IDP_SIGNING}")
    if edit is not None:
        data = edit(data.decode("utf-8")).encode("utf-8")
        steps.append("Assertion edited after signing (see defect)")
    return data, pre, steps


def nested_assertion(*, signed: bool) -> str:
    """The nested Assertion of templates.nested_assertion_spec(); with `signed`, signed by
    python-xmlsec with the proxy's own key (a genuine signed assertion, e.g. from another
    session), returned exactly as signed so that its signature stays valid where it is planted."""
    data, _, _ = assertion_bytes(t.nested_assertion_spec(), signed=signed)
    return data.decode("utf-8")


def make_response(spec: t.AssertionSpec | None = None, *, resp: t.ResponseSpec | None = None, enc: str = "rsa-oaep",
                  recipient: str = s.SP_ENC_RSA, sign_assertion: bool = False, edit_assertion=None,
                  signer: str | None = s.IDP_SIGNING, body=None, plaintext: bytes | None = None) -> Built:
    """A Response carrying `spec` encrypted with `enc`, signed by `signer` (None: unsigned).

    `body(encrypted_assertion_block, plaintext_assertion_text)` may return the blocks that
    follow Status (default: the one EncryptedAssertion). `plaintext` replaces the rendered
    Assertion as the bytes to encrypt.
    """
    resp = resp or t.ResponseSpec()
    spec = spec or t.AssertionSpec()
    steps = []
    if plaintext is None:
        plaintext, pre_assertion, steps = assertion_bytes(spec, signed=sign_assertion, edit=edit_assertion)
    else:
        pre_assertion = plaintext.decode("utf-8")
    encrypted = t.encrypted_assertion(encrypt(plaintext, enc, recipient))
    steps.append(describe_encryption(enc, recipient))
    placeholder = t.encrypted_assertion(ENC_PLACEHOLDER)
    blocks = body(encrypted, pre_assertion) if body else (encrypted,)
    pre_blocks = body(placeholder, pre_assertion) if body else (placeholder,)
    if signer:
        resp = replace(resp, signature=signature_template("#" + resp.response_id))
    text = t.render_response(replace(resp, body=tuple(blocks)))
    pre_response = t.render_response(replace(resp, body=tuple(pre_blocks)))
    if signer:
        data = sign(text, signer)
        steps.append(f"Response signed by {PY_XMLSEC}: enveloped, exc-c14n, sha256-rsa-MGF1 + sha256, "
                     f"Reference #{resp.response_id}, KeyInfo {signer}")
    else:
        data = text.encode("utf-8")
        steps.append("Response not signed")
    return Built(data, pre_response, pre_assertion, steps)


def make_failure(status: str, *, with_assertion: bool = False) -> Built:
    """A signed non-success Response; with `with_assertion`, it still carries the base EncryptedAssertion."""
    resp = t.ResponseSpec(consent=s.CONSENT_UNSPECIFIED, status=status)
    if with_assertion:
        return make_response(resp=resp)
    resp = replace(resp, signature=signature_template("#" + resp.response_id))
    text = t.render_response(resp)
    data = sign(text, s.IDP_SIGNING)
    return Built(data, text, "", [f"Response signed by {PY_XMLSEC}: enveloped, exc-c14n, sha256-rsa-MGF1 + sha256, "
                                  f"Reference #{resp.response_id}, KeyInfo {s.IDP_SIGNING}; no assertion"])


# --- post-signature rewrites (XSW, encryption wrapping) -----------------------------------------


def evil_encrypted_assertion() -> str:
    """An attacker-made EncryptedAssertion: the attacker's identity, encrypted to OUR public cert."""
    evil = t.AssertionSpec(name_id=s.EVIL_PERSON_ID, attributes=t.evil_attributes())
    return t.encrypted_assertion(encrypt_rsa(t.render_assertion(evil).encode("utf-8"), s.SP_ENC_RSA,
                                             data_id=s.EVIL_ENC_DATA_ID, key_id=s.EVIL_ENC_KEY_ID))


def replace_encrypted_assertion(data: bytes, new_block: str) -> bytes:
    """Swaps the (only) EncryptedAssertion of a serialized Response, leaving every other byte."""
    start = data.index(b"<saml2:EncryptedAssertion>")
    end = data.index(b"</saml2:EncryptedAssertion>") + len(b"</saml2:EncryptedAssertion>")
    return data[:start] + new_block.replace("\n", "\n    ").encode("utf-8") + data[end:]


def xsw(signed: bytes, variant: int, *, keep_id: bool = False) -> bytes:
    """SAML Raider XSW1 (clean clone appended inside ds:Signature) or XSW2 (clean clone inserted
    before ds:Signature). The outer Response carries an attacker-made EncryptedAssertion and,
    unless `keep_id`, a new ID."""
    swapped = parse(replace_encrypted_assertion(signed, evil_encrypted_assertion()))
    original = parse(signed)
    clone = copy.deepcopy(original)
    sig = clone.find("ds:Signature", NS)
    prev = sig.getprevious()
    prev.tail = (prev.tail or "") + (sig.tail or "")  # what the enveloped transform leaves: both texts
    clone.remove(sig)
    outer = swapped
    if not keep_id:
        outer.set("ID", s.EVIL_RESPONSE_ID)
    outer_sig = outer.find("ds:Signature", NS)
    if variant == 1:
        outer_sig[-1].tail = "\n    "
        clone.tail = "\n"
        outer_sig.append(clone)
    else:
        clone.tail = "\n    "
        outer_sig.addprevious(clone)
    out = etree.tostring(outer, encoding="UTF-8", xml_declaration=False).decode("utf-8")
    return (t.XML_DECL + out + "\n").encode("utf-8")


def diff(sibling: Built | None, built: Built) -> list | None:
    """The changed lines between the pre-crypto texts of `sibling` and `built`."""
    if sibling is None or not built.pre_response:
        return None  # made by rewriting signed bytes: the `defect` text describes the change
    out = []
    for label, a, b in (("Response", sibling.pre_response, built.pre_response),
                        ("Assertion", sibling.pre_assertion, built.pre_assertion)):
        for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0):
            if line.startswith(("---", "+++", "@@")):
                continue
            out.append(f"{label}: {line.rstrip()}")
    if len(out) > MAX_DIFF_LINES:
        out = out[:MAX_DIFF_LINES] + [f"… {len(out) - MAX_DIFF_LINES} more changed lines"]
    return out
