//! The eIDAS SAML Attribute Profile 1.4 (`reference/eidas-spec.md` §3): the attribute
//! catalog, reading an `AttributeStatement` into raw values, typing them into a natural or
//! legal person, and mapping a natural person to the hub's OIDC claims.
//!
//! It reads only an element of an already verified and decrypted assertion (the caller's
//! job), never the clock, and does no I/O. Unknown attributes are kept but never typed (IA
//! §2.3.1 "MUST ignore"); representative attributes are reported for the caller to refuse.
//! Attribute values are personal data: `Debug` output of the value-carrying types is
//! redacted, and nothing here logs.

mod catalog;
mod claims;
mod person;
mod values;

use std::collections::BTreeMap;
use std::fmt;

pub use self::catalog::{
    all, by_friendly_name, by_name, is_representative, minimum_data_set, AttributeDef, PersonKind, ValueType,
    BIRTH_NAME, COUNTRY_OF_BIRTH, COUNTRY_OF_RESIDENCE, CURRENT_ADDRESS, CURRENT_FAMILY_NAME, CURRENT_GIVEN_NAME,
    DATE_OF_BIRTH, D_2012_17_EU_IDENTIFIER, EMAIL_ADDRESS, EORI, GENDER, LEGAL_EMAIL_ADDRESS, LEGAL_NAME,
    LEGAL_PERSON_ADDRESS, LEGAL_PERSON_IDENTIFIER, LEGAL_PHONE_NUMBER, LEI, NATIONALITY, PERSON_IDENTIFIER,
    PHONE_NUMBER, PLACE_OF_BIRTH, SEED, SIC, TAX_REFERENCE, TOWN_OF_BIRTH, VAT_REGISTRATION_NUMBER,
};
pub use self::claims::{to_claims, Acr, Claims, AMR_EIDAS, MAX_NAME_CLAIM_CHARS};
pub use self::person::{to_legal_person, to_person, LegalPerson, Person, TransliteratedName};
pub use self::values::{
    check_person_identifier, format_date, parse_address, parse_country, parse_date_of_birth, parse_gender, Address,
    AddressLine, Gender, IdentifierCountries, StructuredAddress, MAX_IDENTIFIER_CHARS,
};
use super::status::FailureCode;
use super::{NAME_FORMAT_URI, NS_EIDAS_LEGAL, NS_EIDAS_NATURAL, NS_SAML};
use crate::xmlsec::{Document, Element, NodeId};

/// Why attributes are refused, in the order the checks run: reading the statement, typing
/// the person, checking the identifier, mapping the claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttributeError {
    /// The node given is not a `saml2:AttributeStatement`.
    #[error("not an AttributeStatement")]
    NotAttributeStatement,
    /// A `saml2:EncryptedAttribute` (eIDAS MF 1.4 §2.3.3: MUST NOT be used).
    #[error("EncryptedAttribute is not allowed")]
    EncryptedAttribute,
    /// An element other than `Attribute` in the statement, or other than `AttributeValue` in
    /// an `Attribute`.
    #[error("unexpected element in an AttributeStatement")]
    UnexpectedElement,
    /// An `Attribute` without a `Name`.
    #[error("Attribute without Name")]
    MissingName,
    /// `NameFormat` absent or not `…attrname-format:uri` (eIDAS AP 1.4 §2.1).
    #[error("Attribute NameFormat is not uri")]
    NameFormat,
    /// Two `Attribute` elements with the same `Name`.
    #[error("attribute {0} appears twice")]
    DuplicateAttribute(String),
    /// An `AttributeValue` holding an element or a comment.
    #[error("AttributeValue holds markup or a comment")]
    Malformed,
    /// `LatinScript` is not an `xsd:boolean`, or its qualified and unqualified forms disagree.
    #[error("invalid LatinScript")]
    LatinScript,
    /// An empty or whitespace-only value, or an `Attribute` with no value (eIDAS MF 1.4 §2.3.3).
    #[error("attribute {0} has an empty value")]
    EmptyValue(String),
    /// A mandatory attribute of the minimum data set is absent (friendly name).
    #[error("attribute {0} is missing")]
    Missing(&'static str),
    /// A single-valued attribute has several values (friendly name).
    #[error("attribute {0} has several values")]
    MultipleValues(&'static str),
    /// A value does not parse as its type (friendly name).
    #[error("attribute {0} has an invalid value")]
    InvalidValue(&'static str),
    /// The identifier is longer than 256 characters (AP 2.5).
    #[error("identifier longer than 256 characters")]
    IdentifierTooLong,
    /// The identifier contains whitespace (AP 2.5).
    #[error("identifier contains whitespace")]
    IdentifierWhitespace,
    /// The identifier is not `CC/DD/…`.
    #[error("identifier is not CC/DD/…")]
    IdentifierFormat,
    /// The identifier's first two letters are not the country asked.
    #[error("identifier prefix is not the requested country")]
    IdentifierCountryMismatch,
    /// The identifier's second two letters (the destination) are not our country.
    #[error("identifier destination is not our country")]
    IdentifierDestinationMismatch,
    /// LoA `low`: never mapped to claims.
    #[error("level of assurance low is refused")]
    LoaTooLow,
    /// The identifier is not ASCII (the hub's `sub` rule).
    #[error("identifier is not ASCII")]
    IdentifierNotAscii,
    /// A name has no Latin-script value (friendly name).
    #[error("attribute {0} has no Latin-script value")]
    NoLatinScript(&'static str),
    /// A name is longer than the hub accepts (friendly name).
    #[error("attribute {0} is too long for its claim")]
    ClaimTooLong(&'static str),
}

impl AttributeError {
    /// Stable code for logs and the CLI.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotAttributeStatement => "attributes.not_attribute_statement",
            Self::EncryptedAttribute => "attributes.encrypted_attribute",
            Self::UnexpectedElement => "attributes.unexpected_element",
            Self::MissingName => "attributes.missing_name",
            Self::NameFormat => "attributes.name_format",
            Self::DuplicateAttribute(_) => "attributes.duplicate_attribute",
            Self::Malformed => "attributes.malformed",
            Self::LatinScript => "attributes.latin_script",
            Self::EmptyValue(_) => "attributes.empty_value",
            Self::Missing(_) => "attributes.missing",
            Self::MultipleValues(_) => "attributes.multiple_values",
            Self::InvalidValue(_) => "attributes.invalid_value",
            Self::IdentifierTooLong => "attributes.identifier_too_long",
            Self::IdentifierWhitespace => "attributes.identifier_whitespace",
            Self::IdentifierFormat => "attributes.identifier_format",
            Self::IdentifierCountryMismatch => "attributes.identifier_country_mismatch",
            Self::IdentifierDestinationMismatch => "attributes.identifier_destination_mismatch",
            Self::LoaTooLow => "attributes.loa_too_low",
            Self::IdentifierNotAscii => "attributes.identifier_not_ascii",
            Self::NoLatinScript(_) => "attributes.no_latin_script",
            Self::ClaimTooLong(_) => "attributes.claim_too_long",
        }
    }

    /// The hub's failure code: a missing or unusable mandatory name is `attributes_missing`,
    /// LoA low is `loa_not_met`, anything else the proxy got wrong is `invalid_response`.
    pub fn failure_code(&self) -> FailureCode {
        match self {
            Self::Missing(_) | Self::NoLatinScript(_) => FailureCode::AttributesMissing,
            Self::LoaTooLow => FailureCode::LoaNotMet,
            _ => FailureCode::InvalidResponse,
        }
    }
}

/// One `AttributeValue`: its text verbatim, and its `LatinScript` flag (default `true`).
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AttributeValue {
    /// The character content, untrimmed and unnormalized.
    pub value: String,
    /// False only when the value carries `LatinScript="false"` (AP 2.4).
    pub latin_script: bool,
}

impl fmt::Debug for AttributeValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AttributeValue")
            .field("value", &format_args!("<{} chars>", self.value.chars().count()))
            .field("latin_script", &self.latin_script)
            .finish()
    }
}

/// The raw attributes of an assertion: `Name` URI → values in document order. Serializes as
/// the consume API's `attributes` object (`{Name: [{value, latin_script}]}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Attributes {
    values: BTreeMap<String, Vec<AttributeValue>>,
}

impl Attributes {
    /// The values of attribute `name` (a `Name` URI); empty when absent.
    pub fn get(&self, name: &str) -> &[AttributeValue] {
        self.values.get(name).map_or(&[], Vec::as_slice)
    }

    /// True when attribute `name` was sent.
    pub fn contains(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// Every attribute, by `Name` URI.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &[AttributeValue])> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The representative attributes present (AP 2.8), to refuse while unsupported.
    pub fn representatives(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str).filter(|n| is_representative(n))
    }

    /// True when any representative attribute is present.
    pub fn has_representatives(&self) -> bool {
        self.representatives().next().is_some()
    }

    /// Attributes neither in the catalog nor representative: kept, never typed (IA §2.3.1).
    pub fn unknown(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str).filter(|n| by_name(n).is_none() && !is_representative(n))
    }

    /// Appends a value to attribute `name`, without the checks of [`parse_attribute_statement`]
    /// (for tests).
    #[cfg(test)]
    pub(crate) fn push(&mut self, name: &str, value: &str, latin_script: bool) {
        self.values.entry(name.to_owned()).or_default().push(AttributeValue { value: value.to_owned(), latin_script });
    }
}

/// The namespaces in which `LatinScript` is declared (natural, legal and their representative
/// schemas); the unqualified form of the AP examples is accepted too.
const LATIN_SCRIPT_NAMESPACES: [&str; 4] = [
    NS_EIDAS_NATURAL,
    NS_EIDAS_LEGAL,
    "http://eidas.europa.eu/attributes/naturalperson/representative",
    "http://eidas.europa.eu/attributes/legalperson/representative",
];

/// Reads the `saml2:Attribute` children of a `saml2:AttributeStatement`.
///
/// Refuses `EncryptedAttribute`, a `NameFormat` other than uri, a repeated `Name`, a value
/// holding markup or comments, and empty values. Every `Name` is kept, known or not.
///
/// # Security
/// `statement` must come from the verified (decrypted, signature-checked) assertion. Values
/// are read with [`Document::simple_text`], so a comment cannot truncate a value
/// (CVE-2017-11428 class).
pub fn parse_attribute_statement(doc: &Document, statement: NodeId) -> Result<Attributes, AttributeError> {
    if !doc.is(statement, NS_SAML, "AttributeStatement") {
        return Err(AttributeError::NotAttributeStatement);
    }
    let mut out = Attributes::default();
    for child in doc.child_elements(statement) {
        // eIDAS MF 1.4 §2.3.3: "Single encrypted attributes (EncryptedAttribute) MUST NOT be used."
        if doc.is(child, NS_SAML, "EncryptedAttribute") {
            return Err(AttributeError::EncryptedAttribute);
        }
        let Some(attribute) = doc.element(child).filter(|e| e.is(NS_SAML, "Attribute")) else {
            return Err(AttributeError::UnexpectedElement);
        };
        let name = attribute.attr("Name").filter(|n| !n.is_empty()).ok_or(AttributeError::MissingName)?;
        // eIDAS AP 1.4 §2.1: NameFormat MUST be uri. FriendlyName is informational (SAML Core
        // 2.7.3.1) and not checked: the Name decides.
        if attribute.attr("NameFormat") != Some(NAME_FORMAT_URI) {
            return Err(AttributeError::NameFormat);
        }
        if out.values.contains_key(name) {
            return Err(AttributeError::DuplicateAttribute(name.to_owned()));
        }
        let mut values = Vec::new();
        for v in doc.child_elements(child) {
            let Some(element) = doc.element(v).filter(|e| e.is(NS_SAML, "AttributeValue")) else {
                return Err(AttributeError::UnexpectedElement);
            };
            // xmlsec-profile 21: no element or comment inside a value.
            let value = doc.simple_text(v).map_err(|_| AttributeError::Malformed)?;
            // eIDAS MF 1.4 §2.3.3: "Attributes MUST NOT contain empty values."
            if value.trim().is_empty() {
                return Err(AttributeError::EmptyValue(name.to_owned()));
            }
            values.push(AttributeValue { value, latin_script: latin_script(element)? });
        }
        if values.is_empty() {
            return Err(AttributeError::EmptyValue(name.to_owned()));
        }
        out.values.insert(name.to_owned(), values);
    }
    Ok(out)
}

/// eIDAS AP 1.4 §2.4: `LatinScript` is qualified in the schema (what the eIDAS-Node writes)
/// and unqualified in the AP examples; both are read, and must agree when both are present.
fn latin_script(value: &Element) -> Result<bool, AttributeError> {
    let mut flag = None;
    for a in value.attributes.iter().filter(|a| a.local == "LatinScript") {
        match a.ns.as_deref() {
            None => {}
            Some(ns) if LATIN_SCRIPT_NAMESPACES.contains(&ns) => {}
            Some(_) => continue,
        }
        // xsd:boolean (whiteSpace collapse).
        let parsed = match a.value.trim_matches([' ', '\t', '\n', '\r']) {
            "true" | "1" => true,
            "false" | "0" => false,
            _ => return Err(AttributeError::LatinScript),
        };
        if flag.is_some_and(|f| f != parsed) {
            return Err(AttributeError::LatinScript);
        }
        flag = Some(parsed);
    }
    Ok(flag.unwrap_or(true))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlsec::Limits;

    const N: &str = "http://eidas.europa.eu/attributes/naturalperson/";

    fn statement(body: &str) -> String {
        format!(
            "<saml2:AttributeStatement xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\" \
             xmlns:eidas-natural=\"{NS_EIDAS_NATURAL}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
             {body}</saml2:AttributeStatement>"
        )
    }

    fn attribute(suffix: &str, values: &str) -> String {
        format!("<saml2:Attribute Name=\"{N}{suffix}\" NameFormat=\"{NAME_FORMAT_URI}\">{values}</saml2:Attribute>")
    }

    fn value(text: &str) -> String {
        format!("<saml2:AttributeValue>{text}</saml2:AttributeValue>")
    }

    fn parse(body: &str) -> Result<Attributes, AttributeError> {
        let xml = statement(body);
        let doc = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
        parse_attribute_statement(&doc, doc.root())
    }

    #[test]
    fn parse_attribute_statement_reads_every_cef_sample_assertion() {
        let Some(dir) = crate::test_support::interop("responses/decrypted-assertions") else { return };
        let entries = std::fs::read_dir(dir).unwrap();
        let mut seen = 0;
        for entry in entries {
            let xml = std::fs::read(entry.unwrap().path()).unwrap();
            let doc = Document::parse(&xml, &Limits::default()).unwrap();
            let st = doc.first_child_named(doc.root(), NS_SAML, "AttributeStatement").unwrap();
            let attrs = parse_attribute_statement(&doc, st).unwrap();
            assert_eq!(attrs.len(), 6);
            let p = to_person(&attrs).unwrap();
            assert_eq!(p.family_name.latin.as_deref(), Some("Garcia"));
            // The samples are CC/CC/…: issued by and for the same (placeholder) country.
            let country = crate::saml::CountryCode::parse(&p.person_identifier[..2]).unwrap();
            let countries = IdentifierCountries { issuing: country, destination: country };
            check_person_identifier(&p.person_identifier, countries).unwrap();
            assert_eq!(to_legal_person(&attrs).unwrap().legal_name.latin.as_deref(), Some("Current Legal Name"));
            seen += 1;
        }
        assert!(seen > 0);
    }

    #[test]
    fn parse_attribute_statement_reads_litsec_transliteration_example() {
        let Some(path) = crate::test_support::interop("attributes/litsec_example-transliteration.xml") else { return };
        let xml = std::fs::read_to_string(path).unwrap();
        let body = xml.trim_start_matches(|c| c != '>').trim_start_matches('>');
        let doc = Document::parse(statement(body).as_bytes(), &Limits::default()).unwrap();
        let attrs = parse_attribute_statement(&doc, doc.root()).unwrap();
        let v = attrs.get(CURRENT_FAMILY_NAME.name);
        assert_eq!(v.len(), 2);
        assert_eq!((v[0].value.as_str(), v[0].latin_script), ("Onasis", true));
        assert_eq!((v[1].value.as_str(), v[1].latin_script), ("Ωνασης", false));
    }

    #[test]
    fn parse_attribute_statement_reads_latin_script_qualified_and_unqualified() {
        let body = attribute(
            "CurrentFamilyName",
            "<saml2:AttributeValue eidas-natural:LatinScript=\"false\">Ελληνικά</saml2:AttributeValue>\
             <saml2:AttributeValue>Ellinika</saml2:AttributeValue>",
        ) + &attribute(
            "CurrentGivenName",
            "<saml2:AttributeValue LatinScript=\"false\">Ελληνικά</saml2:AttributeValue>\
             <saml2:AttributeValue LatinScript=\"true\">Ellinika</saml2:AttributeValue>",
        );
        let attrs = parse(&body).unwrap();
        for suffix in ["CurrentFamilyName", "CurrentGivenName"] {
            let v = attrs.get(&format!("{N}{suffix}"));
            assert_eq!(
                v,
                [
                    AttributeValue { value: "Ελληνικά".into(), latin_script: false },
                    AttributeValue { value: "Ellinika".into(), latin_script: true }
                ]
            );
        }
    }

    #[test]
    fn parse_attribute_statement_refuses_latin_script_that_is_not_boolean_or_disagrees() {
        for flag in
            ["LatinScript=\"no\"", "LatinScript=\"\"", "eidas-natural:LatinScript=\"false\" LatinScript=\"true\""]
        {
            let body =
                attribute("CurrentFamilyName", &format!("<saml2:AttributeValue {flag}>x</saml2:AttributeValue>"));
            assert_eq!(parse(&body), Err(AttributeError::LatinScript), "{flag}");
        }
    }

    #[test]
    fn parse_attribute_statement_refuses_a_comment_inside_a_value() {
        let body = attribute("PersonIdentifier", &value("ES/FR/<!-- x -->123"));
        assert_eq!(parse(&body), Err(AttributeError::Malformed));
    }

    #[test]
    fn parse_attribute_statement_refuses_an_element_inside_a_value() {
        let body = attribute("PersonIdentifier", &value("ES/FR/<b>123</b>"));
        assert_eq!(parse(&body), Err(AttributeError::Malformed));
    }

    #[test]
    fn parse_attribute_statement_refuses_an_encrypted_attribute() {
        let body = attribute("PersonIdentifier", &value("ES/FR/1"))
            + "<saml2:EncryptedAttribute><x:EncryptedData xmlns:x=\"http://www.w3.org/2001/04/xmlenc#\"/></saml2:EncryptedAttribute>";
        assert_eq!(parse(&body), Err(AttributeError::EncryptedAttribute));
    }

    #[test]
    fn parse_attribute_statement_refuses_empty_whitespace_and_missing_values() {
        for values in [value(""), value("  \n "), "<saml2:AttributeValue/>".to_owned(), String::new()] {
            let body = attribute("CurrentGivenName", &values);
            assert_eq!(parse(&body), Err(AttributeError::EmptyValue(format!("{N}CurrentGivenName"))), "{values}");
        }
    }

    #[test]
    fn parse_attribute_statement_refuses_a_name_format_other_than_uri() {
        let basic = format!(
            "<saml2:Attribute Name=\"{N}Gender\" NameFormat=\"urn:oasis:names:tc:SAML:2.0:attrname-format:basic\">{}</saml2:Attribute>",
            value("Male")
        );
        assert_eq!(parse(&basic), Err(AttributeError::NameFormat));
        let absent = format!("<saml2:Attribute Name=\"{N}Gender\">{}</saml2:Attribute>", value("Male"));
        assert_eq!(parse(&absent), Err(AttributeError::NameFormat));
        let padded = format!(
            "<saml2:Attribute Name=\"{N}Gender\" NameFormat=\"{NAME_FORMAT_URI} \">{}</saml2:Attribute>",
            value("Male")
        );
        assert_eq!(parse(&padded), Err(AttributeError::NameFormat));
    }

    #[test]
    fn parse_attribute_statement_refuses_a_missing_name_or_a_repeated_one() {
        let nameless = format!("<saml2:Attribute NameFormat=\"{NAME_FORMAT_URI}\">{}</saml2:Attribute>", value("x"));
        assert_eq!(parse(&nameless), Err(AttributeError::MissingName));
        let twice =
            attribute("PersonIdentifier", &value("ES/FR/1")) + &attribute("PersonIdentifier", &value("ES/FR/2"));
        assert_eq!(parse(&twice), Err(AttributeError::DuplicateAttribute(format!("{N}PersonIdentifier"))));
    }

    #[test]
    fn parse_attribute_statement_refuses_unexpected_elements() {
        let in_statement = "<saml2:Foo/>".to_owned();
        assert_eq!(parse(&in_statement), Err(AttributeError::UnexpectedElement));
        let in_attribute = attribute("Gender", "<saml2:Value>Male</saml2:Value>");
        assert_eq!(parse(&in_attribute), Err(AttributeError::UnexpectedElement));
    }

    #[test]
    fn parse_attribute_statement_refuses_a_node_that_is_not_an_attribute_statement() {
        let xml = statement("");
        let doc = Document::parse(xml.as_bytes(), &Limits::default()).unwrap();
        let other = Document::parse(b"<AttributeStatement/>", &Limits::default()).unwrap();
        assert!(parse_attribute_statement(&doc, doc.root()).unwrap().is_empty());
        assert_eq!(parse_attribute_statement(&other, other.root()), Err(AttributeError::NotAttributeStatement));
    }

    #[test]
    fn parse_attribute_statement_flags_representative_attributes() {
        let body = attribute("PersonIdentifier", &value("ES/FR/1"))
            + &attribute("representative/PersonIdentifier", &value("ES/FR/2"));
        let attrs = parse(&body).unwrap();
        assert!(attrs.has_representatives());
        assert_eq!(attrs.representatives().collect::<Vec<_>>(), [format!("{N}representative/PersonIdentifier")]);
        assert_eq!(attrs.unknown().count(), 0);
    }

    #[test]
    fn parse_attribute_statement_keeps_unknown_attributes_without_typing_them() {
        let ejustice = "http://e-justice.europa.eu/attributes/naturalperson/eJusticeNaturalPersonRole";
        let body = format!(
            "<saml2:Attribute Name=\"{ejustice}\" NameFormat=\"{NAME_FORMAT_URI}\">{}</saml2:Attribute>",
            value("Lawyer")
        ) + &attribute("PersonIdentifier", &value("ES/FR/1"))
            + &attribute("CurrentFamilyName", &value("Garcia"))
            + &attribute("CurrentGivenName", &value("javier"))
            + &attribute("DateOfBirth", &value("1964-12-31"));
        let attrs = parse(&body).unwrap();
        assert_eq!(attrs.unknown().collect::<Vec<_>>(), [ejustice]);
        assert_eq!(attrs.get(ejustice)[0].value, "Lawyer");
        assert!(!attrs.has_representatives());
        assert_eq!(to_person(&attrs).unwrap().person_identifier, "ES/FR/1");
    }

    #[test]
    fn parse_attribute_statement_keeps_values_verbatim_with_friendly_name_ignored() {
        let body = format!(
            "<saml2:Attribute FriendlyName=\"Whatever\" Name=\"{N}PlaceOfBirth\" NameFormat=\"{NAME_FORMAT_URI}\">\
             <saml2:AttributeValue xsi:type=\"eidas-natural:PlaceOfBirthType\"> Saint-&#201;tienne &amp; co </saml2:AttributeValue>\
             </saml2:Attribute>"
        );
        let attrs = parse(&body).unwrap();
        assert_eq!(attrs.get(PLACE_OF_BIRTH.name)[0].value, " Saint-Étienne & co ");
    }

    #[test]
    fn attributes_serialize_as_name_to_value_list_and_debug_hides_values() {
        let attrs = parse(&attribute("CurrentFamilyName", &value("Garcia"))).unwrap();
        assert_eq!(
            serde_json::to_value(&attrs).unwrap(),
            serde_json::json!({ format!("{N}CurrentFamilyName"): [{"value": "Garcia", "latin_script": true}] })
        );
        let back: Attributes = serde_json::from_value(serde_json::to_value(&attrs).unwrap()).unwrap();
        assert_eq!(back, attrs);
        assert!(!format!("{attrs:?}").contains("Garcia"));
    }

    #[test]
    fn attribute_error_codes_are_unique_and_map_to_hub_failures() {
        let all = [
            AttributeError::NotAttributeStatement,
            AttributeError::EncryptedAttribute,
            AttributeError::UnexpectedElement,
            AttributeError::MissingName,
            AttributeError::NameFormat,
            AttributeError::DuplicateAttribute(String::new()),
            AttributeError::Malformed,
            AttributeError::LatinScript,
            AttributeError::EmptyValue(String::new()),
            AttributeError::Missing(""),
            AttributeError::MultipleValues(""),
            AttributeError::InvalidValue(""),
            AttributeError::IdentifierTooLong,
            AttributeError::IdentifierWhitespace,
            AttributeError::IdentifierFormat,
            AttributeError::IdentifierCountryMismatch,
            AttributeError::LoaTooLow,
            AttributeError::IdentifierNotAscii,
            AttributeError::NoLatinScript(""),
            AttributeError::ClaimTooLong(""),
        ];
        let mut codes: Vec<_> = all.iter().map(AttributeError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
        assert_eq!(AttributeError::Missing("FamilyName").failure_code(), FailureCode::AttributesMissing);
        assert_eq!(AttributeError::NoLatinScript("FamilyName").failure_code(), FailureCode::AttributesMissing);
        assert_eq!(AttributeError::LoaTooLow.failure_code(), FailureCode::LoaNotMet);
        assert_eq!(AttributeError::Malformed.failure_code(), FailureCode::InvalidResponse);
        assert_eq!(AttributeError::IdentifierCountryMismatch.failure_code(), FailureCode::InvalidResponse);
    }
}
