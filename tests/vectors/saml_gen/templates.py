"""Text templates of the plaintext Assertion and of the Response envelope, in the reference node's shape.

Documents are built as text so that the bytes we want on the wire are the bytes that get
signed and encrypted. The shape follows the EU reference node (CEF eIDAS-Node 2.x) as seen in
`shared/interop/responses/decrypted-assertions/`: the Assertion declares `saml2`,
`eidas-natural` and `eidas-legal` itself and every AttributeValue declares `xsi`; the
Response declares `saml2p`, `ds` and `saml2`. `AssertionSpec(self_ns=False)` instead leaves
every declaration to the enclosing Response (the plaintext then only parses in context).

A one-defect reject is `dataclasses.replace(base_spec, <one field>=...)`.
"""

import base64
from dataclasses import dataclass, field, replace

from . import scenario as s

XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True)
class Value:
    """One saml2:AttributeValue: its xsi:type (QName), raw XML content, extra attributes."""

    xsi_type: str
    content: str
    extra: str = ""


@dataclass(frozen=True)
class Attr:
    """One saml2:Attribute with NameFormat uri."""

    friendly: str
    name: str
    values: tuple


def base_attributes(person_id: str = s.PERSON_ID, family_latin: str = s.FAMILY_NAME_LATIN,
                    family_non_latin: str | None = s.FAMILY_NAME_NON_LATIN, given: str = s.GIVEN_NAME) -> tuple:
    """The natural-person minimum data set plus PlaceOfBirth, CurrentAddress and Gender."""
    family = []
    if family_non_latin is not None:
        # AP 2.4: the non-Latin value is flagged with the qualified LatinScript="false".
        family.append(Value("eidas-natural:CurrentFamilyNameType", family_non_latin,
                            ' eidas-natural:LatinScript="false"'))
    family.append(Value("eidas-natural:CurrentFamilyNameType", family_latin))
    address = base64.b64encode(s.ADDRESS_FRAGMENT.encode("utf-8")).decode("ascii")
    return (
        Attr("PersonIdentifier", s.PERSON_IDENTIFIER, (Value("eidas-natural:PersonIdentifierType", person_id),)),
        Attr("FamilyName", s.CURRENT_FAMILY_NAME, tuple(family)),
        Attr("FirstName", s.CURRENT_GIVEN_NAME, (Value("eidas-natural:CurrentGivenNameType", given),)),
        Attr("DateOfBirth", s.DATE_OF_BIRTH, (Value("eidas-natural:DateOfBirthType", s.BIRTH_DATE),)),
        Attr("PlaceOfBirth", s.PLACE_OF_BIRTH, (Value("eidas-natural:PlaceOfBirthType", s.BIRTH_PLACE),)),
        Attr("CurrentAddress", s.CURRENT_ADDRESS, (Value("eidas-natural:CurrentAddressType", address),)),
        Attr("Gender", s.GENDER, (Value("eidas-natural:GenderType", s.GENDER_VALUE),)),
    )


def evil_attributes() -> tuple:
    """The attacker's choice of identity (XSW / encryption wrapping)."""
    return base_attributes(person_id=s.EVIL_PERSON_ID, family_latin=s.EVIL_FAMILY_NAME, family_non_latin=None,
                           given=s.EVIL_GIVEN_NAME)


def legal_attributes(legal_id: str = s.LEGAL_PERSON_ID) -> tuple:
    """LegalPersonIdentifier and LegalName, as a proxy service may add them to a natural person's."""
    return (
        Attr("LegalPersonIdentifier", s.LEGAL_PERSON_IDENTIFIER,
             (Value("eidas-legal:LegalPersonIdentifierType", legal_id),)),
        Attr("LegalName", s.LEGAL_NAME, (Value("eidas-legal:LegalNameType", s.LEGAL_NAME_VALUE),)),
    )


def replace_attribute(attrs: tuple, name: str, new: "Attr | None") -> tuple:
    """`attrs` with the attribute `name` replaced by `new` (or dropped when `new` is None)."""
    out = []
    for a in attrs:
        if a.name == name:
            if new is not None:
                out.append(new)
        else:
            out.append(a)
    return tuple(out)


REPRESENTATIVE = Attr(
    "RepresentativeFamilyName",
    s.REPRESENTATIVE_FAMILY_NAME,
    (Value("eidas-natural-representative:CurrentFamilyNameType", "Garcia",
           f' xmlns:eidas-natural-representative="{s.NS_NATURAL_REPR}"'),),
)


@dataclass(frozen=True)
class AssertionSpec:
    """Every field of the plaintext Assertion that a vector may change."""

    assertion_id: str = s.ASSERTION_ID
    issue_instant: str = s.ISSUE_INSTANT
    issuer: str = s.PROXY_ENTITY_ID
    self_ns: bool = True
    doctype: bool = False
    signature: str = ""  # a ds:Signature template placed right after Issuer
    second_issuer: bool = False  # repeat the Issuer element right after the first
    subject_after_conditions: bool = False  # Conditions before Subject (schema order broken)
    unknown_child: str = ""  # an element placed after Conditions (and Advice), before the statements
    name_id_format: str = s.NAMEID_PERSISTENT
    name_id: str = s.NAME_ID_VALUE
    subject_confirmation: bool = True
    sc_method: str = s.CM_BEARER
    scd_in_response_to: str = s.REQUEST_ID
    scd_not_on_or_after: str = s.NOT_ON_OR_AFTER
    scd_recipient: str = s.ACS_URL
    scd_content: str = ""  # SubjectConfirmationData content, inserted verbatim (never re-indented: may be signed)
    not_before: str = s.NOT_BEFORE
    not_on_or_after: str = s.NOT_ON_OR_AFTER
    audience: str = s.ENTITY_ID
    advice: str = ""  # a saml2:Advice block placed after Conditions
    authn_instant: str = s.ISSUE_INSTANT
    authn_statements: int = 1
    loa: str | None = s.LOA["substantial"]  # None: AuthnContext without AuthnContextClassRef
    attributes: tuple = field(default_factory=base_attributes)


def _indent(block: str, spaces: int) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else line for line in block.split("\n"))


def _attribute(a: Attr, self_ns: bool) -> str:
    xsi = f' xmlns:xsi="{s.NS_XSI}"' if self_ns else ""
    values = "\n".join(
        f'    <saml2:AttributeValue{xsi} xsi:type="{v.xsi_type}"{v.extra}>{v.content}</saml2:AttributeValue>'
        for v in a.values
    )
    return (f'<saml2:Attribute FriendlyName="{a.friendly}" Name="{a.name}" NameFormat="{s.URI_FORMAT}">\n'
            f"{values}\n</saml2:Attribute>")


def _authn_statement(spec: AssertionSpec) -> str:
    class_ref = f"\n        <saml2:AuthnContextClassRef>{spec.loa}</saml2:AuthnContextClassRef>" if spec.loa else ""
    # The reference node emits an empty AuthnContextDecl after the ClassRef (eidas-spec §2.3).
    return (f'<saml2:AuthnStatement AuthnInstant="{spec.authn_instant}">\n'
            f"    <saml2:AuthnContext>{class_ref}\n"
            f"        <saml2:AuthnContextDecl/>\n"
            f"    </saml2:AuthnContext>\n"
            f"</saml2:AuthnStatement>")


def render_assertion(spec: AssertionSpec) -> str:
    """The plaintext Assertion (no XML declaration: it is encrypted as an Element)."""
    ns = (f' xmlns:eidas-legal="{s.NS_LEGAL}" xmlns:eidas-natural="{s.NS_NATURAL}" xmlns:saml2="{s.NS_SAML}"'
          if spec.self_ns else "")
    issuer = f'<saml2:Issuer Format="{s.NAMEID_ENTITY}">{spec.issuer}</saml2:Issuer>'
    parts = [issuer, issuer] if spec.second_issuer else [issuer]
    if spec.signature:
        parts.append(spec.signature)
    confirmation = ""
    if spec.subject_confirmation:
        scd_attrs = (f'InResponseTo="{spec.scd_in_response_to}" NotOnOrAfter="{spec.scd_not_on_or_after}" '
                     f'Recipient="{spec.scd_recipient}"')
        scd = (f"<saml2:SubjectConfirmationData {scd_attrs}>{_SCD_CONTENT}</saml2:SubjectConfirmationData>"
               if spec.scd_content else f"<saml2:SubjectConfirmationData {scd_attrs}/>")
        confirmation = (
            f'\n    <saml2:SubjectConfirmation Method="{spec.sc_method}">\n'
            f"        {scd}\n"
            f"    </saml2:SubjectConfirmation>"
        )
    subject = (
        "<saml2:Subject>\n"
        f'    <saml2:NameID Format="{spec.name_id_format}" NameQualifier="http://C-PEPS.gov.xx">{spec.name_id}</saml2:NameID>'
        f"{confirmation}\n"
        "</saml2:Subject>"
    )
    conditions = (
        f'<saml2:Conditions NotBefore="{spec.not_before}" NotOnOrAfter="{spec.not_on_or_after}">\n'
        "    <saml2:AudienceRestriction>\n"
        f"        <saml2:Audience>{spec.audience}</saml2:Audience>\n"
        "    </saml2:AudienceRestriction>\n"
        "</saml2:Conditions>"
    )
    parts.extend([conditions, subject] if spec.subject_after_conditions else [subject, conditions])
    if spec.advice:
        parts.append(spec.advice)
    if spec.unknown_child:
        parts.append(spec.unknown_child)
    parts.extend(_authn_statement(spec) for _ in range(spec.authn_statements))
    attrs = "\n".join(_indent(_attribute(a, spec.self_ns), 4) for a in spec.attributes)
    parts.append(f"<saml2:AttributeStatement>\n{attrs}\n</saml2:AttributeStatement>")
    body = "\n".join(_indent(p, 4) for p in parts)
    doctype = "<!DOCTYPE saml2:Assertion>\n" if spec.doctype else ""
    text = (f'{doctype}<saml2:Assertion{ns} ID="{spec.assertion_id}" IssueInstant="{spec.issue_instant}" Version="2.0">\n'
            f"{body}\n</saml2:Assertion>")
    return text.replace(_SCD_CONTENT, spec.scd_content)


_SCD_CONTENT = "@@SubjectConfirmationData content@@"  # replaced after indentation, so signed content stays intact


def nested_assertion_spec() -> AssertionSpec:
    """The attacker's identity as a whole Assertion (ID NESTED_ASSERTION_ID), to nest in another one."""
    return AssertionSpec(assertion_id=s.NESTED_ASSERTION_ID, name_id=s.EVIL_PERSON_ID, attributes=evil_attributes())


def stray_assertion() -> str:
    """An unsigned plaintext Assertion with the attacker's identity, to plant outside the EncryptedAssertion."""
    return render_assertion(AssertionSpec(assertion_id=s.STRAY_ASSERTION_ID, name_id=s.EVIL_PERSON_ID,
                                          attributes=evil_attributes()))


def extensions(*blocks: str) -> str:
    """A saml2p:Extensions element holding `blocks`."""
    return "<saml2p:Extensions>\n" + "\n".join(_indent(b, 4) for b in blocks) + "\n</saml2p:Extensions>"


def trace_extension(trace_id: str = s.EXTENSION_ID) -> str:
    """A foreign-namespace Extensions child carrying an ID (SAML Core 3.2.1 allows any non-SAML element)."""
    return (f'<ext:Trace xmlns:ext="urn:example:eidas-connector:trace" ID="{trace_id}">'
            "node-7</ext:Trace>")


def advice_with_assertion() -> str:
    """A saml2:Advice carrying a second (unsigned, attacker-chosen) Assertion."""
    inner = render_assertion(replace(AssertionSpec(), assertion_id=s.ASSERTION_ID + "advice", name_id=s.EVIL_PERSON_ID,
                                     attributes=evil_attributes()))
    return "<saml2:Advice>\n" + _indent(inner, 4) + "\n</saml2:Advice>"


# --- Response envelope --------------------------------------------------------------------------


def status_block(code: str = s.STATUS_SUCCESS, sub: str | None = None, message: str | None = s.STATUS_SUCCESS,
                 detail: str | None = None) -> str:
    inner = f'<saml2p:StatusCode Value="{code}"/>'
    if sub:
        inner = f'<saml2p:StatusCode Value="{code}">\n    <saml2p:StatusCode Value="{sub}"/>\n</saml2p:StatusCode>'
    if message:
        inner += f"\n<saml2p:StatusMessage>{message}</saml2p:StatusMessage>"
    if detail is not None:
        inner += "\n<saml2p:StatusDetail>\n" + _indent(detail, 4) + "\n</saml2p:StatusDetail>"
    return "<saml2p:Status>\n" + _indent(inner, 4) + "\n</saml2p:Status>"


def encrypted_assertion(encrypted_data: str) -> str:
    return f"<saml2:EncryptedAssertion>\n    {encrypted_data}\n</saml2:EncryptedAssertion>"


@dataclass(frozen=True)
class ResponseSpec:
    """Every field of the Response envelope that a vector may change."""

    response_id: str = s.RESPONSE_ID
    in_response_to: str = s.REQUEST_ID
    destination: str = s.ACS_URL
    issue_instant: str = s.ISSUE_INSTANT
    issuer: str = s.PROXY_ENTITY_ID
    consent: str = s.CONSENT_OBTAINED
    assertion_ns_on_root: bool = False  # declare eidas-natural and xsi on the Response
    signature: str = ""  # ds:Signature template, right after Issuer
    extensions: str = ""  # a saml2p:Extensions block, after the signature
    status: str = field(default_factory=status_block)
    body: tuple = ()  # blocks after Status: EncryptedAssertion(s), Assertion


def render_response(spec: ResponseSpec) -> str:
    ns = f'xmlns:saml2p="{s.NS_SAMLP}" xmlns:ds="{s.NS_DS}" xmlns:saml2="{s.NS_SAML}"'
    if spec.assertion_ns_on_root:
        ns += f' xmlns:eidas-natural="{s.NS_NATURAL}" xmlns:xsi="{s.NS_XSI}"'
    parts = [f'<saml2:Issuer Format="{s.NAMEID_ENTITY}">{spec.issuer}</saml2:Issuer>']
    if spec.signature:
        parts.append(spec.signature)
    if spec.extensions:
        parts.append(spec.extensions)
    parts.append(spec.status)
    parts.extend(spec.body)
    body = "\n".join(_indent(p, 4) for p in parts)
    return (f"{XML_DECL}<saml2p:Response {ns} Consent=\"{spec.consent}\" Destination=\"{spec.destination}\" "
            f'ID="{spec.response_id}" InResponseTo="{spec.in_response_to}" IssueInstant="{spec.issue_instant}" '
            f'Version="2.0">\n{body}\n</saml2p:Response>\n')
