"""The proxy service's metadata for the scenario peer, signed by a separate metadata key.

`proxy-metadata.xml` is what the connector would fetch from the proxy's entityID (a CEF-shaped
md:EntityDescriptor, MF 2.1 / eidas-spec §6.1); `proxy-metadata-expired.xml` differs only by
`validUntil` (re-signed); `proxy-metadata-tampered.xml` is the valid file edited after signing.

`render(..., entity=ProxyEntity(...))` makes the same document for another proxy service (the
mock proxy service of the integration tests, `tests/oracles/mock_proxy.py`, uses it).
"""

import json
from dataclasses import dataclass

from . import scenario as s
from .checks import check_metadata
from .build import PY_XMLSEC
from .xmlcrypto import PSS_SHA256, cert_b64, sign, signature_template

VALID_UNTIL = "2027-11-25T00:00:00Z"
EXPIRED_VALID_UNTIL = "2026-01-01T00:00:00Z"
URI = s.URI_FORMAT
ATTRIBUTES = [
    ("PersonIdentifier", s.PERSON_IDENTIFIER),
    ("FamilyName", s.CURRENT_FAMILY_NAME),
    ("FirstName", s.CURRENT_GIVEN_NAME),
    ("DateOfBirth", s.DATE_OF_BIRTH),
    ("PlaceOfBirth", s.PLACE_OF_BIRTH),
    ("CurrentAddress", s.CURRENT_ADDRESS),
    ("Gender", s.GENDER),
]


@dataclass(frozen=True)
class ProxyEntity:
    """Who the metadata describes; the defaults are the vectors' scenario peer."""

    entity_id: str = s.PROXY_ENTITY_ID
    sso_url: str = s.PROXY_SSO_URL
    country: str = s.COUNTRY
    metadata_id: str = s.METADATA_ID
    encryption_cert: str | None = None  # base64 DER; None: the scenario proxy's (idp-rsa3072)
    attributes: tuple = tuple(ATTRIBUTES)  # (FriendlyName, Name) of each supported attribute
    signing_methods: tuple = ((PSS_SHA256, 3072),)  # alg:SigningMethod (Algorithm, MinKeySize)


def _key_descriptor(use: str, cert: str, extra: str = "") -> str:
    return (f'        <md:KeyDescriptor use="{use}">\n'
            "            <ds:KeyInfo>\n"
            "                <ds:X509Data>\n"
            f"                    <ds:X509Certificate>{cert}</ds:X509Certificate>\n"
            "                </ds:X509Data>\n"
            "            </ds:KeyInfo>\n"
            f"{extra}"
            "        </md:KeyDescriptor>\n")


def render(valid_until: str, signing_cert: str | None = None, signature: str = "",
           entity: ProxyEntity = ProxyEntity()) -> str:
    """The EntityDescriptor text; `signature` is a ds:Signature template (or "" for unsigned)."""
    signing_cert = signing_cert or cert_b64(s.IDP_SIGNING)
    encryption_cert = entity.encryption_cert or cert_b64(s.IDP_SIGNING)
    enc_methods = "".join(f'            <md:EncryptionMethod Algorithm="{a}"/>\n' for a in (
        "http://www.w3.org/2009/xmlenc11#aes256-gcm", "http://www.w3.org/2009/xmlenc11#aes128-gcm",
        "http://www.w3.org/2009/xmlenc11#rsa-oaep"))
    attrs = "".join(f'        <saml2:Attribute FriendlyName="{f}" Name="{n}" NameFormat="{URI}"/>\n'
                    for f, n in entity.attributes)
    signing_methods = "".join(
        '        <alg:SigningMethod xmlns:alg="urn:oasis:names:tc:SAML:metadata:algsupport" '
        f'Algorithm="{a}" MinKeySize="{size}"/>\n' for a, size in entity.signing_methods)
    sig = "    " + signature.replace("\n", "\n    ") + "\n" if signature else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="{s.NS_DS}" '
        f'xmlns:saml2="{s.NS_SAML}" ID="{entity.metadata_id}" entityID="{entity.entity_id}" validUntil="{valid_until}">\n'
        f"{sig}"
        "    <md:Extensions>\n"
        '        <mdattr:EntityAttributes xmlns:mdattr="urn:oasis:names:tc:SAML:metadata:attribute">\n'
        f'            <saml2:Attribute Name="urn:oasis:names:tc:SAML:attribute:assurance-certification" NameFormat="{URI}">\n'
        f'                <saml2:AttributeValue>{s.LOA["substantial"]}</saml2:AttributeValue>\n'
        f'                <saml2:AttributeValue>{s.LOA["high"]}</saml2:AttributeValue>\n'
        "            </saml2:Attribute>\n"
        f'            <saml2:Attribute Name="http://eidas.europa.eu/entity-attributes/protocol-version" NameFormat="{URI}">\n'
        "                <saml2:AttributeValue>1.2</saml2:AttributeValue>\n"
        "            </saml2:Attribute>\n"
        "        </mdattr:EntityAttributes>\n"
        '        <alg:DigestMethod xmlns:alg="urn:oasis:names:tc:SAML:metadata:algsupport" '
        'Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>\n'
        f"{signing_methods}"
        "    </md:Extensions>\n"
        '    <md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n'
        "        <md:Extensions>\n"
        f'            <eidas:NodeCountry xmlns:eidas="http://eidas.europa.eu/saml-extensions">{entity.country}</eidas:NodeCountry>\n'
        "        </md:Extensions>\n"
        f"{_key_descriptor('signing', signing_cert)}"
        f"{_key_descriptor('encryption', encryption_cert, enc_methods)}"
        f"        <md:NameIDFormat>{s.NAMEID_PERSISTENT}</md:NameIDFormat>\n"
        f"        <md:NameIDFormat>{s.NAMEID_TRANSIENT}</md:NameIDFormat>\n"
        f"        <md:NameIDFormat>{s.NAMEID_UNSPECIFIED}</md:NameIDFormat>\n"
        '        <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        f'Location="{entity.sso_url}"/>\n'
        f"{attrs}"
        "    </md:IDPSSODescriptor>\n"
        "    <md:Organization>\n"
        '        <md:OrganizationName xml:lang="en">Example ES eIDAS proxy service (TEST)</md:OrganizationName>\n'
        '        <md:OrganizationDisplayName xml:lang="en">ES proxy service (TEST)</md:OrganizationDisplayName>\n'
        '        <md:OrganizationURL xml:lang="en">https://eidas.example.es/</md:OrganizationURL>\n'
        "    </md:Organization>\n"
        '    <md:ContactPerson contactType="support">\n'
        "        <md:EmailAddress>mailto:support@eidas.example.es</md:EmailAddress>\n"
        "    </md:ContactPerson>\n"
        '    <md:ContactPerson contactType="technical">\n'
        "        <md:EmailAddress>mailto:technical@eidas.example.es</md:EmailAddress>\n"
        "    </md:ContactPerson>\n"
        "</md:EntityDescriptor>\n"
    )


def _signed(valid_until: str) -> bytes:
    return sign(render(valid_until, signature=signature_template("#" + s.METADATA_ID)), s.METADATA_SIGNER)


def generate() -> list:
    """Writes the three metadata files and returns their manifest entries."""
    generator = (f"tests/vectors/saml_gen/generate_responses.py: EntityDescriptor signed by {PY_XMLSEC}: "
                 f"enveloped, exc-c14n, sha256-rsa-MGF1 + sha256, Reference #{s.METADATA_ID}, "
                 f"KeyInfo {s.METADATA_SIGNER}")
    context = {
        "now": s.NOW,
        "entity_id": s.PROXY_ENTITY_ID,
        "country": s.COUNTRY,
        "trusted_metadata_signers": [s.cert_rel(s.METADATA_SIGNER)],
    }
    expect_values = {
        "entity_id": s.PROXY_ENTITY_ID,
        "valid_until": VALID_UNTIL,
        "node_country": s.COUNTRY,
        "signing_certs": [s.cert_rel(s.IDP_SIGNING)],
        "encryption_certs": [s.cert_rel(s.IDP_SIGNING)],
        "levels_of_assurance": ["substantial", "high"],
        "protocol_versions": ["1.2"],
        "sso_post_url": s.PROXY_SSO_URL,
        "name_id_formats": ["persistent", "transient", "unspecified"],
        "attributes": [n for _, n in ATTRIBUTES],
    }
    valid = _signed(VALID_UNTIL)
    expired = _signed(EXPIRED_VALID_UNTIL)
    marker = f"<ds:X509Certificate>{cert_b64(s.IDP_SIGNING)}</ds:X509Certificate>".encode()
    attacker = f"<ds:X509Certificate>{cert_b64(s.ATTACKER)}</ds:X509Certificate>".encode()
    tampered = valid.replace(marker, attacker, 1)  # the first one is the use="signing" KeyDescriptor
    if tampered == valid:
        raise AssertionError("tampering did not change the metadata")
    entries = []
    for file, data, expect, cause, valid_sig, proves, extra in (
        ("proxy-metadata.xml", valid, "valid", None, True,
         "The peer's signed metadata verifies against the metadata signer and yields the peer configuration used "
         "by every Response vector (signing cert, LoAs, protocol version 1.2, NodeCountry ES).",
         {"expect_values": expect_values}),
        ("proxy-metadata-expired.xml", expired, "metadata.expired", None, True,
         f"Correctly signed metadata whose validUntil ({EXPIRED_VALID_UNTIL}) is before now is refused.", {}),
        ("proxy-metadata-tampered.xml", tampered, "metadata.signature", "sig.digest_mismatch", False,
         "Metadata edited after signing (the use=\"signing\" certificate swapped for attacker-rsa3072's) is refused.",
         {"defect": "the use=\"signing\" X509Certificate was replaced by attacker-rsa3072's after signing",
          "sibling": "proxy-metadata.xml"}),
    ):
        (s.OUT_DIR / file).write_bytes(data)
        entry = {"file": file, "expect": expect}
        if cause:
            entry["expect_cause"] = cause
        entry["context"] = context
        entry.update(extra)
        entry["generator"] = generator if file != "proxy-metadata-tampered.xml" else (
            generator + "; then one certificate swapped in the signed bytes")
        entry["proves"] = proves
        entry["crosscheck"] = check_metadata(data, valid=valid_sig)
        entries.append(entry)
    return entries


def write_manifest(entries: list):
    (s.OUT_DIR / "metadata-manifest.json").write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n",
                                                      encoding="utf-8")
