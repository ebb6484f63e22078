"""The SAML side of the mock proxy service (`mock_proxy.py`): it reads and verifies our
AuthnRequest, reads our connector metadata, and makes the proxy's metadata and Responses.

Everything it signs or encrypts is made by independent implementations (python-xmlsec for
signatures and RSA-OAEP + AES-GCM, pyca/cryptography for ECDH-ES), through the Response vector
generator's templates and crypto helpers (`tests/vectors/saml_gen`); never by the connector's
Rust code. What comes from the connector is parsed without DTDs, entities or network access,
and the AuthnRequest is answered only once its signature verified against a signing
certificate of the connector metadata.

The caller puts `tests/vectors` on `sys.path` (the `saml_gen` package).
"""

import base64
import datetime
import ipaddress
import os
import urllib.parse
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree

from saml_gen import metadata as md
from saml_gen import scenario as s
from saml_gen import templates as t
from saml_gen import xmlcrypto as xc

NS_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
NS_EIDAS = "http://eidas.europa.eu/saml-extensions"
NS = {"saml2p": s.NS_SAMLP, "saml2": s.NS_SAML, "ds": s.NS_DS, "md": NS_MD, "eidas": NS_EIDAS}
BINDING_POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
MAX_FETCH_BYTES = 1 << 20
FETCH_TIMEOUT_SECS = 5
RESPONSE_LIFETIME = datetime.timedelta(minutes=5)

# --- keys ---------------------------------------------------------------------------------------
METADATA_SIGNER = s.METADATA_SIGNER  # signs the mock's metadata
ENCRYPTION_CERT = s.IDP_SIGNING  # published as the proxy's use="encryption" certificate
ROLLOVER_KEYS = ("idp-rsa3072", "idp-ec-p256")  # response-signing keys, in rollover order
ATTACKER = s.ATTACKER

# --- scenarios ----------------------------------------------------------------------------------
# Non-success statuses: (top-level, second-level, StatusMessage), eidas-spec §2.4 and franceconnect §2.7.
FAILURES = {
    "cancel": (s.STATUS_RESPONDER, s.STATUS_REQUEST_DENIED, "Consent not given for a mandatory attribute."),
    "authn_failed": (s.STATUS_RESPONDER, s.STATUS_AUTHN_FAILED, s.MSG_AUTHN_FAILED),
    "loa_not_met": (s.STATUS_RESPONDER, None, "202019 - Incorrect Level of Assurance in IdP response"),
}
# Successful authentications, each with at most one defect.
SUCCESSES = ("success", "loa_low", "bad_signature", "signed_by_attacker", "wrong_audience", "wrong_destination",
             "expired", "unsigned")
SCENARIOS = SUCCESSES[:1] + tuple(FAILURES) + SUCCESSES[1:]
OTHER_AUDIENCE = s.OTHER_ENTITY_ID
OTHER_DESTINATION = s.OTHER_ACS_URL
MANDATORY = (s.PERSON_IDENTIFIER, s.CURRENT_FAMILY_NAME, s.CURRENT_GIVEN_NAME, s.DATE_OF_BIRTH)


class Refused(Exception):
    """The AuthnRequest (or the connector metadata it leads to) is not acceptable: answer 400."""


# --- small helpers ------------------------------------------------------------------------------


def now_utc() -> datetime.datetime:
    """The current instant, in UTC."""
    return datetime.datetime.now(datetime.timezone.utc)


def instant(when: datetime.datetime) -> str:
    """xsd:dateTime in UTC with milliseconds, as the reference node writes it."""
    when = when.astimezone(datetime.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def new_id(prefix: str = "_") -> str:
    """A fresh NCName ID with 256 random bits."""
    return prefix + os.urandom(32).hex()


def _parser():
    """lxml without DTDs, entities or network access."""
    return etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False)


def _bool(value: str | None) -> bool | None:
    """An xs:boolean attribute (None when absent)."""
    return None if value is None else value.strip() in ("true", "1")


@dataclass(frozen=True)
class Pki:
    """The test PKI directory (`certs/test-pki`): `NAME.key.pem` and `NAME.crt.pem`."""

    directory: Path

    def key(self, name: str) -> Path:
        """The private key file of `name`."""
        return self.directory / f"{name}.key.pem"

    def cert(self, name: str) -> Path:
        """The certificate file of `name`."""
        return self.directory / f"{name}.crt.pem"

    def certificate(self, name: str) -> x509.Certificate:
        """The certificate of `name`, loaded."""
        return x509.load_pem_x509_certificate(self.cert(name).read_bytes())

    def cert_b64(self, name: str) -> str:
        """The certificate of `name` as ds:X509Certificate content."""
        return xc.der_b64(self.certificate(name))

    def signature_method(self, name: str) -> tuple[str, int]:
        """(SignatureMethod URI, key size) for the key `name`: RSASSA-PSS SHA-256 or ECDSA SHA-256."""
        key = self.certificate(name).public_key()
        if isinstance(key, ec.EllipticCurvePublicKey):
            return xc.ECDSA_SHA256, key.curve.key_size
        return xc.PSS_SHA256, key.key_size

    def signature_template(self, signer: str, ref_id: str) -> str:
        """An enveloped ds:Signature template over #ref_id with `signer`'s SignatureMethod."""
        return xc.signature_template("#" + ref_id, method=self.signature_method(signer)[0])

    def sign(self, text: str, signer: str) -> bytes:
        """python-xmlsec fills the document element's ds:Signature template with `signer`'s key."""
        return xc.sign_with(text, self.key(signer), self.cert(signer))


# --- the proxy's metadata -----------------------------------------------------------------------


@dataclass(frozen=True)
class Proxy:
    """The mock proxy service: where it is, its country, and its current response-signing key."""

    entity_id: str  # = its metadata URL
    sso_url: str
    country: str
    pki: Pki
    signer: str = ROLLOVER_KEYS[0]


def build_metadata(proxy: Proxy, valid_until: datetime.datetime, *, signed: bool = True,
                   metadata_signer: str = METADATA_SIGNER) -> bytes:
    """The proxy's EntityDescriptor (saml_gen/metadata.py shape), signed by `metadata_signer`
    (default `idp-metadata-signer`, the connector's trust anchor; RSASSA-PSS SHA-256, Reference #ID),
    publishing `proxy.signer`'s certificate as use="signing"."""
    method, size = proxy.pki.signature_method(proxy.signer)
    entity = md.ProxyEntity(entity_id=proxy.entity_id, sso_url=proxy.sso_url, country=proxy.country,
                            metadata_id=new_id("_md"), encryption_cert=proxy.pki.cert_b64(ENCRYPTION_CERT),
                            signing_methods=((method, size),))
    signature = proxy.pki.signature_template(metadata_signer, entity.metadata_id) if signed else ""
    text = md.render(instant(valid_until), signing_cert=proxy.pki.cert_b64(proxy.signer), signature=signature,
                     entity=entity)
    return proxy.pki.sign(text, metadata_signer) if signed else text.encode("utf-8")


def tamper_metadata(data: bytes, proxy: Proxy) -> bytes:
    """Signed metadata with its use="signing" certificate swapped for the attacker's after signing."""
    current = proxy.pki.cert_b64(proxy.signer).encode()
    return data.replace(current, proxy.pki.cert_b64(ATTACKER).encode(), 1)


# --- the AuthnRequest ---------------------------------------------------------------------------


@dataclass
class AuthnRequest:
    """What the mock reads from our AuthnRequest (reported by GET /last)."""

    id: str
    issuer: str | None
    destination: str | None
    issue_instant: str | None
    force_authn: bool | None
    is_passive: bool | None
    provider_name: str | None
    name_id_format: str | None
    comparison: str | None
    loa_refs: list = field(default_factory=list)
    requested_attributes: list = field(default_factory=list)

    def summary(self) -> dict:
        """The request as GET /last reports it."""
        return {
            "id": self.id,
            "issuer": self.issuer,
            "destination": self.destination,
            "issue_instant": self.issue_instant,
            "force_authn": self.force_authn,
            "is_passive": self.is_passive,
            "provider_name": self.provider_name,
            "name_id_format": self.name_id_format,
            "loa": self.loa_refs[0] if self.loa_refs else None,
            "loa_refs": self.loa_refs,
            "comparison": self.comparison,
            "requested_attributes": self.requested_attributes,
        }


def decode_saml_request(value: str) -> bytes:
    """The HTTP-POST binding's SAMLRequest: base64 (whitespace tolerated), no deflate."""
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except ValueError as exc:
        raise Refused(f"SAMLRequest is not base64: {exc}") from None


def parse_authn_request(data: bytes) -> tuple:
    """(document element, AuthnRequest) of a `saml2p:AuthnRequest`; nothing here is trusted yet."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise Refused(f"SAMLRequest is not XML: {exc}") from None
    if root.tag != f"{{{s.NS_SAMLP}}}AuthnRequest":
        raise Refused(f"not a saml2p:AuthnRequest: {root.tag}")
    if not root.get("ID"):
        raise Refused("AuthnRequest without ID")
    policy = root.find("saml2p:NameIDPolicy", NS)
    context = root.find("saml2p:RequestedAuthnContext", NS)
    requested = [
        {"name": a.get("Name"), "friendly_name": a.get("FriendlyName"), "is_required": _bool(a.get("isRequired"))}
        for a in root.findall("saml2p:Extensions/eidas:RequestedAttributes/eidas:RequestedAttribute", NS)
    ]
    request = AuthnRequest(
        id=root.get("ID"),
        issuer=root.findtext("saml2:Issuer", namespaces=NS),
        destination=root.get("Destination"),
        issue_instant=root.get("IssueInstant"),
        force_authn=_bool(root.get("ForceAuthn")),
        is_passive=_bool(root.get("IsPassive")),
        provider_name=root.get("ProviderName"),
        name_id_format=policy.get("Format") if policy is not None else None,
        comparison=context.get("Comparison") if context is not None else None,
        loa_refs=[c.text for c in context.findall("saml2:AuthnContextClassRef", NS)] if context is not None else [],
        requested_attributes=requested,
    )
    return root, request


def verify_request_signature(root, signing_certs: list) -> None:
    """python-xmlsec: the one enveloped ds:Signature child of the AuthnRequest, whose one Reference
    designates the AuthnRequest itself, verifies with one of `signing_certs` (PEM); KeyInfo is ignored."""
    sigs = root.findall("ds:Signature", NS)
    if len(sigs) != 1:
        raise Refused(f"expected one ds:Signature child of the AuthnRequest, found {len(sigs)}")
    refs = sigs[0].findall("ds:SignedInfo/ds:Reference", NS)
    if len(refs) != 1 or refs[0].get("URI") != "#" + root.get("ID"):
        raise Refused("the signature's Reference is not #<AuthnRequest ID>")
    if not signing_certs:
        raise Refused("the connector metadata publishes no signing certificate")
    for pem in signing_certs:
        ctx = xmlsec.SignatureContext()
        ctx.register_id(root, "ID")
        ctx.key = xmlsec.Key.from_memory(pem, xmlsec.KeyFormat.CERT_PEM)
        try:
            ctx.verify(sigs[0])
            return
        except xmlsec.Error:
            continue
    raise Refused("the AuthnRequest signature does not verify with the connector's signing certificates")


# --- the connector metadata ---------------------------------------------------------------------


@dataclass
class Connector:
    """What the mock takes from our metadata."""

    entity_id: str
    acs_url: str
    signing_certs: list  # PEM bytes
    encryption_cert: x509.Certificate
    node_country: str


def require_loopback(url: str) -> None:
    """The mock fetches only from this machine (tests run the connector on loopback)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme not in ("http", "https") or not loopback:
        raise Refused(f"connector metadata URL {url!r} is not on loopback; POST /control/connector to give one")


def fetch(url: str) -> bytes:
    """GET `url` (loopback only), at most 1 MiB."""
    require_loopback(url)
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_SECS) as reply:  # noqa: S310 (loopback only)
            data = reply.read(MAX_FETCH_BYTES + 1)
    except OSError as exc:
        raise Refused(f"cannot fetch the connector metadata from {url}: {exc}") from None
    if len(data) > MAX_FETCH_BYTES:
        raise Refused("the connector metadata is larger than 1 MiB")
    return data


def _certs(sp, use: str) -> list:
    """Certificates of the KeyDescriptors with `use` (or without a use), in document order."""
    out = []
    for kd in sp.findall("md:KeyDescriptor", NS):
        if kd.get("use") in (use, None):
            for text in kd.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS):
                try:
                    out.append(x509.load_der_x509_certificate(base64.b64decode("".join((text.text or "").split()))))
                except ValueError as exc:
                    raise Refused(f"connector metadata holds an unreadable {use} certificate: {exc}") from None
    return out


def parse_connector_metadata(data: bytes, expected_entity_id: str) -> Connector:
    """Our EntityDescriptor: its entityID must be the AuthnRequest Issuer (eidas-spec §6.1).

    Its signature is not checked: the mock holds no trust anchor for the connector."""
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise Refused(f"connector metadata is not XML: {exc}") from None
    if root.tag != f"{{{NS_MD}}}EntityDescriptor" or root.get("entityID") != expected_entity_id:
        raise Refused(f"connector metadata is not the EntityDescriptor of {expected_entity_id}")
    sp = root.find("md:SPSSODescriptor", NS)
    if sp is None:
        raise Refused("connector metadata has no SPSSODescriptor")
    acs = [a for a in sp.findall("md:AssertionConsumerService", NS) if a.get("Binding") == BINDING_POST]
    acs.sort(key=lambda a: a.get("isDefault") != "true")
    encryption = _certs(sp, "encryption")
    if not acs or not encryption:
        raise Refused("connector metadata lacks an HTTP-POST AssertionConsumerService or an encryption certificate")
    signing = [c.public_bytes(serialization.Encoding.PEM) for c in _certs(sp, "signing")]
    country = sp.findtext("md:Extensions/eidas:NodeCountry", default="FR", namespaces=NS).strip()
    return Connector(root.get("entityID"), acs[0].get("Location"), signing, encryption[0], country)


def read_connector(url: str, expected_entity_id: str) -> Connector:
    """Fetches and reads the connector metadata whose entityID must be `expected_entity_id`."""
    return parse_connector_metadata(fetch(url), expected_entity_id)


# --- identities ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """A test citizen. Names are (Latin, original script or None)."""

    stable_id: str  # the opaque part of PersonIdentifier CC/DD/<stable_id>
    family: tuple
    given: tuple
    birth_date: str
    place_of_birth: str
    gender: str
    address: tuple = ()  # ((CurrentAddressStructuredType element, value), ...)


IDENTITIES = {
    "default": Identity("MOCK0000000001", ("Mustermann", None), ("Erika", None), "1964-08-12", "Berlin", "Female"),
    "greek": Identity("MOCK0000000002", ("Papadopoulou", "Παπαδοπούλου"), ("Eleni", "Ελένη"), "1970-05-12",
                      "Athens", "Female"),
    "address": Identity("MOCK0000000003", ("Garcia", None), ("Javier", None), "1965-01-01", "Madrid", "Male",
                        (("LocatorDesignator", "22"), ("Thoroughfare", "Calle Mayor"), ("PostName", "Madrid"),
                         ("PostCode", "28013"))),
}


def _names(type_name: str, latin: str, original: str | None) -> tuple:
    """AP 2.4: the original-script value flagged LatinScript="false", then the Latin one."""
    values = []
    if original is not None:
        values.append(t.Value(type_name, original, ' eidas-natural:LatinScript="false"'))
    values.append(t.Value(type_name, latin))
    return tuple(values)


def identity_attributes(who: Identity, person_id: str) -> tuple:
    """Every attribute the mock knows of `who`, in the reference node's shape (saml_gen templates)."""
    attrs = [
        t.Attr("PersonIdentifier", s.PERSON_IDENTIFIER, (t.Value("eidas-natural:PersonIdentifierType", person_id),)),
        t.Attr("FamilyName", s.CURRENT_FAMILY_NAME, _names("eidas-natural:CurrentFamilyNameType", *who.family)),
        t.Attr("FirstName", s.CURRENT_GIVEN_NAME, _names("eidas-natural:CurrentGivenNameType", *who.given)),
        t.Attr("DateOfBirth", s.DATE_OF_BIRTH, (t.Value("eidas-natural:DateOfBirthType", who.birth_date),)),
        t.Attr("PlaceOfBirth", s.PLACE_OF_BIRTH, (t.Value("eidas-natural:PlaceOfBirthType", who.place_of_birth),)),
        t.Attr("Gender", s.GENDER, (t.Value("eidas-natural:GenderType", who.gender),)),
    ]
    if who.address:
        fragment = "".join(f"<eidas-natural:{k}>{v}</eidas-natural:{k}>" for k, v in who.address)
        encoded = base64.b64encode(fragment.encode("utf-8")).decode("ascii")
        value = t.Value("eidas-natural:CurrentAddressType", encoded)
        attrs.append(t.Attr("CurrentAddress", s.CURRENT_ADDRESS, (value,)))
    return tuple(attrs)


def released_attributes(attrs: tuple, request: AuthnRequest) -> tuple:
    """The mandatory data set always, optional attributes only when they were requested."""
    asked = {a["name"] for a in request.requested_attributes}
    return tuple(a for a in attrs if a.name in MANDATORY or a.name in asked)


def identity_values(who: Identity, person_id: str, released: tuple) -> dict:
    """The values sent, by attribute local name (GET /last): Latin names, the original script
    under `<name>_original`, the address as {element: value}."""
    values = {
        "PersonIdentifier": person_id,
        "CurrentFamilyName": who.family[0],
        "CurrentGivenName": who.given[0],
        "DateOfBirth": who.birth_date,
        "PlaceOfBirth": who.place_of_birth,
        "Gender": who.gender,
        "CurrentAddress": dict(who.address),
    }
    sent = {a.name.rsplit("/", 1)[-1] for a in released}
    out = {k: v for k, v in values.items() if k in sent}
    for name, (_, original) in (("CurrentFamilyName", who.family), ("CurrentGivenName", who.given)):
        if original is not None:
            out[name + "_original"] = original
    return out


# --- the Response -------------------------------------------------------------------------------


def requested_loa(loa: str | None, request: AuthnRequest) -> str:
    """The LoA URI to assert: the `loa` query parameter (name or URI), else the requested minimum."""
    if loa:
        return s.LOA.get(loa, loa)
    return request.loa_refs[0] if request.loa_refs else s.LOA["substantial"]


def encrypt_to(plaintext: bytes, cert: x509.Certificate) -> str:
    """xenc:EncryptedData of the Assertion: RSA-OAEP (SHA-256) + AES-256-GCM by python-xmlsec, or
    ECDH-ES + kw-aes256 + AES-256-GCM by pyca/cryptography for a P-256 certificate."""
    data_id, key_id = new_id("_ed"), new_id("_ek")
    if isinstance(cert.public_key(), ec.EllipticCurvePublicKey):
        return xc.encrypt_ecdh_es_to(plaintext, cert, data_id=data_id, key_id=key_id)
    return xc.encrypt_rsa_to(plaintext, cert.public_bytes(serialization.Encoding.PEM), data_id=data_id, key_id=key_id)


def assertion_spec(proxy: Proxy, request: AuthnRequest, connector: Connector, scenario: str, who: Identity,
                   loa: str | None) -> tuple:
    """(AssertionSpec, values sent) of a successful authentication with `scenario`'s defect."""
    now = now_utc()
    issued, until = instant(now), instant(now + RESPONSE_LIFETIME)
    person_id = f"{proxy.country}/{connector.node_country}/{who.stable_id}"
    fmt = request.name_id_format or s.NAMEID_PERSISTENT
    attrs = released_attributes(identity_attributes(who, person_id), request)
    spec = t.AssertionSpec(
        assertion_id=new_id(), issue_instant=issued, issuer=proxy.entity_id, name_id_format=fmt,
        name_id=new_id() if fmt == s.NAMEID_TRANSIENT else person_id,
        scd_in_response_to=request.id, scd_not_on_or_after=until, scd_recipient=connector.acs_url,
        not_before=issued, not_on_or_after=until, audience=connector.entity_id, authn_instant=issued,
        loa=s.LOA["low"] if scenario == "loa_low" else requested_loa(loa, request), attributes=attrs)
    if scenario == "wrong_audience":
        spec = replace(spec, audience=OTHER_AUDIENCE)
    if scenario == "expired":
        spec = replace(spec, not_before=instant(now - 2 * RESPONSE_LIFETIME),
                       not_on_or_after=instant(now - RESPONSE_LIFETIME))
    return spec, identity_values(who, person_id, attrs)


def build_response(proxy: Proxy, request: AuthnRequest, connector: Connector, scenario: str, identity: str,
                   loa: str | None) -> tuple:
    """(Response bytes, summary for GET /last) answering `request` with `scenario`."""
    resp = t.ResponseSpec(response_id=new_id(), in_response_to=request.id, destination=connector.acs_url,
                          issue_instant=instant(now_utc()), issuer=proxy.entity_id)
    summary = {"scenario": scenario, "id": resp.response_id}
    if scenario == "wrong_destination":
        resp = replace(resp, destination=OTHER_DESTINATION)
    if scenario in FAILURES:
        code, sub, message = FAILURES[scenario]
        resp = replace(resp, consent=s.CONSENT_UNSPECIFIED, status=t.status_block(code, sub, message))
        summary["status"] = {"status_code": code, "sub_status_code": sub, "status_message": message}
    else:
        spec, values = assertion_spec(proxy, request, connector, scenario, IDENTITIES[identity], loa)
        plaintext = t.render_assertion(spec).encode("utf-8")
        resp = replace(resp, body=(t.encrypted_assertion(encrypt_to(plaintext, connector.encryption_cert)),))
        summary.update(identity=identity, assertion_id=spec.assertion_id, loa=spec.loa, name_id=spec.name_id,
                       name_id_format=spec.name_id_format, values=values)
    signer = {"unsigned": None, "signed_by_attacker": ATTACKER}.get(scenario, proxy.signer)
    summary["signer"] = signer
    if signer is None:
        return t.render_response(resp).encode("utf-8"), summary
    resp = replace(resp, signature=proxy.pki.signature_template(signer, resp.response_id))
    data = proxy.pki.sign(t.render_response(resp), signer)
    if scenario == "bad_signature":
        data = tamper_response(data)
    return data, summary


def tamper_response(signed: bytes) -> bytes:
    """The signed Response with its Consent attribute (inside the signed element) changed after signing."""
    obtained = f'Consent="{s.CONSENT_OBTAINED}"'.encode()
    changed = signed.replace(obtained, f'Consent="{s.CONSENT_UNSPECIFIED}"'.encode(), 1)
    if changed == signed:
        raise AssertionError("tampering did not change the Response")
    return changed
