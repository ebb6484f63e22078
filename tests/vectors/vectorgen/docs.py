"""Text templates of the unsigned documents: a SAML Response, an Assertion, an EntityDescriptor.

Documents are built as text (not with an XML library) so that the exact bytes we want on the
wire -- CDATA sections, character references, indentation -- are what gets signed and stored.
"""

from .common import ACS_URL, IDP_ENTITY, SP_ENTITY

XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'

NS_SAMLP_DECL = 'xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol"'
NS_SAML_DECL = 'xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion"'
NS_EXTRA_DECLS = (
    'xmlns:eidas-natural="http://eidas.europa.eu/attributes/naturalperson" '
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)
# The Response declares every prefix the Assertion uses (so the Assertion relies on them).
RESPONSE_NS = f"{NS_SAMLP_DECL} {NS_SAML_DECL} {NS_EXTRA_DECLS}"
ASSERTION_SELF_NS = f" {NS_SAML_DECL} {NS_EXTRA_DECLS}"

NAMEID = "DE/FR/0123456789abcdef"
EVIL_NAMEID = "DE/FR/victim-0000000001"
NATURAL = "http://eidas.europa.eu/attributes/naturalperson/"
URI_FORMAT = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"


def indent(block: str, spaces: int) -> str:
    """Indents every line of `block` by `spaces` (the block must not contain multi-line text)."""
    pad = " " * spaces
    return "\n".join(pad + line if line else line for line in block.split("\n"))


def slot(block: str, spaces: int) -> str:
    """A child block inserted after a sibling's end tag: newline + indentation + block."""
    return "\n" + indent(block, spaces) if block else ""


def _attribute(friendly: str, name: str, value_xml: str) -> str:
    return (
        f'<saml2:Attribute FriendlyName="{friendly}" Name="{name}" NameFormat="{URI_FORMAT}">\n'
        f"    {value_xml}\n"
        f"</saml2:Attribute>"
    )


def attribute_statement() -> str:
    """The eIDAS minimum data set, with the text features the c14n must get right.

    - a Greek value with xml:lang (W7: no Unicode normalization);
    - a CDATA section holding & and < (W4);
    - a value with &#13;&#10; character references (W2: the CR survives as &#xD; in c14n);
    - QName content: xsi:type="eidas-natural:…" and "xsd:string" (C12c: the PrefixList matters).
    """
    attrs = [
        _attribute(
            "FamilyName",
            NATURAL + "CurrentFamilyName",
            '<saml2:AttributeValue xml:lang="el" xsi:type="eidas-natural:CurrentFamilyNameType">'
            "Παπαδοπούλου</saml2:AttributeValue>",
        ),
        _attribute(
            "FirstName",
            NATURAL + "CurrentGivenName",
            '<saml2:AttributeValue xsi:type="eidas-natural:CurrentGivenNameType">'
            "<![CDATA[Anna-Maria & <Zoë>]]></saml2:AttributeValue>",
        ),
        _attribute(
            "DateOfBirth",
            NATURAL + "DateOfBirth",
            '<saml2:AttributeValue xsi:type="eidas-natural:DateOfBirthType">1970-05-17</saml2:AttributeValue>',
        ),
        _attribute(
            "PersonIdentifier",
            NATURAL + "PersonIdentifier",
            f'<saml2:AttributeValue xsi:type="eidas-natural:PersonIdentifierType">{NAMEID}</saml2:AttributeValue>',
        ),
        _attribute(
            "PlaceOfBirth",
            NATURAL + "PlaceOfBirth",
            '<saml2:AttributeValue xsi:type="xsd:string">Αθήνα&#13;&#10;Athens</saml2:AttributeValue>',
        ),
    ]
    return "<saml2:AttributeStatement>\n" + "\n".join(indent(a, 4) for a in attrs) + "\n</saml2:AttributeStatement>"


def assertion_xml(
    *,
    aid="_a1",
    asig="",
    nameid=NAMEID,
    ns_decls="",
    extra_attrs="",
    statement=None,
    pre_subject="",
) -> str:
    """A saml2:Assertion (not indented). `asig` is placed right after Issuer."""
    statement = attribute_statement() if statement is None else statement
    return f"""<saml2:Assertion{ns_decls} ID="{aid}" IssueInstant="2025-06-01T12:00:00.000Z" Version="2.0"{extra_attrs}>
    <saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{IDP_ENTITY}</saml2:Issuer>{slot(asig, 4)}{slot(pre_subject, 4)}
    <saml2:Subject>
        <saml2:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent" NameQualifier="{IDP_ENTITY}" SPNameQualifier="{SP_ENTITY}">{nameid}</saml2:NameID>
        <saml2:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
            <saml2:SubjectConfirmationData InResponseTo="_q1" NotOnOrAfter="2025-06-01T12:05:00.000Z" Recipient="{ACS_URL}"/>
        </saml2:SubjectConfirmation>
    </saml2:Subject>
    <saml2:Conditions NotBefore="2025-06-01T11:59:00.000Z" NotOnOrAfter="2025-06-01T12:05:00.000Z">
        <saml2:AudienceRestriction>
            <saml2:Audience>{SP_ENTITY}</saml2:Audience>
        </saml2:AudienceRestriction>
    </saml2:Conditions>
    <saml2:AuthnStatement AuthnInstant="2025-06-01T11:59:58.000Z">
        <saml2:AuthnContext>
            <saml2:AuthnContextClassRef>http://eidas.europa.eu/LoA/substantial</saml2:AuthnContextClassRef>
        </saml2:AuthnContext>
    </saml2:AuthnStatement>
{indent(statement, 4)}
</saml2:Assertion>"""


def response_xml(
    *,
    rid="_r1",
    rsig="",
    body=None,
    extensions="",
    root_ns=RESPONSE_NS,
    extra_attrs="",
    decl=XML_DECL,
    before_status="",
) -> str:
    """A saml2p:Response document. `rsig` goes right after Issuer; `body` defaults to an Assertion."""
    body = assertion_xml() if body is None else body
    return f"""{decl}<saml2p:Response {root_ns} Consent="urn:oasis:names:tc:SAML:2.0:consent:obtained" Destination="{ACS_URL}" ID="{rid}" InResponseTo="_q1" IssueInstant="2025-06-01T12:00:00.000Z" Version="2.0"{extra_attrs}>
    <saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">{IDP_ENTITY}</saml2:Issuer>{slot(rsig, 4)}{slot(extensions, 4)}{slot(before_status, 4)}
    <saml2p:Status>
        <saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>
    </saml2p:Status>
{indent(body, 4)}
</saml2p:Response>
"""


def entity_descriptor_xml(*, mid="_md1", sig="", idp_cert_b64="") -> str:
    """An md:EntityDescriptor of a proxy service (signature is the first child)."""
    return f"""{XML_DECL}<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:alg="urn:oasis:names:tc:SAML:metadata:algsupport" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="{mid}" entityID="{IDP_ENTITY}" validUntil="2045-01-01T00:00:00Z">{slot(sig, 4)}
    <md:Extensions>
        <alg:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha512"/>
        <alg:SigningMethod Algorithm="http://www.w3.org/2007/05/xmldsig-more#sha512-rsa-MGF1" MinKeySize="3072"/>
        <alg:SigningMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512"/>
    </md:Extensions>
    <md:IDPSSODescriptor WantAuthnRequestsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
        <md:KeyDescriptor use="signing">
            <ds:KeyInfo>
                <ds:X509Data>
                    <ds:X509Certificate>{idp_cert_b64}</ds:X509Certificate>
                </ds:X509Data>
            </ds:KeyInfo>
        </md:KeyDescriptor>
        <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
        <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://proxy.test.example.de/EidasNode/ColleagueRequest"/>
    </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""
