"""Signature makers (signxml, python-xmlsec, xmlsec1 CLI, hand-assembled) and cross-checkers.

The hand-assembled signer exists so that negative vectors can carry a *cryptographically valid*
signature over a shape that the profile forbids: the template text is signed as written, with
lxml (libxml2) exclusive c14n for the digest and SignedInfo and pyca/cryptography for the
signature value. Every vector is then checked with python-xmlsec (and signxml / the xmlsec1 CLI
where they apply); the verdicts go into the manifest `crosscheck` field.
"""

import base64
import re
import subprocess
import tempfile
from pathlib import Path

import xmlsec
from c14n_lxml import remove_keeping_tail
from cryptography.hazmat.primitives import hmac
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.hashes import Hash
from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod, XMLSigner, XMLVerifier
from signxml.verifier import SignatureConfiguration

from .common import (
    C14N_EXC,
    C14N_EXC_WC,
    C14N_INC,
    C14N_INC_WC,
    DIGEST,
    HASH,
    HASH_BY_URI,
    HMAC_SHA256,
    NS,
    NS_DS,
    NS_EC,
    NS_SAML,
    RSA_SHA1,
    RSA_SHA256,
    T_ENVELOPED,
)
from .common import (
    ECDSA as ECDSA_BY_BITS,
)
from .common import (
    PSS as PSS_BY_BITS,
)

DEFAULT_PREFIXES = "xsd eidas-natural"


def parser():
    """lxml parser for our own (trusted) templates and for the cross-checks: no DTD, no network."""
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, strip_cdata=False)


def parse(data):
    return etree.fromstring(data.encode("utf-8") if isinstance(data, str) else data, parser())


# --- templates --------------------------------------------------------------------------------


def transform(alg: str, prefixes: str | None = None, inner: str = "") -> str:
    if prefixes is not None:
        inner = f'\n    <ec:InclusiveNamespaces xmlns:ec="{NS_EC}" PrefixList="{prefixes}"/>\n'
    if inner:
        return f'<ds:Transform Algorithm="{alg}">{inner}</ds:Transform>'
    return f'<ds:Transform Algorithm="{alg}"/>'


def standard_transforms(prefixes: str | None = DEFAULT_PREFIXES) -> list:
    return [transform(T_ENVELOPED), transform(C14N_EXC, prefixes)]


def reference(uri: str, marker: str, digest: str = DIGEST[256], transforms=None) -> str:
    transforms = standard_transforms() if transforms is None else transforms
    body = "\n".join("        " + t.replace("\n", "\n        ") for t in transforms)
    return f"""<ds:Reference URI="{uri}">
    <ds:Transforms>
{body}
    </ds:Transforms>
    <ds:DigestMethod Algorithm="{digest}"/>
    <ds:DigestValue>{marker}</ds:DigestValue>
</ds:Reference>"""


def signature_xml(
    *,
    uri: str,
    sig_alg: str,
    digest: str = DIGEST[256],
    cert_b64: str | None = None,
    tag: str = "R",
    prefixes: str | None = DEFAULT_PREFIXES,
    transforms=None,
    c14n: str = C14N_EXC,
    extra_references=(),
    ds_decl: bool = True,
) -> str:
    """A ds:Signature template. Digest markers are `@@D{tag}:{i}@@`, the value marker `@@S{tag}@@`.

    `extra_references` are (uri, transforms-or-None) pairs added after the first Reference.
    """
    refs = [reference(uri, f"@@D{tag}:0@@", digest, transforms)]
    for i, (xuri, xtransforms) in enumerate(extra_references, start=1):
        refs.append(reference(xuri, f"@@D{tag}:{i}@@", digest, xtransforms))
    refs_text = "\n".join("        " + r.replace("\n", "\n        ") for r in refs)
    keyinfo = ""
    if cert_b64 is not None:
        keyinfo = f"""
    <ds:KeyInfo>
        <ds:X509Data>
            <ds:X509Certificate>{cert_b64}</ds:X509Certificate>
        </ds:X509Data>
    </ds:KeyInfo>"""
    decl = f' xmlns:ds="{NS_DS}"' if ds_decl else ""
    return f"""<ds:Signature{decl}>
    <ds:SignedInfo>
        <ds:CanonicalizationMethod Algorithm="{c14n}"/>
        <ds:SignatureMethod Algorithm="{sig_alg}"/>
{refs_text}
    </ds:SignedInfo>
    <ds:SignatureValue>@@S{tag}@@</ds:SignatureValue>{keyinfo}
</ds:Signature>"""


def empty_markers(text: str) -> str:
    """Turns a marker template into a libxmlsec1 template (empty DigestValue/SignatureValue)."""
    return re.sub(r"@@[DS][^@]*@@", "", text)


# --- signature value makers (pyca/cryptography) -----------------------------------------------


def pss(key, bits: int):
    h = HASH[bits]
    return lambda data: key.sign(data, padding.PSS(mgf=padding.MGF1(h()), salt_length=h().digest_size), h())


def pkcs1(key, bits: int):
    return lambda data: key.sign(data, padding.PKCS1v15(), HASH[bits]())


def ecdsa_raw(key, bits: int):
    """ECDSA with the XML-DSig r||s encoding (each integer left-padded to the field size)."""

    def sign(data):
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(HASH[bits]())))
        n = (key.curve.key_size + 7) // 8
        return r.to_bytes(n, "big") + s.to_bytes(n, "big")

    return sign


def ecdsa_der(key, bits: int):
    return lambda data: key.sign(data, ec.ECDSA(HASH[bits]()))


def hmac_sha256(secret: bytes):
    def sign(data):
        mac = hmac.HMAC(secret, HASH[256]())
        mac.update(data)
        return mac.finalize()

    return sign


# --- hand-assembled signing (lxml c14n + cryptography) ----------------------------------------


def _c14n(node, alg: str, prefixes=None) -> bytes:
    exclusive = alg in (C14N_EXC, C14N_EXC_WC)
    comments = alg in (C14N_EXC_WC, C14N_INC_WC)
    return etree.tostring(
        node,
        method="c14n",
        exclusive=exclusive,
        with_comments=comments,
        inclusive_ns_prefixes=(prefixes or None) if exclusive else None,
    )


def _prefix_list(el) -> list | None:
    inc = el.find(f"{{{NS_EC}}}InclusiveNamespaces")
    return inc.get("PrefixList").split() if inc is not None else None


def _node_index(root, node) -> int:
    """Position of `node` in document order (stable across parses of the same bytes)."""
    return next(i for i, n in enumerate(root.iter()) if n is node)


def _digest_of_reference(data, ref_index: int, target_xpath: str | None) -> bytes:
    """Digest of what the Reference (the `ref_index`-th node) covers, its Signature removed (enveloped)."""
    root = parse(data)
    ref = list(root.iter())[ref_index]
    uri = ref.get("URI")
    c14n_alg, prefixes = C14N_EXC, None
    for t in ref.findall("ds:Transforms/ds:Transform", NS):
        if t.get("Algorithm") in (C14N_EXC, C14N_EXC_WC, C14N_INC, C14N_INC_WC):
            c14n_alg, prefixes = t.get("Algorithm"), _prefix_list(t)
    h = HASH_BY_URI[ref.find("ds:DigestMethod", NS).get("Algorithm")]
    if target_xpath is not None:
        node = root.xpath(target_xpath, namespaces=NS)[0]
    elif uri in ("", "#xpointer(/)"):
        node = root.getroottree()
    elif uri.startswith("#"):
        found = root.xpath("//*[@ID=$v]", v=uri[1:])
        if not found:
            raise ValueError(f"Reference URI {uri!r} resolves to nothing")
        node = found[0]
    else:
        node = root  # external URI: digest of the document element, for shape only
    # Enveloped-signature removes the Signature holding this Reference (and all it contains)
    # from the node-set: a node inside that Signature leaves nothing to digest.
    sig = next(ref.iterancestors(f"{{{NS_DS}}}Signature"))
    digest = Hash(h())
    if isinstance(node, etree._Element) and any(a is sig for a in node.iterancestors()):
        return digest.finalize()
    remove_keeping_tail(sig)
    digest.update(_c14n(node, c14n_alg, prefixes))
    return digest.finalize()


def _signed_info_c14n(signed_info) -> bytes:
    method = signed_info.find("ds:CanonicalizationMethod", NS)
    return _c14n(signed_info, method.get("Algorithm"), _prefix_list(method))


def hand_sign(text: str, tag: str, sign, *, target_xpath=None, wrap_digest=None, wrap_value=None) -> str:
    """Fills the `@@D{tag}:i@@` digests, then the `@@S{tag}@@` value, of the template `text`."""
    for marker in sorted(set(re.findall(rf"@@D{re.escape(tag)}:\d+@@", text))):
        root = parse(text)
        dv = next(d for d in root.iter(f"{{{NS_DS}}}DigestValue") if d.xpath("string()").strip() == marker)
        value = base64.b64encode(_digest_of_reference(text, _node_index(root, dv.getparent()), target_xpath))
        value = value.decode("ascii")
        text = text.replace(marker, wrap_digest(value) if wrap_digest else value, 1)
    marker = f"@@S{tag}@@"
    root = parse(text)
    sv = next(s for s in root.iter(f"{{{NS_DS}}}SignatureValue") if s.xpath("string()").strip() == marker)
    value = base64.b64encode(sign(_signed_info_c14n(sv.getparent().find("ds:SignedInfo", NS)))).decode()
    return text.replace(marker, wrap_value(value) if wrap_value else value, 1)


def wrap_lines(value: str, width: int, newline: str = "\n", lead: str = "", trail: str = "") -> str:
    return lead + newline.join(value[i : i + width] for i in range(0, len(value), width)) + trail


# --- signing with the libraries ---------------------------------------------------------------


def xmlsec_sign(text: str, pki, signature_xpaths=("/*/ds:Signature",)) -> bytes:
    """python-xmlsec: fills the template signatures found at `signature_xpaths`, in order."""
    root = parse(empty_markers(text))
    for xp in signature_xpaths:
        ctx = xmlsec.SignatureContext()
        for el in root.iter(etree.Element):
            if el.get("ID") is not None:
                ctx.register_id(el, "ID")
        key = xmlsec.Key.from_file(str(pki.key_path), xmlsec.KeyFormat.PEM)
        key.load_cert_from_file(str(pki.cert_path), xmlsec.KeyFormat.CERT_PEM)
        ctx.key = key
        ctx.sign(root.xpath(xp, namespaces=NS)[0])
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def xmlsec1_sign(text: str, pki, id_node: str) -> bytes:
    """The Debian xmlsec1 CLI: signs the first ds:Signature template of the document."""
    with tempfile.TemporaryDirectory() as tmp:
        tpl, out = Path(tmp) / "tpl.xml", Path(tmp) / "out.xml"
        tpl.write_text(empty_markers(text), encoding="utf-8")
        subprocess.run(
            ["xmlsec1", "--sign", "--privkey-pem", f"{pki.key_path},{pki.cert_path}",
             "--id-attr:ID", id_node, "--output", str(out), str(tpl)],
            check=True, capture_output=True,
        )
        return out.read_bytes()


def signxml_sign(text: str, pki, sig_alg: str, digest: str, ref_id: str) -> bytes:
    """signxml: the template holds `<ds:Signature Id="placeholder"/>` where the signature goes."""
    root = parse(text)
    signer = XMLSigner(
        signature_algorithm=SignatureMethod(sig_alg),
        digest_algorithm=DigestAlgorithm(digest),
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signed = signer.sign(
        root, key=pki.key_path.read_bytes(), cert=pki.cert_pem, reference_uri=f"#{ref_id}", id_attribute="ID"
    )
    return etree.tostring(signed.getroottree(), xml_declaration=True, encoding="UTF-8")


PLACEHOLDER = f'<ds:Signature xmlns:ds="{NS_DS}" Id="placeholder"/>'


# --- cross-checks (informational for negative vectors, mandatory for positive ones) -----------


def _element(root, element: str):
    if element == "root":
        return root
    if root.tag == f"{{{NS_SAML}}}Assertion":
        return root
    return next(root.iter(f"{{{NS_SAML}}}Assertion"))


def check_xmlsec(data: bytes, *, cert_path=None, hmac_key=None, element="root") -> str:
    """python-xmlsec verdict on the signature of `element` ("valid" or "invalid: …")."""
    try:
        root = parse(data)
        target = _element(root, element)
        sigs = target.findall("ds:Signature", NS) or list(root.iter(f"{{{NS_DS}}}Signature"))
        if not sigs:
            return "invalid: no ds:Signature"
        ctx = xmlsec.SignatureContext()
        for el in root.iter(etree.Element):
            if el.get("ID") is not None:
                ctx.register_id(el, "ID")
        if hmac_key is not None:
            ctx.key = xmlsec.Key.from_binary_data(xmlsec.KeyData.HMAC, hmac_key)
        else:
            ctx.key = xmlsec.Key.from_file(str(cert_path), xmlsec.KeyFormat.CERT_PEM)
        ctx.verify(sigs[0])
        return "valid"
    except Exception as exc:  # noqa: BLE001 (any failure is a verdict)
        return f"invalid: {type(exc).__name__}: {exc}".strip()


def _verify_value(alg: str, value: bytes, data: bytes, public_key, hmac_key):
    rsa_methods = {*PSS_BY_BITS.values(), RSA_SHA256, RSA_SHA1}
    if alg in rsa_methods and not isinstance(public_key, rsa.RSAPublicKey):
        raise ValueError("an RSA method with a non-RSA key")
    if alg in ECDSA_BY_BITS.values() and not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise ValueError("an ECDSA method with a non-EC key")
    for bits in (256, 384, 512):
        if alg == PSS_BY_BITS[bits]:
            h = HASH[bits]
            return public_key.verify(value, data, padding.PSS(mgf=padding.MGF1(h()), salt_length=h().digest_size), h())
        if alg == ECDSA_BY_BITS[bits]:
            n = len(value) // 2
            der = encode_dss_signature(int.from_bytes(value[:n], "big"), int.from_bytes(value[n:], "big"))
            return public_key.verify(der, data, ec.ECDSA(HASH[bits]()))
    if alg in (RSA_SHA256, RSA_SHA1):
        return public_key.verify(value, data, padding.PKCS1v15(), HASH[256 if alg == RSA_SHA256 else 1]())
    if alg == HMAC_SHA256 and hmac_key is not None:
        mac = hmac.HMAC(hmac_key, HASH[256]())
        mac.update(data)
        return mac.verify(value)
    raise ValueError(f"method {alg} not handled")


def check_primitives(data: bytes, *, public_key=None, hmac_key=None, element="root") -> str:
    """Hand verdict (lxml c14n + cryptography) on the FIRST SignedInfo of the signature of `element`.

    It reads only Signature/SignedInfo[1] and each of its References (transforms are not
    interpreted: the digest is always enveloped + the declared c14n), so it shows whether the
    cryptography of a structurally forbidden signature is otherwise valid.
    """
    try:
        root = parse(data)
        target = _element(root, element)
        sigs = target.findall("ds:Signature", NS) or list(root.iter(f"{{{NS_DS}}}Signature"))
        if not sigs:
            return "invalid: no ds:Signature"
        signed_info = sigs[0].find("ds:SignedInfo", NS)
        value_el = sigs[0].find("ds:SignatureValue", NS)
        if value_el is None:
            return "invalid: no SignatureValue"
        value = base64.b64decode("".join(value_el.xpath("text()")).translate(_NO_WS))
        alg = signed_info.find("ds:SignatureMethod", NS).get("Algorithm")
        _verify_value(alg, value, _signed_info_c14n(signed_info), public_key, hmac_key)
        for ref in signed_info.findall("ds:Reference", NS):
            want = base64.b64decode(ref.find("ds:DigestValue", NS).xpath("string()").translate(_NO_WS))
            if want != _digest_of_reference(data, _node_index(root, ref), None):
                return f"invalid: digest mismatch for Reference URI={ref.get('URI')!r}"
        return "valid"
    except Exception as exc:  # noqa: BLE001
        return f"invalid: {type(exc).__name__}: {str(exc)[:160]}".strip()


_NO_WS = {ord(c): None for c in " \t\r\n"}


def check_signxml(data: bytes, *, cert_pem: str, sig_alg: str, element="root") -> str:
    """signxml verdict with every digest allowed and only `sig_alg` as method."""
    try:
        location = "./" if element == "root" or parse(data).tag == f"{{{NS_SAML}}}Assertion" else (
            f"./{{{NS_SAML}}}Assertion/"
        )
        config = SignatureConfiguration(
            location=location,
            signature_methods=frozenset({SignatureMethod(sig_alg)}),
            digest_algorithms=frozenset(DigestAlgorithm),
        )
        XMLVerifier().verify(data, x509_cert=cert_pem, expect_config=config)
        return "valid"
    except Exception as exc:  # noqa: BLE001
        return f"invalid: {type(exc).__name__}: {str(exc)[:160]}"


def check_xmlsec1(data: bytes, *, cert_path, id_node: str) -> str:
    """Debian xmlsec1 CLI verdict on the first ds:Signature of the document."""
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "in.xml"
        f.write_bytes(data)
        run = subprocess.run(
            ["xmlsec1", "--verify", "--pubkey-cert-pem", str(cert_path), "--enabled-key-data", "x509,rsa,ec",
             "--id-attr:ID", id_node, str(f)],
            capture_output=True, text=True,
        )
        if run.returncode == 0 and "OK" in run.stderr:
            return "valid"
        return "invalid: " + (run.stderr.strip().splitlines() or ["?"])[-1][:160]
