"""Writes tests/vectors/README.md: the fixed explanations plus one table row per manifest entry."""

from .common import VECTORS

INTRO = """# Test vectors

Signed and encrypted XML made by **independent implementations** (never by our Rust code), for the
`xmlsec` module: signature verification (XML-DSig), decryption (XML-Enc), and the hardened parser in front
of both. **Do not edit the files by hand**: they are generated, and this README too.

```
/path/to/venv/bin/python tests/vectors/generate.py     # needs requirements.txt + Debian `xmlsec1` on PATH
```

| path | what |
|---|---|
| `generate.py`, `vectorgen/` | the generator (one module per concept: PKI, documents, signing, encryption, vectors, this README) |
| `requirements.txt` | the exact Python packages used |
| `xmlsec/manifest.json` | one entry per test case; the Rust tests iterate it |
| `xmlsec/sig/` | signature vectors (`op: verify`) |
| `xmlsec/enc/` | encryption vectors (`op: decrypt`); `NAME.plaintext.xml` = the exact decrypted bytes |
| `../../certs/test-pki/` | the TEST-ONLY keys and certificates the vectors use (see its README) |
| `../oracles/` | CLI oracles for live round trips (below) |

Other directories under `tests/vectors/` come from other generators and have their own README.

Re-running keeps the test PKI but re-makes every vector: names are fixed, contents change (PSS salts, ECDSA
nonces, GCM IVs and content keys are random). The generator stops if a positive vector does not verify or
decrypt with an independent implementation.

## Implementations used

{versions}

- **python-xmlsec** signs from hand-written templates (RSA-PSS `…xmldsig-more#sha256-rsa-MGF1` is known to
  libxmlsec1 1.3.9), and encrypts from templates (`xmlenc11#rsa-oaep` with `ds:DigestMethod` + `xenc11:MGF`).
- **xmlsec1 CLI** (Debian 1.2.37) does not know RSA-PSS; it makes the ECDSA and `rsa-oaep-mgf1p` vectors.
- **signxml** signs with a `<ds:Signature Id="placeholder"/>` put right after `Issuer`.
- **hand-assembled** ("primitives"): the template text is signed as written, digest and SignedInfo
  canonicalized by lxml (libxml2) exclusive c14n, signature by pyca/cryptography (PSS salt = hash length,
  ECDSA raw r||s). Encryption: cryptography OAEP / ECDH + ConcatKDF + AES-KW / AES-GCM, XML written as text.
  This is how negative vectors get a valid signature over a forbidden shape.

Quirks found while generating (they matter when you read the vectors):
- signxml 5.2.0 re-parses the input before signing, so CDATA comes out as escaped text; and its
  `inclusive_ns_prefixes` is broken for enveloped signatures (it writes `InclusiveNamespaces` only on
  SignedInfo's CanonicalizationMethod, with an `ns0:` prefix, while also using the prefixes for the Reference
  digest: the result verifies nowhere, not even in signxml). The signxml vectors therefore carry no PrefixList.
- libxmlsec1 (both) wraps base64 at 64 columns with LF; python-xmlsec writes `<?xml version='1.0' …?>` with
  single quotes (lxml). GCM CipherValue is IV(12) || ciphertext || tag(16).
- libxmlsec1 serializes the encrypted element with `xmlNodeDump`: namespace declarations made on ancestors are
  NOT repeated in the plaintext. Those plaintexts start `<saml2:Assertion ID=…>` with `saml2` undeclared
  (rule 28: parse with the EncryptedAssertion's in-scope namespaces).
- libxmlsec1 1.3.9 wraps with OAEP-**MD5** when the template says so (`reject_oaep_digest_md5.xml`);
  pyca/cryptography refuses MD5 for OAEP.
- libxmlsec1 1.3.9 cannot decrypt ECDH-ES: it fails the same way ("bad magic block" at kw-aes) on our
  vectors and on the EU reference node's own samples (`../shared/interop/responses/encrypted/`, relative to
  the repository root), which `../oracles/decrypt_cryptography.py` decrypts (all four ECDH samples, P-256 and brainpoolP256r1). So the
  ECDH-ES vectors are checked against the oracle that agrees with the EU node.
- libxmlsec1 does not look for an EncryptedKey that is a sibling of EncryptedData unless a RetrievalMethod
  points to it, so `python-xmlsec: failed` is expected for the `…sibling…` and `…oaepparams…` vectors
  (ds:KeyName only), while it follows the `…retrieval_method…` ones (the cross-check registers `Id` as an ID).
- libxmlsec1 does not select the private key by `ds:KeyValue`: it decrypts the RSA `…keyvalue…` vectors with
  the one key it holds, also `reject_keyvalue_rsa_other_key.xml` (a recipient that checks the named key
  refuses it), and fails on the ECDH-ES ones as on every ECDH-ES vector.

## manifest.json

A JSON array. Paths in `file` and `plaintext` are relative to `tests/vectors/xmlsec/`; paths in `trust` and
`keys` are relative to the repository root.

| field | meaning |
|---|---|
| `file` | the input |
| `op` | `verify` (XML-DSig) or `decrypt` (XML-Enc) |
| `trust` | verify: the trusted signer certificate(s) (from "metadata"); never take a key from KeyInfo |
| `keys` | decrypt: our private key(s) |
| `element` | verify: `root` = the document element; `assertion` = the first `saml2:Assertion` in document order (the document element when it is one) |
| `expect` | `ok` or the exact error code (below) |
| `options` | a non-default policy for this entry: `{{"min_rsa_bits": 2048}}`, `{{"allow_sha1_oaep": false}}`, `{{"allow_rsa_oaep_mgf1p": false}}`. The same file may appear several times: once with the default policy, once per option |
| `plaintext` | decrypt: the exact expected plaintext bytes (every entry that decrypts has one) |
| `sha1_oaep` | decrypt: `true` when the decryption must report SHA-1 OAEP parameters (digest or MGF1, explicit or by default; every `rsa-oaep-mgf1p`); absent = must report `false` |
| `expect_text` | values that must be read from the verified element (`NameID` = the concatenation of all its text nodes) |
| `generated` | the input is made at test time from `file`: insert `filler` before `insert_before` until the document has at least `min_total_bytes` bytes (`xml.too_large`; not committed because of its size) |
| `sibling` | the accept vector this reject vector is a one-defect mutation of |
| `generator` | who made the bytes (and what was changed afterwards) |
| `proves` | the rule or attack (`xmlsec-profile.md` rule N, `attacks.md` id) |
| `crosscheck` | what independent implementations say. Signatures: `python-xmlsec` (libxmlsec1; enforces no policy), `signxml` (only the declared method allowed, every digest allowed, signature at its place), `xmlsec1` (Debian CLI), `primitives` (a hand verifier: first SignedInfo only, lxml c14n + cryptography; transforms not interpreted). Decryption: `cryptography` (`../oracles/decrypt_cryptography.py`; "ok" means the plaintext matched), `python-xmlsec`, `xmlsec1`. For reject vectors this is informational: "valid" shows that only the profile rule can refuse it |
| `note` | anything a reader of the test should know |

Error codes (the Rust `code()` strings): `xml.doctype_forbidden`, `xml.entity_forbidden`, `xml.pi_forbidden`,
`xml.too_deep`, `xml.too_many_attributes`, `xml.too_many_namespaces`, `xml.too_large`, `xml.malformed`,
`xml.duplicate_id`, `xml.invalid_id`, `sig.missing`, `sig.multiple`, `sig.misplaced`, `sig.structure`,
`sig.c14n_forbidden`, `sig.algorithm_forbidden`, `sig.digest_forbidden`, `sig.reference`,
`sig.transforms_forbidden`, `sig.digest_mismatch`, `sig.invalid`, `sig.key_too_small`, `sig.key_type_mismatch`,
`sig.curve_forbidden`,
`enc.algorithm_forbidden`, `enc.decryption_failed`, `enc.key_not_found`, `enc.structure`,
and the parser codes for decrypted plaintexts (the SAML layer adds `saml.not_an_assertion`).

Where a vector could fail two rules, its code assumes the checks run in profile order: parser (size, DOCTYPE,
entities, PIs, encoding, limits, IDs) → signature placement (rule 6: `sig.missing`, `sig.multiple`,
`sig.misplaced`) → Signature shape (rule 7: `sig.structure`, including comments inside `ds:` elements) →
c14n (8) → methods (9, 13: `sig.algorithm_forbidden`, key type vs method) → Reference (10) → transforms (11) →
digest method (12) → key size/curve (`sig.key_too_small`) → digest value → signature value. Decryption:
structure and algorithms before any private-key operation; `enc.key_not_found` before any RSA/ECDH
operation; every cryptographic failure is `enc.decryption_failed`.

## The documents

- The Response (`saml2p:Response ID="_r1"`, prefixes `saml2p`/`saml2`, `xmlns:eidas-natural`, `xsd`, `xsi`
  declared on it) has Issuer, Status Success and `saml2:Assertion ID="_a1"` with Issuer, Subject/NameID
  `DE/FR/0123456789abcdef`, Conditions, AuthnStatement (LoA substantial) and the eIDAS minimum data set:
  a Greek family name with `xml:lang="el"`, a CDATA given name (`Anna-Maria & <Zoë>`), `&#13;&#10;` in
  PlaceOfBirth, and QName content (`xsi:type="eidas-natural:…"`, `"xsd:string"`).
- The enveloped `ds:Signature` sits right after the signed element's `saml2:Issuer`, Reference `#ID`,
  transforms exactly [enveloped-signature, exc-c14n], SignedInfo exc-c14n; the python-xmlsec and hand-made
  ones carry `ec:InclusiveNamespaces PrefixList="xsd eidas-natural"` on the exc-c14n transform.
- Metadata: an `md:EntityDescriptor ID="_md1"` with the Signature as first child (URI `""` or `#_md1`).
- Encryption: the same Response, unsigned, with `saml2:EncryptedAssertion/xenc:EncryptedData
  Type="…#Element"`; the EncryptedKey names our certificate in `ds:KeyInfo/ds:X509Data` (ECDH-ES:
  `RecipientKeyInfo`), and the plaintext is one `saml2:Assertion`. The `…keyvalue…` vectors name it by
  `ds:KeyValue` instead; the `…retrieval_method…` ones put the EncryptedKey beside the EncryptedData, pointed
  to by `ds:RetrievalMethod` (SAML Core 2.2.4).

## Oracles for live round trips (`tests/oracles/`)

Run with the venv python (`EIDAS_TEST_PYTHON`, default `python3`). Each exits 0 on success, non-zero with a
message on stderr otherwise.

```
verify_signxml.py  --cert CERT --alg SIGNATURE_METHOD_URI [--digest DIGEST_URI] FILE   # prints "OK {{ns}}Tag"
verify_xmlsec.py   --cert CERT FILE                                                     # prints "OK {{ns}}Tag"
sign_signxml.py    --key KEY --cert CERT --alg SIGNATURE_METHOD_URI --digest DIGEST_URI FILE   > signed.xml
encrypt_xmlsec.py  --cert CERT [--cipher aes256-gcm] [--wrap] FILE                      > EncryptedData.xml
decrypt_cryptography.py --key KEY [--key KEY2 …] FILE                                   > plaintext.xml
c14n_lxml.py [--prefixes "xsd eidas-natural"] [--xpath-id ID] [--exclude-signature] FILE > c14n.bin
```

## Not made, and why

- `idp-ec-p192` exists (cryptography/OpenSSL still generate P-192), so the weak-curve vector is real.
- `xml.too_large` is not committed (over 1 MiB): see `generated`.
- DSA: no DSA key in the test PKI; `reject_alg_dsa_sha256.xml` carries the dsa-sha256 URI over an RSA-PSS
  value, because the method must be refused before any key operation.
- kw-tripledes: cryptography has no 3DES key wrap; the vector relabels an AES-KW vector (the URI must be
  refused before any unwrap).
- `reject_transform_enveloped_missing.xml`: a digest that is valid without the enveloped transform cannot
  exist (it would cover its own value); its digest is the enveloped one.
- XSW3-XSW8 are rejected here through `element: assertion` = the first Assertion; at the SAML layer they are
  also "more than one Assertion" cases.
- An `Id` attribute next to `ID` is not made: only `ID` is an ID (xmlsec-profile rule 5).

## Files
"""


def write(manifest, versions):
    rows = {"verify": [], "decrypt": []}
    for m in manifest.entries:
        expect = m["expect"] if "options" not in m else f"{m['expect']} with `{_compact(m['options'])}`"
        if m.get("generated"):
            expect += " (generated input)"
        if m.get("element") == "assertion":
            expect += " (element: assertion)"
        if m.get("sha1_oaep"):
            expect += " (reports sha1_oaep)"
        rows[m["op"]].append(
            f"| `{m['file']}` | {expect} | {_cell(m['generator'])} | {_cell(m['proves'])} |"
        )
    vers = "\n".join(f"- {v}" for k, v in versions.items() if k != "cryptography")
    header = "| file | expect | made by | proves |\n|---|---|---|---|\n"
    text = (
        INTRO.format(versions=vers)
        + "\n### Signatures (`op: verify`)\n\n"
        + header
        + "\n".join(rows["verify"])
        + "\n\n### Encryption (`op: decrypt`)\n\n"
        + header
        + "\n".join(rows["decrypt"])
        + "\n"
    )
    (VECTORS / "README.md").write_text(text, encoding="utf-8")


def _compact(options: dict) -> str:
    return ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in options.items())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
