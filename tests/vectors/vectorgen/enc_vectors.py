"""Encryption vectors: accept (with their exact plaintext) and one-defect reject siblings."""

import base64
import os
import re

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from decrypt_cryptography import NS as ORACLE_NS
from decrypt_cryptography import OracleError, decrypt_document, parse_xml

from .common import (
    AES128_CBC,
    AES_GCM,
    DIGEST,
    DIGEST_MD5,
    ENC_CONTENT,
    ENC_DIR,
    KW_AES,
    KW_TRIPLEDES,
    MGF1,
    NS_XENC,
    RSA_1_5,
    RSA_OAEP11,
    RSA_OAEP_MGF1P,
    SP_ENTITY,
    Manifest,
    rel_xmlsec,
)
from .docs import ASSERTION_SELF_NS, assertion_xml, indent, response_xml
from .encryption import (
    CURVE_OID,
    b64,
    check_xmlsec1_decrypt,
    check_xmlsec_decrypt,
    ec_keyvalue,
    ecdh_keyinfo,
    ecdh_wrap,
    enc_response,
    encrypted_data,
    encrypted_key,
    gcm_encrypt,
    oaep_method,
    oaep_wrap,
    rsa_keyvalue,
    uncompressed_point,
    x509_keyinfo,
    xmlsec1_encrypt,
    xmlsec_encrypt,
)

# The plaintext Assertion either declares its own namespaces, or relies on the Response's
# declarations (rule 28: keep the EncryptedAssertion's in-scope namespaces when parsing it).
PT_SELF = assertion_xml(ns_decls=ASSERTION_SELF_NS)
PT_CTX = assertion_xml()

OAEP256 = {"digest": DIGEST[256], "mgf": MGF1[256]}
BASE_XMLSEC = "enc/accept_rsaoaep_sha256_mgf1sha256_aes256gcm_xmlsec.xml"
BASE_XMLSEC128 = "enc/accept_rsaoaep_sha256_mgf1sha256_aes128gcm_xmlsec.xml"
BASE_PRIM = "enc/accept_rsaoaep_sha256_mgf1sha256_aes256gcm_primitives.xml"
BASE_ECDH = "enc/accept_ecdhes_p256_kwaes128_primitives.xml"
BASE_ECDH256 = "enc/accept_ecdhes_p256_kwaes256_primitives.xml"
BASE_KEYVALUE_RSA = "enc/accept_keyvalue_rsa_primitives.xml"
BASE_KEYVALUE_EC = "enc/accept_keyvalue_ec_p256_primitives.xml"
BASE_RETRIEVAL = "enc/accept_retrieval_method_sibling_primitives.xml"
RETRIEVAL_TYPE = "http://www.w3.org/2001/04/xmlenc#EncryptedKey"


def sha1_oaep(data: bytes) -> bool:
    """What DecryptionInfo.sha1_oaep must say: the first EncryptedKey uses RSA-OAEP with SHA-1 as
    digest or MGF1 hash, explicitly or by the XMLEnc 1.1 default (rsa-oaep-mgf1p: always)."""
    root = parse_xml(data)
    ek = next(root.iter(f"{{{NS_XENC}}}EncryptedKey"), None)
    method = ek.find("xenc:EncryptionMethod", ORACLE_NS) if ek is not None else None
    alg = method.get("Algorithm") if method is not None else None
    if alg == RSA_OAEP_MGF1P:
        return True
    if alg != RSA_OAEP11:
        return False
    digest = method.find("ds:DigestMethod", ORACLE_NS)
    mgf = method.find("xenc11:MGF", ORACLE_NS)
    return (digest is None or digest.get("Algorithm") == DIGEST[1]) or (mgf is None or mgf.get("Algorithm") == MGF1[1])


class EncEmitter:
    def __init__(self, pki, manifest: Manifest, versions):
        self.pki, self.manifest, self.v = pki, manifest, versions

    def emit(self, name, data: bytes, *, key, expect, generator, proves, sibling=None, options=None,
             plaintext: bytes | None = None, note=None, write=True, libxmlsec=True, cli=False):
        path = ENC_DIR / name
        if write:
            path.write_bytes(data)
        check = {}
        try:
            got = decrypt_document(data, [key.key])
            check["cryptography"] = "ok" if plaintext is None or got == plaintext else "ok, different plaintext"
        except (OracleError, ValueError, AttributeError) as exc:
            got = None
            check["cryptography"] = f"failed: {exc}"
        if libxmlsec:
            check["python-xmlsec"] = check_xmlsec_decrypt(data, key.key_path)
        if cli:
            check["xmlsec1"] = check_xmlsec1_decrypt(data, key.key_path)
        pt_rel = None
        if plaintext is not None:
            pt_path = ENC_DIR / (name[: -len(".xml")] + ".plaintext.xml")
            if write:
                pt_path.write_bytes(plaintext)
            pt_rel = rel_xmlsec(pt_path)
        if expect == "ok":
            bad = {k: v for k, v in check.items() if not v.startswith("ok") and k == "cryptography"}
            if bad or check["cryptography"] != "ok":
                raise RuntimeError(f"{name}: independent decryption failed: {check}")
        # Only for entries that decrypt: the Rust test checks the report on every decryption.
        decrypts = plaintext is not None and not expect.startswith("enc.")
        self.manifest.add(
            file=rel_xmlsec(path), op="decrypt", keys=[key.key_rel], expect=expect,
            plaintext=pt_rel if expect == "ok" or plaintext is not None else None, options=options,
            sha1_oaep=True if decrypts and sha1_oaep(data) else None,
            sibling=sibling, generator=generator, proves=proves, crosscheck=check, note=note,
        )
        return got


def generate(pki, manifest: Manifest, versions):
    e = EncEmitter(pki, manifest, versions)
    _accept_libraries(e)
    _accept_primitives(e)
    _reject(e)
    _key_value(e)
    _retrieval_method(e)


# --- accept: the libraries --------------------------------------------------------------------


def _accept_libraries(e):
    sp = e.pki["sp-enc-rsa3072"]
    v = e.v
    for bits, pt, ns_note in ((128, PT_SELF, "declares its own namespaces"), (192, PT_SELF, "declares its own "
                              "namespaces"), (256, PT_CTX, "uses saml2/xsi/xsd/eidas-natural prefixes declared "
                              "only on the outer Response (rule 28)")):
        data = xmlsec_encrypt(enc_response(pt), sp, AES_GCM[bits], oaep_method(RSA_OAEP11, **OAEP256), data_bits=bits)
        plaintext = decrypt_document(data, [sp.key])
        e.emit(f"accept_rsaoaep_sha256_mgf1sha256_aes{bits}gcm_xmlsec.xml", data, key=sp, expect="ok",
               plaintext=plaintext, generator=v["python-xmlsec"],
               proves=f"xmlenc11#rsa-oaep (DigestMethod sha256, MGF mgf1sha256) + aes{bits}-gcm from libxmlsec1 "
               f"decrypts (rules 22-24); the plaintext Assertion {ns_note}.")
    # Issue 6: SHA-1 in the OAEP digest or the MGF1 hash, explicit or by the XMLEnc 1.1 defaults.
    for name, method, what in (
        ("accept_rsaoaep_sha1_default_params_aes256gcm_xmlsec.xml", oaep_method(RSA_OAEP11),
         "xmlenc11#rsa-oaep with neither ds:DigestMethod nor xenc11:MGF: the XMLEnc 1.1 defaults SHA-1 and "
         "MGF1-SHA1 (OpenSAML's default, which the EU reference node inherits)"),
        ("accept_rsaoaep_sha1_mgf1sha1_explicit_aes256gcm_xmlsec.xml",
         oaep_method(RSA_OAEP11, digest=DIGEST[1], mgf=MGF1[1]),
         "xmlenc11#rsa-oaep with explicit sha1 digest and mgf1sha1 (as in the EU reference node's samples)"),
        ("accept_rsaoaep_sha256_mgf1sha1_aes256gcm_xmlsec.xml",
         oaep_method(RSA_OAEP11, digest=DIGEST[256], mgf=MGF1[1]),
         "xmlenc11#rsa-oaep with sha256 digest and explicit mgf1sha1"),
        ("accept_rsaoaep_sha256_mgf1default_aes256gcm_xmlsec.xml", oaep_method(RSA_OAEP11, digest=DIGEST[256]),
         "xmlenc11#rsa-oaep with sha256 digest and no xenc11:MGF (MGF1-SHA1 by default, XMLEnc 1.1 §5.5.2)"),
    ):
        data = xmlsec_encrypt(enc_response(PT_SELF), sp, AES_GCM[256], method, data_bits=256)
        _sha1_policies(e, name, data, sp, v["python-xmlsec"], what)
    for bits, pt in ((128, PT_CTX), (256, PT_SELF)):
        data = xmlsec1_encrypt(enc_response(pt), sp, AES_GCM[bits],
                               oaep_method(RSA_OAEP_MGF1P, digest=DIGEST[1]), data_bits=bits)
        _mgf1p_policies(e, f"accept_rsaoaepmgf1p_aes{bits}gcm_xmlsec1cli.xml", data, sp, v["xmlsec1"],
                        f"xmlenc#rsa-oaep-mgf1p (SHA-1 digest, MGF1-SHA1) + aes{bits}-gcm from the Debian xmlsec1 "
                        "CLI (what EU nodes <= 2.6 send)", cli=True)


def _mgf1p_policies(e, name, data, sp, generator, what, cli=False):
    """rsa-oaep-mgf1p is the legacy tolerance of eidas-spec §5.3: accepted by default (most production
    proxies, nodes <= 2.6, send it with a SHA-1 digest), refused when the policy turns it off (the SAML
    layer does so for peers announcing protocol 1.4). allow_sha1_oaep does not govern it."""
    plaintext = decrypt_document(data, [sp.key])
    e.emit(name, data, key=sp, expect="ok", plaintext=plaintext, generator=generator, cli=cli,
           proves=f"{what}: decrypts under the default policy (legacy mgf1p tolerance, eidas-spec §5.3) and is "
           "reported as SHA-1 OAEP (its MGF1 is always SHA-1).")
    e.emit(name, data, key=sp, expect="enc.algorithm_forbidden", plaintext=plaintext, generator=generator,
           write=False, cli=cli, options={"allow_rsa_oaep_mgf1p": False},
           proves=f"{what}: refused when mgf1p is turned off (peers announcing protocol 1.4, CEF rule).")
    e.emit(name, data, key=sp, expect="ok", plaintext=plaintext, generator=generator, write=False, cli=cli,
           options={"allow_sha1_oaep": False},
           proves=f"{what}: still decrypts when SHA-1 xmlenc11#rsa-oaep is refused: mgf1p has its own switch.")


def _sha1_policies(e, name, data, sp, generator, what, cli=False):
    """Issue 6: SHA-1 OAEP parameters are accepted (and reported) by default, refusable per country."""
    plaintext = decrypt_document(data, [sp.key])
    e.emit(name, data, key=sp, expect="ok", plaintext=plaintext, generator=generator, cli=cli,
           proves=f"{what}: decrypts under the default policy and is reported as SHA-1 OAEP (issue 6: OAEP does "
           "not rest on collision resistance; the reference node and Sweden Connect accept it).")
    e.emit(name, data, key=sp, expect="enc.algorithm_forbidden", plaintext=plaintext, generator=generator,
           write=False, cli=cli, options={"allow_sha1_oaep": False},
           proves=f"{what}: refused before any private-key operation where SHA-1 OAEP is refused for the peer.")


# --- accept: hand-assembled -------------------------------------------------------------------


def oaep_vector(pki, plaintext: bytes, *, data_bits=256, digest_bits=256, mgf_bits=256, label=None,
                sibling_key=False, n_keys=1, keyinfo=None, retrieval=None) -> bytes:
    """Hand-assembled xmlenc11#rsa-oaep + AES-GCM EncryptedAssertion to sp-enc-rsa3072. The
    EncryptedKey names the recipient by `keyinfo` (default: its certificate); with `retrieval`
    (ds:RetrievalMethod XML) the key is a sibling that the EncryptedData's KeyInfo points to."""
    recipient = pki["sp-enc-rsa3072"]
    cek = os.urandom(data_bits // 8)
    blob = gcm_encrypt(cek, plaintext)
    method = oaep_method(RSA_OAEP11, digest=DIGEST[digest_bits], mgf=MGF1[mgf_bits], label=label)
    keyinfo = keyinfo or x509_keyinfo(recipient.cert_b64)
    sibling_key = sibling_key or retrieval is not None
    keys = [
        encrypted_key(method, keyinfo,
                      b64(oaep_wrap(recipient.cert.public_key(), cek, digest_bits, mgf_bits, label)),
                      attrs=f' Id="_ek{i + 1}"' + (f' Recipient="{SP_ENTITY}"' if sibling_key else ""),
                      decls=sibling_key, carried_name="cek-1" if sibling_key else None)
        for i in range(n_keys)
    ]
    if sibling_key:
        pointer = retrieval if retrieval is not None else "<ds:KeyName>cek-1</ds:KeyName>"
        ed = encrypted_data(AES_GCM[data_bits], pointer, b64(blob))
        return enc_response(ed + "\n" + "\n".join(keys)).encode()
    return enc_response(encrypted_data(AES_GCM[data_bits], "\n".join(keys), b64(blob))).encode()


ECDH_PARAMS = {
    # AlgorithmID / PartyUInfo / PartyVInfo: hexBinary, first byte = number of padding bits.
    "text": ("00" + KW_AES[128].encode().hex(), "00" + b"https://proxy.test.example.de".hex(),
             "00" + SP_ENTITY.encode().hex()),
    "cef": ("0000", "0000", "0000"),
    "empty": ("00", "00", "00"),
}


def ecdh_vector(recipient, plaintext: bytes, *, kw_bits: int, data_bits: int, params: str, kdf_bits=256,
                kdf_uri=None, curve_override=None, recipient_inner=None) -> bytes:
    """Hand-assembled ECDH-ES + ConcatKDF + AES-KW + AES-GCM EncryptedAssertion to `recipient`."""
    cek = os.urandom(data_bits // 8)
    algid, partyu, partyv = ECDH_PARAMS[params]
    point, wrapped = ecdh_wrap(recipient.cert.public_key(), cek, kw_bits, kdf_bits, algid, partyu, partyv)
    curve_name = recipient.key.curve.name
    if curve_override is not None:
        other = ec.generate_private_key(curve_override).public_key()
        point = other.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        curve_name = curve_override.name
    keyinfo = ecdh_keyinfo(curve_uri=CURVE_OID[curve_name], point=point, kdf_digest=kdf_uri or DIGEST[kdf_bits],
                           algid=algid, partyu=partyu, partyv=partyv,
                           recipient_cert_b64=recipient.cert_b64, recipient_inner=recipient_inner)
    ek = encrypted_key(f'<xenc:EncryptionMethod Algorithm="{KW_AES[kw_bits]}"/>', keyinfo, b64(wrapped),
                       attrs=' Id="_ek1"')
    return enc_response(encrypted_data(AES_GCM[data_bits], ek, b64(gcm_encrypt(cek, plaintext)))).encode()


def _accept_primitives(e):
    sp, v = e.pki["sp-enc-rsa3072"], e.v
    gen = v["cryptography"]
    pt_self = PT_SELF.encode()
    e.emit("accept_rsaoaep_sha256_mgf1sha256_aes256gcm_primitives.xml", oaep_vector(e.pki, pt_self), key=sp,
           expect="ok", plaintext=pt_self, generator=gen,
           proves="Hand-assembled twin of the python-xmlsec vector (same algorithms); the accept sibling of the "
           "plaintext-level reject vectors.")
    data = oaep_vector(e.pki, pt_self, digest_bits=384, mgf_bits=512, sibling_key=True)
    e.emit("accept_rsaoaep_sha384_mgf1sha512_sibling_primitives.xml", data, key=sp, expect="ok", plaintext=pt_self,
           generator=gen,
           proves="Rule 26: the EncryptedKey is a sibling of EncryptedData inside EncryptedAssertion (EncryptedData "
           "KeyInfo holds only ds:KeyName, no RetrievalMethod); OAEP digest sha384 with MGF mgf1sha512.")
    data = oaep_vector(e.pki, pt_self, digest_bits=384, mgf_bits=512, sibling_key=True, label=b"eIDAS OAEP label")
    e.emit("accept_rsaoaep_sha384_mgf1sha512_oaepparams_primitives.xml", data, key=sp, expect="ok",
           plaintext=pt_self, generator=gen,
           note="Conflicts with attacks.md E4, which says OAEPparams must be absent (enc.algorithm_forbidden); "
           "profile rule 24 says 'label from xenc:OAEPparams'. Kept as ok per the task brief: confirm the policy.",
           proves="Rule 24: a non-empty xenc:OAEPparams is the OAEP label (here 'eIDAS OAEP label').")
    for recipient_name, tag in (("sp-enc-ec-p256", "p256"), ("sp-enc-ec-bp256", "bp256")):
        recipient = e.pki[recipient_name]
        for kw_bits, data_bits, params, pt in (
            (128, 128, "text" if tag == "p256" else "empty", PT_CTX if tag == "p256" else PT_SELF),
            (256, 256, "cef" if tag == "p256" else "text", PT_SELF),
        ):
            pt_bytes = pt.encode()
            data = ecdh_vector(recipient, pt_bytes, kw_bits=kw_bits, data_bits=data_bits, params=params)
            e.emit(f"accept_ecdhes_{tag}_kwaes{kw_bits}_primitives.xml", data, key=recipient, expect="ok",
                   plaintext=pt_bytes, generator=gen,
                   proves=f"Rule 25: ECDH-ES on {recipient.key.curve.name} + ConcatKDF(sha256; params '{params}': "
                   f"{_PARAM_NOTE[params]}) + kw-aes{kw_bits}, content aes{data_bits}-gcm"
                   + ("; plaintext relies on the Response's namespace declarations (rule 28)." if pt is PT_CTX
                      else "."))


_PARAM_NOTE = {
    "text": "AlgorithmID/PartyUInfo/PartyVInfo = 00 || UTF-8 text, the 00 padding byte is stripped",
    "cef": "each 0000 = one 0x00 byte after the padding byte, as the EU node sends",
    "empty": "each 00 = empty after the padding byte",
}


# --- reject -----------------------------------------------------------------------------------


def _b64_region(data: bytes, nth: int = -1):
    """The (start, end) of the nth CipherValue text (default: the last, i.e. EncryptedData's)."""
    spans = [m.span(1) for m in re.finditer(rb"<xenc:CipherValue>([^<]*)</xenc:CipherValue>", data)]
    return spans[nth]


def _mutate_cipher(data: bytes, fn, nth: int = -1) -> bytes:
    start, end = _b64_region(data, nth)
    raw = base64.b64decode(data[start:end])
    return data[:start] + base64.b64encode(fn(bytearray(raw))) + data[end:]


def _flip_last_bit(raw: bytearray) -> bytes:
    raw[-1] ^= 0x01
    return bytes(raw)


def _read(rel: str) -> bytes:
    return (ENC_DIR.parent / rel).read_bytes()


def _reject(e):
    pki, v = e.pki, e.v
    sp, att = pki["sp-enc-rsa3072"], pki["attacker-rsa3072"]
    ecp = pki["sp-enc-ec-p256"]
    xs, gen = v["python-xmlsec"], v["cryptography"]
    pt_self = PT_SELF.encode()

    data = xmlsec_encrypt(enc_response(PT_SELF), sp, AES128_CBC, oaep_method(RSA_OAEP11, **OAEP256), data_bits=128)
    e.emit("reject_aes128cbc.xml", data, key=sp, expect="enc.algorithm_forbidden", sibling=BASE_XMLSEC128,
           generator=xs, proves="E1/E2 (CBC padding oracle): aes128-cbc content encryption is refused before any "
           "private-key operation.")
    data = xmlsec_encrypt(enc_response(PT_SELF), sp, AES_GCM[128], oaep_method(RSA_1_5), data_bits=128)
    e.emit("reject_rsa15.xml", data, key=sp, expect="enc.algorithm_forbidden", sibling=BASE_XMLSEC128, generator=xs,
           proves="E3 (Bleichenbacher): rsa-1_5 key transport is refused before the RSA private operation.")
    data = xmlsec_encrypt(enc_response(PT_SELF), sp, AES_GCM[128],
                          oaep_method(RSA_OAEP11, digest=DIGEST_MD5, mgf=MGF1[256]), data_bits=128)
    e.emit("reject_oaep_digest_md5.xml", data, key=sp, expect="enc.algorithm_forbidden", sibling=BASE_XMLSEC128,
           generator=xs, note="libxmlsec1 really wraps with OAEP-MD5/MGF1-SHA256 (`openssl pkeyutl -decrypt "
           "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:md5 -pkeyopt rsa_mgf1_md:sha256` unwraps it); "
           "pyca/cryptography refuses MD5 for OAEP.",
           proves="E4: xmlenc11#rsa-oaep with an MD5 DigestMethod is refused.")
    data = ecdh_vector(ecp, PT_CTX.encode(), kw_bits=128, data_bits=128, params="text", kdf_bits=1,
                       kdf_uri=DIGEST[1])
    e.emit("reject_concatkdf_sha1.xml", data, key=ecp, expect="enc.algorithm_forbidden", sibling=BASE_ECDH,
           generator=gen, proves="E9: a ConcatKDF DigestMethod of SHA-1 is refused (the vector is otherwise "
           "decryptable).")
    data = _read(BASE_ECDH256).replace(KW_AES[256].encode(), KW_TRIPLEDES.encode(), 1)
    e.emit("reject_kw_tripledes.xml", data, key=ecp, expect="enc.algorithm_forbidden", sibling=BASE_ECDH256,
           generator=gen + "; EncryptionMethod relabelled", note="only the key-wrap URI differs from the sibling: "
           "the wrapped key is still AES-KW, so the URI must be refused before any unwrap.",
           proves="E9: kw-tripledes is not an allowed key wrap (kw-aes128/192/256 only).")

    base = _read(BASE_XMLSEC)
    common = {"key": sp, "sibling": BASE_XMLSEC}
    e.emit("reject_gcm_tag_bitflip.xml", _mutate_cipher(base, _flip_last_bit), expect="enc.decryption_failed",
           generator=xs + "; last tag bit flipped", proves="E5: a flipped GCM tag bit fails authentication and "
           "releases no plaintext.", **common)
    e.emit("reject_gcm_tag_truncated.xml", _mutate_cipher(base, lambda r: bytes(r[:-8])),
           expect="enc.decryption_failed", generator=xs + "; last 8 bytes removed",
           proves="E5: an 8-byte (truncated) tag is refused; the tag is always the last 16 bytes.", **common)
    e.emit("reject_ciphervalue_short.xml", _mutate_cipher(base, lambda r: bytes(r[:27])),
           expect="enc.decryption_failed", generator=xs + "; CipherValue cut to 27 bytes",
           proves="Rule 23 / E5: a CipherValue shorter than IV(12) + tag(16) is refused without panicking.",
           **common)
    e.emit("reject_type_content.xml",
           base.replace(b'Type="http://www.w3.org/2001/04/xmlenc#Element"', f'Type="{ENC_CONTENT}"'.encode(), 1),
           expect="enc.structure", generator=xs + "; Type attribute edited",
           proves="Rule 22: EncryptedData Type must be #Element (here #Content; the ciphertext still decrypts).",
           **common)

    data = xmlsec_encrypt(enc_response(PT_CTX), att, AES_GCM[256], oaep_method(RSA_OAEP11, **OAEP256), data_bits=256)
    e.emit("reject_key_unknown_cert.xml", data, expect="enc.key_not_found", generator=xs,
           proves="Rule 26 / fact 27: the EncryptedKey names a certificate that is not ours (attacker-rsa3072) and "
           "is refused before any private-key operation.", **common)
    data = data.replace(att.cert_b64[:64].encode(), b"@@CERT@@", 1)
    data = re.sub(rb"@@CERT@@[^<]*", sp.cert_b64.encode(), data, count=1)
    e.emit("reject_wrong_key.xml", data, expect="enc.decryption_failed",
           generator=xs + "; encrypted to attacker-rsa3072, KeyInfo certificate replaced by ours",
           proves="E7: the EncryptedKey names our certificate but was encrypted to another key: OAEP fails with the "
           "one generic decryption error.", **common)

    base = _read(BASE_ECDH)
    common = {"key": ecp, "sibling": BASE_ECDH}
    m = re.search(rb"<dsig11:PublicKey>([^<]*)</dsig11:PublicKey>", base)
    point = bytearray(base64.b64decode(m.group(1)))
    point[-1] ^= 0x01
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes(point))
        raise RuntimeError("the mutated point is unexpectedly on the curve")
    except ValueError:
        pass
    e.emit("reject_ecdh_point_not_on_curve.xml", base.replace(m.group(1), base64.b64encode(bytes(point)), 1),
           expect="enc.decryption_failed", generator=gen + "; originator Y coordinate changed",
           proves="E9 (invalid-curve attack): an originator point that is not on P-256 is refused.", **common)
    data = ecdh_vector(ecp, PT_CTX.encode(), kw_bits=128, data_bits=128, params="text",
                       curve_override=ec.SECP384R1())
    e.emit("reject_ecdh_curve_mismatch.xml", data, expect="enc.decryption_failed", generator=gen,
           note="the originator key is a valid P-384 point; the wrapped key was made for P-256 and cannot match.",
           proves="E9: an originator key on a curve other than our key's (P-384 vs P-256) is refused.", **common)
    e.emit("reject_aeskw_integrity.xml", _mutate_cipher(base, _flip_last_bit, nth=0),
           expect="enc.decryption_failed", generator=gen + "; one wrapped-key bit flipped",
           proves="E9: an AES-KW integrity check failure gives the same generic decryption error.", **common)

    common = {"key": sp, "sibling": BASE_PRIM, "generator": gen}
    two = (PT_SELF + "\n" + assertion_xml(aid="_a2", ns_decls=ASSERTION_SELF_NS)).encode()
    e.emit("reject_plaintext_two_assertions.xml", oaep_vector(pki, two), expect="xml.malformed",
           plaintext=two, proves="E7c / rule 28: a decryptable plaintext holding two Assertions is refused by the "
           "hardened parser (one document element only).",
           **common)
    resp = response_xml(decl="").encode()
    e.emit("reject_plaintext_response.xml", oaep_vector(pki, resp), expect="ok",
           plaintext=resp, proves="E7c (CVE-2016-5697 class): the XML-Enc layer decrypts a samlp:Response plaintext; "
           "the SAML layer refuses it (saml.not_an_assertion, tests/vectors/saml).", **common)
    doctype = b'<!DOCTYPE saml2:Assertion [<!ENTITY x "y">]>\n' + pt_self
    e.emit("reject_plaintext_doctype.xml", oaep_vector(pki, doctype), expect="xml.doctype_forbidden",
           plaintext=doctype, libxmlsec=False,
           proves="E10: the decrypted bytes go through the same hardened parser (DOCTYPE refused).", **common)
    e.emit("reject_three_encryptedkeys.xml", oaep_vector(pki, pt_self, n_keys=3), expect="enc.structure",
           proves="E8: three EncryptedKeys (all valid for our key) exceed the limit of one (two during rollover).",
           **common)


# --- issue 6: the recipient named by KeyValue; RetrievalMethod to a sibling ------------------


def _key_value(e):
    """The recipient named by ds:KeyValue only: RSAKeyValue (key transport) and ECKeyValue in
    RecipientKeyInfo (ECDH-ES), each with a sibling naming a public key that is not ours."""
    pki, gen = e.pki, e.v["cryptography"]
    sp, att = pki["sp-enc-rsa3072"], pki["attacker-rsa3072"]
    ecp, idp_ec = pki["sp-enc-ec-p256"], pki["idp-ec-p256"]
    pt = PT_SELF.encode()

    keyinfo = "<ds:KeyInfo>\n" + indent(rsa_keyvalue(sp.cert.public_key()), 4) + "\n</ds:KeyInfo>"
    e.emit("accept_keyvalue_rsa_primitives.xml", oaep_vector(pki, pt, keyinfo=keyinfo), key=sp, expect="ok",
           plaintext=pt, generator=gen,
           proves="Issue 6: the EncryptedKey names our RSA key by ds:KeyValue/ds:RSAKeyValue only (Modulus, "
           "Exponent), as the EU reference node's rsa-keyValues sample does; matched against our public key "
           "before any private-key operation.")
    ours, theirs = (_modulus_b64(k) for k in (sp, att))
    base = _read(BASE_KEYVALUE_RSA)
    if base.count(ours) != 1:
        raise RuntimeError("our modulus must appear once in the KeyValue vector")
    e.emit("reject_keyvalue_rsa_other_key.xml", base.replace(ours, theirs, 1), key=sp, expect="enc.key_not_found",
           sibling=BASE_KEYVALUE_RSA, generator=gen + "; Modulus replaced by attacker-rsa3072's",
           proves="Issue 6: an RSAKeyValue whose modulus is none of our keys names no key: refused before any "
           "private-key operation, and no other key is tried.")

    point = uncompressed_point(ecp.cert.public_key())
    inner = ec_keyvalue(CURVE_OID[ecp.key.curve.name], point)
    data = ecdh_vector(ecp, pt, kw_bits=256, data_bits=256, params="empty", recipient_inner=inner)
    e.emit("accept_keyvalue_ec_p256_primitives.xml", data, key=ecp, expect="ok", plaintext=pt, generator=gen,
           proves="Issue 6: ECDH-ES (ConcatKDF sha256, params '00', kw-aes256) whose RecipientKeyInfo names our "
           "P-256 key by ds:KeyValue/dsig11:ECKeyValue only (NamedCurve URI + uncompressed PublicKey).")
    ours, theirs = (b64(uncompressed_point(k.cert.public_key())).encode() for k in (ecp, idp_ec))
    base = _read(BASE_KEYVALUE_EC)
    if base.count(ours) != 1:
        raise RuntimeError("our point must appear once in the ECKeyValue vector")
    e.emit("reject_keyvalue_ec_other_key.xml", base.replace(ours, theirs, 1), key=ecp, expect="enc.key_not_found",
           sibling=BASE_KEYVALUE_EC, generator=gen + "; RecipientKeyInfo PublicKey replaced by idp-ec-p256's",
           proves="Issue 6: an ECKeyValue whose point is none of our keys (another P-256 key) names no key.")


def _modulus_b64(party) -> bytes:
    n = party.cert.public_key().public_numbers().n
    return b64(n.to_bytes((n.bit_length() + 7) // 8, "big")).encode()


def _retrieval_method(e):
    """SAML Core 2.2.4's shape: EncryptedData/ds:KeyInfo/ds:RetrievalMethod pointing to the sibling
    EncryptedKey; every other RetrievalMethod is refused (attacks.md E8), one defect each."""
    pki, gen = e.pki, e.v["cryptography"]
    sp = pki["sp-enc-rsa3072"]
    pt = PT_SELF.encode()
    pointer = f'<ds:RetrievalMethod Type="{RETRIEVAL_TYPE}" URI="#_ek1"/>'
    e.emit("accept_retrieval_method_sibling_primitives.xml", oaep_vector(pki, pt, retrieval=pointer), key=sp,
           expect="ok", plaintext=pt, generator=gen,
           proves="SAML Core 2.2.4 (issue 6): EncryptedData/ds:KeyInfo/ds:RetrievalMethod Type=…#EncryptedKey "
           "URI=\"#_ek1\" points to the EncryptedKey beside the EncryptedData in the EncryptedAssertion: "
           "followed as a same-document pointer to a sibling, nothing fetched.")
    base = _read(BASE_RETRIEVAL)
    if base.count(pointer.encode()) != 1:
        raise RuntimeError("the RetrievalMethod must appear once")

    def edited(new_pointer: str) -> bytes:
        return base.replace(pointer.encode(), new_pointer.encode(), 1)

    common = {"key": sp, "sibling": BASE_RETRIEVAL, "expect": "enc.structure"}
    transforms = ('><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
                  "</ds:Transforms></ds:RetrievalMethod>")
    for name, new_pointer, what, libxmlsec in (
        ("external_uri", pointer.replace("#_ek1", "https://proxy.test.example.de/keys/ek1.xml"),
         "an external URI (refused and never fetched)", False),
        ("empty_uri", pointer.replace("#_ek1", ""), "an empty URI (the whole document)", True),
        ("other_type", pointer.replace(RETRIEVAL_TYPE, "http://www.w3.org/2000/09/xmldsig#X509Data"),
         "Type …xmldsig#X509Data instead of …xmlenc#EncryptedKey", True),
        ("with_transforms", pointer.replace("/>", transforms),
         "a ds:Transforms child (even a harmless exc-c14n)", True),
    ):
        e.emit(f"reject_retrieval_method_{name}.xml", edited(new_pointer),
               generator=gen + "; RetrievalMethod edited", libxmlsec=libxmlsec,
               proves=f"attacks.md E8: a RetrievalMethod with {what} is refused; the sibling EncryptedKey is "
               "still there and decryptable.", **common)
    # The same EncryptedKey (Id _ek2) copied outside the EncryptedAssertion, as a Response child.
    m = re.search(rb'<xenc:EncryptedKey [^>]*Id="_ek1".*?</xenc:EncryptedKey>', base, re.S)
    outside = m.group(0).replace(b'Id="_ek1"', b'Id="_ek2"', 1)
    data = edited(pointer.replace("#_ek1", "#_ek2")).replace(
        b"</saml2:EncryptedAssertion>", b"</saml2:EncryptedAssertion>\n    " + outside, 1)
    e.emit("reject_retrieval_method_target_not_sibling.xml", data,
           generator=gen + "; EncryptedKey copied outside the EncryptedAssertion, RetrievalMethod pointed at it",
           proves="attacks.md E8: a RetrievalMethod pointing to an EncryptedKey outside the EncryptedAssertion "
           "(not a sibling of the EncryptedData) is refused, although the sibling would decrypt.", **common)
