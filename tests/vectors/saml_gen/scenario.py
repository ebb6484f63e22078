"""The fixed scenario every SAML Response vector answers: clock, identifiers, peer, request.

Everything a test needs to replay a vector is here and is copied into `manifest.json` as the
`context` of each entry. Change a value here and re-run `generate_responses.py`; never edit
a generated file by hand.
"""

import copy
from pathlib import Path

# --- where things are ---------------------------------------------------------------------------
PACKAGE = Path(__file__).resolve().parent  # tests/vectors/saml_gen
VECTORS = PACKAGE.parent  # tests/vectors
ROOT = VECTORS.parent.parent  # the repository
OUT_DIR = VECTORS / "saml"  # generated vectors, manifest.json, README.md
ORACLES = VECTORS.parent / "oracles"
PKI_DIR = ROOT / "certs" / "test-pki"

# --- the clock ----------------------------------------------------------------------------------
NOW = "2026-11-25T10:00:30Z"  # the validation instant ("now") for every Response vector
ISSUE_INSTANT = "2026-11-25T10:00:00Z"  # Response and Assertion IssueInstant, AuthnInstant
NOT_BEFORE = "2026-11-25T10:00:00Z"  # Conditions/@NotBefore
NOT_ON_OR_AFTER = "2026-11-25T10:05:00Z"  # Conditions and SubjectConfirmationData NotOnOrAfter
STALE_ISSUE_INSTANT = "2026-11-25T09:00:30Z"  # one hour before NOW
PAST = "2026-11-25T09:55:00Z"  # 5 min 30 s before NOW: expired under any skew < 330 s
FUTURE_NOT_BEFORE = "2026-11-25T10:10:30Z"  # 10 min after NOW

# --- identifiers (fixed: sha256("eidas-connector saml vectors <name>")) -------------------------
REQUEST_ID = "_req3c239fe7ceee689c37c54495235d7d8338c8dd42ac57dee66286bae455ecdd01"
OTHER_REQUEST_ID = "_reqeefad441996efe7e088701a42f29463c7d694aa98bff1f15d560de71def5568f"
RESPONSE_ID = "_resp22b16530a2447b89f266c63b70d6f8f40c8a1dbc931baa200a5dc0d800c184aa"
ASSERTION_ID = "_assert21ce58e9b2f7e62d6ef12e3454b9adf0d36088843ca5d1129976ffd5883c05af"
EVIL_RESPONSE_ID = "_evil03ae56c406005d3bc29da073f963af3cb5fe4821716b735a272ed287fe9c789c"
# EncryptedData / EncryptedKey Id attributes (the reference node sets them; IDs must stay unique)
ENC_DATA_ID = "_ed597739b3390e60b05cf537bbe07e9e"
ENC_KEY_ID = "_ekf8ea0591760606918693362632fb93c"
ENC_DATA_ID_2 = "_ed597739b3390e60b05cf537bbe07e9f"
ENC_KEY_ID_2 = "_ekf8ea0591760606918693362632fb93d"
EVIL_ENC_DATA_ID = "_ed38071a8ec95a5d9d40bf416a0fc6d6"
EVIL_ENC_KEY_ID = "_ek96ec83cc6c1fc8b4cf12bfee004aaac"
METADATA_ID = "_md500b95cf1bd6bb56ca60d47bf08340985504f8faf6eff4f38ec0db38981ca0eb"
# Extra elements of the structural vectors (issue 6): a Response Extensions child, an Assertion
# planted outside the EncryptedAssertion, an Assertion nested inside the Assertion.
EXTENSION_ID = "_exta841dcb3a370b694cf2722396d78a45d0a375d9be9611f3b99996b61c2d54b14"
STRAY_ASSERTION_ID = "_stray1da82bc82d840e9eb7fa3a211ebdba2dd303b6a602e3f879102ab5015bb9d064"
NESTED_ASSERTION_ID = "_nested201866816f06875be1ebd6d77811a3609e773b0b42ff0da7b327fa9f9930d931"

# --- the parties --------------------------------------------------------------------------------
ENTITY_ID = "https://connector.example.fr/eidas/metadata"  # ours: Audience, AuthnRequest Issuer
ACS_URL = "https://connector.example.fr/eidas/acs"  # ours: Destination, Recipient
PROXY_ENTITY_ID = "https://eidas.example.es/EidasNode/ServiceMetadata"  # the foreign proxy service
PROXY_SSO_URL = "https://eidas.example.es/EidasNode/ColleagueRequest"
COUNTRY = "ES"
OUR_COUNTRY = "FR"  # connector.country: the destination DD of every identifier CC/DD/…
OTHER_DESTINATION = "DE"  # an identifier made for another Member State's services
# values used by the one-defect rejects
OTHER_ACS_URL = "https://connector.example.it/eidas/acs"
OTHER_ENTITY_ID = "https://connector.example.it/eidas/metadata"
OTHER_PROXY_ENTITY_ID = "https://eidas.example.pt/EidasNode/ServiceMetadata"

# --- SAML / eIDAS URIs --------------------------------------------------------------------------
NS_SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
NS_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
NS_XENC = "http://www.w3.org/2001/04/xmlenc#"
NS_XENC11 = "http://www.w3.org/2009/xmlenc11#"
NS_DSIG11 = "http://www.w3.org/2009/xmldsig11#"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
NS_NATURAL = "http://eidas.europa.eu/attributes/naturalperson"
NS_LEGAL = "http://eidas.europa.eu/attributes/legalperson"
NS_NATURAL_REPR = "http://eidas.europa.eu/attributes/naturalperson/representative"

NAMEID_ENTITY = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
CM_BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
CM_SENDER_VOUCHES = "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches"
CONSENT_OBTAINED = "urn:oasis:names:tc:SAML:2.0:consent:obtained"
CONSENT_UNSPECIFIED = "urn:oasis:names:tc:SAML:2.0:consent:unspecified"
URI_FORMAT = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"

STATUS_SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success"
STATUS_RESPONDER = "urn:oasis:names:tc:SAML:2.0:status:Responder"
STATUS_REQUEST_DENIED = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"
STATUS_AUTHN_FAILED = "urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"
MSG_CONSENT_DENIED = "202012 - Citizen consent not given."
MSG_AUTHN_FAILED = "003002 - Authentication Failed."

LOA = {
    "low": "http://eidas.europa.eu/LoA/low",
    "substantial": "http://eidas.europa.eu/LoA/substantial",
    "high": "http://eidas.europa.eu/LoA/high",
}
LOA_NOT_NOTIFIED = "http://eidas.europa.eu/LoA/NotNotified/high"

NATURAL = NS_NATURAL + "/"
PERSON_IDENTIFIER = NATURAL + "PersonIdentifier"
CURRENT_FAMILY_NAME = NATURAL + "CurrentFamilyName"
CURRENT_GIVEN_NAME = NATURAL + "CurrentGivenName"
DATE_OF_BIRTH = NATURAL + "DateOfBirth"
PLACE_OF_BIRTH = NATURAL + "PlaceOfBirth"
CURRENT_ADDRESS = NATURAL + "CurrentAddress"
GENDER = NATURAL + "Gender"
REPRESENTATIVE_FAMILY_NAME = NATURAL + "representative/CurrentFamilyName"
LEGAL = NS_LEGAL + "/"
LEGAL_PERSON_IDENTIFIER = LEGAL + "LegalPersonIdentifier"
LEGAL_NAME = LEGAL + "LegalName"

# --- the citizen (what the proxy service asserts) -----------------------------------------------
PERSON_ID = f"{COUNTRY}/{OUR_COUNTRY}/12345678Z"
NAME_ID_VALUE = "ES/FR/12345678Z"  # the reference node repeats the PersonIdentifier in NameID
FAMILY_NAME_NON_LATIN = "Παπαδόπουλος"
FAMILY_NAME_LATIN = "Papadopoulos"
GIVEN_NAME = "Eleni"
BIRTH_DATE = "1970-05-12"
BIRTH_PLACE = "Sevilla"
GENDER_VALUE = "Female"
ADDRESS_PARTS = [
    ("LocatorDesignator", "22"),
    ("Thoroughfare", "Calle Mayor"),
    ("PostName", "Madrid"),
    ("PostCode", "28013"),
]
# What the reference node's marshaller emits: a root-less fragment with an undeclared prefix.
ADDRESS_FRAGMENT = "".join(f"<eidas-natural:{k}>{v}</eidas-natural:{k}>" for k, v in ADDRESS_PARTS)
# The attacker's identity (XSW and encryption-wrapping vectors).
EVIL_PERSON_ID = "ES/FR/87654321X"
EVIL_FAMILY_NAME = "Mallory"
EVIL_GIVEN_NAME = "Eve"
# The legal person some proxy services send beside the natural one (unrequested; kept raw).
LEGAL_PERSON_ID = f"{COUNTRY}/{OUR_COUNTRY}/B12345678"
LEGAL_NAME_VALUE = "Papadopoulos Consulting SL"

# --- keys (paths relative to the repository root) -----------------------------------------------
IDP_SIGNING = "idp-rsa3072"  # the proxy service's signing key (Response, Assertion)
ATTACKER = "attacker-rsa3072"
SP_ENC_RSA = "sp-enc-rsa3072"  # our RSA-OAEP decryption key
SP_ENC_EC = "sp-enc-ec-p256"  # our ECDH-ES key agreement key
METADATA_SIGNER = "idp-metadata-signer"  # signs the proxy metadata (made here if absent)


def cert_rel(name: str) -> str:
    return f"certs/test-pki/{name}.crt.pem"


def key_rel(name: str) -> str:
    return f"certs/test-pki/{name}.key.pem"


# --- the request this Response answers, and the peer as configured/read from its metadata -------
REQUESTED = [
    {"name": PERSON_IDENTIFIER, "required": True},
    {"name": CURRENT_FAMILY_NAME, "required": True},
    {"name": CURRENT_GIVEN_NAME, "required": True},
    {"name": DATE_OF_BIRTH, "required": True},
    {"name": PLACE_OF_BIRTH, "required": False},
    {"name": CURRENT_ADDRESS, "required": False},
    {"name": GENDER, "required": False},
]

CONTEXT = {
    "now": NOW,
    "entity_id": ENTITY_ID,
    "acs_url": ACS_URL,
    "our_country": OUR_COUNTRY,
    "in_response_to": REQUEST_ID,
    "country": COUNTRY,
    "loa": "substantial",
    "requested": REQUESTED,
    "name_id_format": "unspecified",
    "peer": {
        "entity_id": PROXY_ENTITY_ID,
        "signing_certs": [cert_rel(IDP_SIGNING)],
        "levels_of_assurance": ["substantial", "high"],
        "protocol_version": "1.2",
        "require_signed_assertion": False,
        "node_country": COUNTRY,
    },
    "decryption_keys": [key_rel(SP_ENC_RSA), key_rel(SP_ENC_EC)],
}


def context(**overrides) -> dict:
    """The shared context with `overrides` applied; `peer` overrides are merged key by key."""
    ctx = copy.deepcopy(CONTEXT)
    peer = overrides.pop("peer", None)
    ctx.update(overrides)
    if peer:
        ctx["peer"].update(peer)
    return ctx
