//! Value parsers of the attribute profile: the unique identifier (AP 2.5), `xsd:date`,
//! gender, country codes and the structured address (AP 2.2.9, `reference/eidas-spec.md`
//! fact 20 and §3.3).
//!
//! Pure and total: every parser answers for any input and never panics (property-tested).
//! Nothing is trimmed or case-folded before a comparison (attacks.md W6, W7) except the
//! address lines, which are display text.

use time::{Date, Month};

use super::AttributeError;
use crate::saml::{CountryCode, NS_EIDAS_LEGAL, NS_EIDAS_NATURAL};
use crate::xmlsec::{decode_base64, Document, Limits, Node, NodeId};

/// Longest unique identifier, in characters (AP 2.5).
pub const MAX_IDENTIFIER_CHARS: usize = 256;

/// The two countries a unique identifier `CC/DD/…` names (AP 1.4 §2.2.1, eidas-spec §3.1).
///
/// Named fields, not two arguments: both are [`CountryCode`]s and must not be swapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentifierCountries {
    /// `CC`: the issuing country, i.e. the country the request was sent to.
    pub issuing: CountryCode,
    /// `DD`: the destination country, i.e. ours (`connector.country`).
    pub destination: CountryCode,
}

/// Checks a `PersonIdentifier` (or `LegalPersonIdentifier`) against the profile and the two
/// countries it must name: `^[A-Z]{2}/[A-Z]{2}/.+$`, the first two letters equal to
/// `countries.issuing`, the next two equal to `countries.destination`, at most 256
/// characters, no whitespace. Byte-wise: no Unicode normalization, no trimming.
///
/// # Security
/// The country prefix is what stops a proxy service from asserting identities of another
/// country (eIDAS-Node `validate.prefix.country.code.identifiers`); the destination is what
/// stops an identifier made for another Member State's services (`XX/DE/…`, the form the
/// citizen presents in Germany) from being replayed as a French one.
pub fn check_person_identifier(value: &str, countries: IdentifierCountries) -> Result<(), AttributeError> {
    check_identifier_syntax(value)?;
    // eIDAS-Node 2.9 (reference/eidas-spec.md fact 19): CC is the issuing country we asked.
    if value.get(..2) != Some(countries.issuing.as_str()) {
        return Err(AttributeError::IdentifierCountryMismatch);
    }
    // eIDAS AP 1.4 §2.2.1 (reference/eidas-spec.md §3.1): DD is the destination country, ours.
    if value.get(3..5) != Some(countries.destination.as_str()) {
        return Err(AttributeError::IdentifierDestinationMismatch);
    }
    Ok(())
}

/// The country-independent part of [`check_person_identifier`].
pub(super) fn check_identifier_syntax(value: &str) -> Result<(), AttributeError> {
    // eIDAS AP 1.4 §2.5: "MUST NOT exceed a total of 256 characters".
    if value.chars().count() > MAX_IDENTIFIER_CHARS {
        return Err(AttributeError::IdentifierTooLong);
    }
    // eIDAS AP 1.4 §2.5: "MUST NOT contain any whitespace" (Unicode White_Space, which also
    // covers the line terminators the eIDAS-Node regex `.` refuses).
    if value.chars().any(char::is_whitespace) {
        return Err(AttributeError::IdentifierWhitespace);
    }
    // eIDAS AP 1.4 §2.2.1: `CC/DD/…` (eIDAS-Node regex `^[A-Z]{2}/[A-Z]{2}/.+$`).
    match value.as_bytes() {
        [a, b, b'/', c, d, b'/', _, ..] if [a, b, c, d].iter().all(|x| x.is_ascii_uppercase()) => Ok(()),
        _ => Err(AttributeError::IdentifierFormat),
    }
}

/// Parses an `xsd:date` date of birth: `YYYY-MM-DD` (four-digit year), optionally followed by
/// the time zone `xsd:date` allows (`Z` or `±hh:mm`, ignored: a birth date is a calendar
/// date). Partial dates (`1965-00-00`) and impossible ones (`2023-02-29`) are refused.
pub fn parse_date_of_birth(value: &str) -> Option<Date> {
    let b = value.as_bytes();
    let (date, zone) = (b.get(..10)?, b.get(10..)?);
    let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2] = date else { return None };
    let year = digits(&[*y1, *y2, *y3, *y4])?;
    let month = Month::try_from(u8::try_from(digits(&[*m1, *m2])?).ok()?).ok()?;
    let day = u8::try_from(digits(&[*d1, *d2])?).ok()?;
    if !valid_zone(zone) {
        return None;
    }
    Date::from_calendar_date(i32::try_from(year).ok()?, month, day).ok()
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, c| c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0')))
}

/// XML Schema 1.0 §3.2.7.3: `Z` or `(+|-)hh:mm` with hh:mm ≤ 14:00.
fn valid_zone(zone: &[u8]) -> bool {
    match zone {
        [] | [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => match (digits(&[*h1, *h2]), digits(&[*m1, *m2])) {
            (Some(h), Some(m)) => (h < 14 && m < 60) || (h == 14 && m == 0),
            _ => false,
        },
        _ => false,
    }
}

/// Formats a date as `YYYY-MM-DD` (`full-date`, OIDC `birthdate`).
pub fn format_date(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

pub(super) fn serialize_date<S: serde::Serializer>(date: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_date(*date))
}

/// Gender (AP 1.4 §2.2.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    /// `Male`.
    Male,
    /// `Female`.
    Female,
    /// `Unspecified` (also the legacy `NotSpecified`).
    Unspecified,
}

impl Gender {
    /// The OIDC `gender` claim value (as FranceConnect maps it: the eIDAS word in lower case).
    pub fn oidc(self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
            Self::Unspecified => "unspecified",
        }
    }
}

/// Parses a gender value, exactly (no trimming, case-sensitive: attacks.md W6). The AP 1.4
/// values, plus `NotSpecified` of eIDAS 1.0 nodes.
pub fn parse_gender(value: &str) -> Option<Gender> {
    match value {
        "Male" => Some(Gender::Male),
        "Female" => Some(Gender::Female),
        "Unspecified" | "NotSpecified" => Some(Gender::Unspecified),
        _ => None,
    }
}

/// Parses an ISO 3166-1 alpha-2 value (`[A-Z][A-Z]`, AP 1.4 NationalityType).
pub fn parse_country(value: &str) -> Option<CountryCode> {
    CountryCode::parse(value)
}

/// A current address (natural person) or legal person address.
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Address {
    /// The structured form, read from the base64 XML fragment.
    Structured(Box<StructuredAddress>),
    /// A value that is not base64 of a readable address fragment, kept verbatim.
    FreeText(String),
}

/// The elements of `CurrentAddressStructuredType` / `LegalPersonAddressStructuredType`, plus
/// the ones the eIDAS-Node also knows; anything else is kept in `extra`, in document order.
#[derive(Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StructuredAddress {
    /// `PoBox`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub po_box: Option<String>,
    /// `LocatorDesignator` (house number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locator_designator: Option<String>,
    /// `LocatorName` (building name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locator_name: Option<String>,
    /// `CvaddressArea`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cvaddress_area: Option<String>,
    /// `Thoroughfare` (street).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thoroughfare: Option<String>,
    /// `PostName` (town).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_name: Option<String>,
    /// `AdminunitFirstline` (country code or name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adminunit_firstline: Option<String>,
    /// `AdminunitSecondline` (region).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adminunit_secondline: Option<String>,
    /// `PostCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_code: Option<String>,
    /// `FullCvaddress` (the whole address as one text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_cvaddress: Option<String>,
    /// `AddressID` (eIDAS-Node).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address_id: Option<String>,
    /// Elements not listed above, or repeated: `(local name, text)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra: Vec<AddressLine>,
}

/// An address element the structured form does not name.
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
pub struct AddressLine {
    /// The element's local name as written.
    pub name: String,
    /// Its text, trimmed.
    pub value: String,
}

impl std::fmt::Debug for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Personal data: the form only.
        f.write_str(match self {
            Self::Structured(_) => "Address::Structured(..)",
            Self::FreeText(_) => "Address::FreeText(..)",
        })
    }
}

impl std::fmt::Debug for StructuredAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StructuredAddress").field("extra", &self.extra.len()).finish_non_exhaustive()
    }
}

impl std::fmt::Debug for AddressLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddressLine").field("name", &self.name).finish_non_exhaustive()
    }
}

impl StructuredAddress {
    fn slot(&mut self, local: &str) -> Option<&mut Option<String>> {
        // eIDAS-Node reads each tag with a case-insensitive regex; so do we.
        let slot = match local.to_ascii_lowercase().as_str() {
            "pobox" => &mut self.po_box,
            "locatordesignator" => &mut self.locator_designator,
            "locatorname" => &mut self.locator_name,
            "cvaddressarea" => &mut self.cvaddress_area,
            "thoroughfare" => &mut self.thoroughfare,
            "postname" => &mut self.post_name,
            "adminunitfirstline" => &mut self.adminunit_firstline,
            "adminunitsecondline" => &mut self.adminunit_secondline,
            "postcode" => &mut self.post_code,
            "fullcvaddress" => &mut self.full_cvaddress,
            "addressid" => &mut self.address_id,
            _ => return None,
        };
        Some(slot)
    }

    fn push(&mut self, local: &str, value: String) {
        match self.slot(local) {
            Some(slot) if slot.is_none() => *slot = Some(value),
            _ => self.extra.push(AddressLine { name: local.to_owned(), value }),
        }
    }
}

/// Reads an address value leniently: base64 of a sequence of address elements, usually
/// without a root element and with undeclared `eidas-natural:`/`eidas:` prefixes. The
/// fragment is wrapped in a synthetic root that declares those prefixes and parsed with the
/// hardened parser under [`Limits::default`]. A value that is not base64, not UTF-8, not
/// well-formed, holds nested markup or no element at all is returned as
/// [`Address::FreeText`] (the original value): an address never fails a login.
pub fn parse_address(value: &str) -> Address {
    read_structured(value).map_or_else(|| Address::FreeText(value.to_owned()), |a| Address::Structured(Box::new(a)))
}

fn read_structured(value: &str) -> Option<StructuredAddress> {
    let bytes = decode_base64(value).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let text = match text.trim_start().strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>")?.1,
        None => text,
    };
    let wrapped = format!(
        "<address xmlns=\"{NS_EIDAS_NATURAL}\" xmlns:eidas-natural=\"{NS_EIDAS_NATURAL}\" \
         xmlns:eidas=\"{NS_EIDAS_NATURAL}\" xmlns:eidas-legal=\"{NS_EIDAS_LEGAL}\">{text}</address>"
    );
    let doc = Document::parse(wrapped.as_bytes(), &Limits::default()).ok()?;
    // Tolerate a real root (`<eidas:CurrentAddress>…</…>`) inside the synthetic one.
    let mut container = doc.root();
    for _ in 0..2 {
        let mut kids = doc.child_elements(container);
        match (kids.next(), kids.next()) {
            (Some(only), None) if doc.child_elements(only).next().is_some() && !has_text(&doc, container) => {
                container = only;
            }
            _ => break,
        }
    }
    let mut out = StructuredAddress::default();
    let mut found = false;
    for child in doc.children(container) {
        match doc.node(*child) {
            Node::Comment(_) => {}
            Node::Text(t) if t.trim().is_empty() => {}
            Node::Text(_) => return None,
            Node::Element(e) => {
                let text = doc.simple_text(*child).ok()?;
                found = true;
                let text = text.trim();
                if !text.is_empty() {
                    out.push(&e.local, text.to_owned());
                }
            }
        }
    }
    found.then_some(out)
}

fn has_text(doc: &Document, id: NodeId) -> bool {
    doc.children(id).iter().any(|c| matches!(doc.node(*c), Node::Text(t) if !t.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlsec::encode_base64;
    use proptest::prelude::*;
    use time::macros::date;

    fn fr() -> CountryCode {
        CountryCode::parse("FR").unwrap()
    }

    /// Issued by `issuing`, for France.
    fn to_fr(issuing: &str) -> IdentifierCountries {
        IdentifierCountries { issuing: CountryCode::parse(issuing).unwrap(), destination: fr() }
    }

    #[test]
    fn check_person_identifier_accepts_the_cef_sample_when_both_countries_match() {
        check_person_identifier("ES/FR/02635542Y", to_fr("ES")).unwrap();
        check_person_identifier("EL/FR/ab:cd=12", to_fr("EL")).unwrap();
        check_person_identifier("FR/FR/x", to_fr("FR")).unwrap();
        // EU institutions as the destination (eidas-spec §3.1), for a connector that is one.
        let eu = IdentifierCountries { issuing: fr(), destination: CountryCode::parse("EU").unwrap() };
        check_person_identifier("FR/EU/x", eu).unwrap();
    }

    #[test]
    fn check_person_identifier_rejects_when_the_destination_is_another_country() {
        for v in ["ES/DE/02635542Y", "ES/EU/02635542Y", "ES/ES/02635542Y", "ES/fr/1"] {
            let want = if v == "ES/fr/1" {
                AttributeError::IdentifierFormat
            } else {
                AttributeError::IdentifierDestinationMismatch
            };
            assert_eq!(check_person_identifier(v, to_fr("ES")), Err(want), "{v:?}");
        }
        // The issuing country is checked first.
        assert_eq!(check_person_identifier("DE/DE/1", to_fr("ES")), Err(AttributeError::IdentifierCountryMismatch));
    }

    #[test]
    fn check_person_identifier_rejects_when_the_prefix_is_another_country() {
        assert_eq!(check_person_identifier("DE/FR/123", to_fr("AT")), Err(AttributeError::IdentifierCountryMismatch));
        // EL, never GR, for Greece: a proxy answering GR for an EL request is refused.
        assert_eq!(check_person_identifier("GR/FR/123", to_fr("EL")), Err(AttributeError::IdentifierCountryMismatch));
    }

    #[test]
    fn check_person_identifier_rejects_whitespace_anywhere() {
        for v in
            ["FR/FR/12 3", "FR/FR/123 ", " FR/FR/123", "FR/FR/1\t2", "FR/FR/1\n", "FR/FR/1\u{a0}2", "FR/FR/\u{2028}"]
        {
            assert_eq!(check_person_identifier(v, to_fr("FR")), Err(AttributeError::IdentifierWhitespace), "{v:?}");
        }
    }

    #[test]
    fn check_person_identifier_rejects_more_than_256_characters() {
        let ok = format!("FR/FR/{}", "a".repeat(250));
        check_person_identifier(&ok, to_fr("FR")).unwrap();
        let long = format!("FR/FR/{}", "a".repeat(251));
        assert_eq!(check_person_identifier(&long, to_fr("FR")), Err(AttributeError::IdentifierTooLong));
        // Characters, not bytes: 250 two-byte letters are still 256 characters.
        let accents = format!("FR/FR/{}", "é".repeat(250));
        check_person_identifier(&accents, to_fr("FR")).unwrap();
    }

    #[test]
    fn check_person_identifier_rejects_malformed_prefixes() {
        for v in
            ["", "FR", "FR/FR/", "FR/FR", "fr/FR/1", "FR/fr/1", "F/FR/1", "FRA/FR/1", "FR-FR-1", "FR//1", "ÉR/FR/1"]
        {
            assert_eq!(check_person_identifier(v, to_fr("FR")), Err(AttributeError::IdentifierFormat), "{v:?}");
        }
    }

    #[test]
    fn check_person_identifier_compares_bytes_without_normalization() {
        // A fullwidth solidus is not '/'.
        assert_eq!(check_person_identifier("FR\u{ff0f}FR/1", to_fr("FR")), Err(AttributeError::IdentifierFormat));
    }

    #[test]
    fn parse_date_of_birth_reads_xsd_date_with_and_without_time_zone() {
        assert_eq!(parse_date_of_birth("1964-12-31"), Some(date!(1964 - 12 - 31)));
        assert_eq!(parse_date_of_birth("1964-12-31Z"), Some(date!(1964 - 12 - 31)));
        assert_eq!(parse_date_of_birth("1964-12-31+02:00"), Some(date!(1964 - 12 - 31)));
        assert_eq!(parse_date_of_birth("1964-12-31-14:00"), Some(date!(1964 - 12 - 31)));
        assert_eq!(parse_date_of_birth("2000-02-29"), Some(date!(2000 - 02 - 29)));
    }

    #[test]
    fn parse_date_of_birth_refuses_partial_impossible_and_malformed_dates() {
        for v in [
            "",
            "1965-00-00",
            "1965-01-00",
            "1965-13-01",
            "2023-02-29",
            "1965-04-31",
            "65-01-01",
            "1965-1-1",
            "1965/01/01",
            "19650101",
            " 1965-01-01",
            "1965-01-01 ",
            "1965-01-01T00:00:00Z",
            "1965-01-01+15:00",
            "1965-01-01+14:30",
            "1965-01-01+0200",
            "1965-01-01z",
            "+1965-01-01",
            "-1965-01-01",
            "١٩٦٥-01-01",
        ] {
            assert_eq!(parse_date_of_birth(v), None, "{v:?}");
        }
    }

    #[test]
    fn format_date_pads_to_four_two_two_digits() {
        assert_eq!(format_date(date!(0987 - 01 - 02)), "0987-01-02");
        assert_eq!(format_date(date!(1964 - 12 - 31)), "1964-12-31");
    }

    #[test]
    fn parse_gender_accepts_the_profile_values_and_legacy_not_specified_only() {
        assert_eq!(parse_gender("Male"), Some(Gender::Male));
        assert_eq!(parse_gender("Female"), Some(Gender::Female));
        assert_eq!(parse_gender("Unspecified"), Some(Gender::Unspecified));
        assert_eq!(parse_gender("NotSpecified"), Some(Gender::Unspecified));
        for v in ["male", "MALE", "Male ", "M", "F", "", "Other", "unspecified"] {
            assert_eq!(parse_gender(v), None, "{v:?}");
        }
        assert_eq!(Gender::Female.oidc(), "female");
    }

    #[test]
    fn parse_country_accepts_two_upper_case_letters() {
        assert_eq!(parse_country("EL").map(|c| c.to_string()), Some("EL".to_owned()));
        assert_eq!(parse_country("el"), None);
        assert_eq!(parse_country("ELL"), None);
    }

    const CEF_ADDRESS: &str = "<eidas-natural:PoBox>1234</eidas-natural:PoBox>\n\
        <eidas-natural:LocatorDesignator>28</eidas-natural:LocatorDesignator>\n\
        <eidas-natural:Thoroughfare>Rue Belliard</eidas-natural:Thoroughfare>\n\
        <eidas-natural:PostName>ETTERBEEK CHASSE</eidas-natural:PostName>\n\
        <eidas-natural:PostCode>1040</eidas-natural:PostCode>\n";

    #[test]
    fn parse_address_reads_the_cef_fragment_without_root_or_namespace_declaration() {
        let Address::Structured(a) = parse_address(&encode_base64(CEF_ADDRESS.as_bytes())) else { panic!() };
        assert_eq!(a.po_box.as_deref(), Some("1234"));
        assert_eq!(a.locator_designator.as_deref(), Some("28"));
        assert_eq!(a.thoroughfare.as_deref(), Some("Rue Belliard"));
        assert_eq!(a.post_name.as_deref(), Some("ETTERBEEK CHASSE"));
        assert_eq!(a.post_code.as_deref(), Some("1040"));
        assert!(a.extra.is_empty());
    }

    #[test]
    fn parse_address_accepts_eidas_and_unprefixed_elements_and_keeps_unknown_ones() {
        let xml = "<eidas:Thoroughfare>Via Roma</eidas:Thoroughfare><PostCode>00100</PostCode>\
            <eidas:cvaddressArea>Lazio</eidas:cvaddressArea><FullCvaddress>Via Roma 1, Roma</FullCvaddress>\
            <eidas-legal:Floor> 3 </eidas-legal:Floor><PostCode>00199</PostCode>";
        let Address::Structured(a) = parse_address(&encode_base64(xml.as_bytes())) else { panic!() };
        assert_eq!(a.thoroughfare.as_deref(), Some("Via Roma"));
        assert_eq!(a.post_code.as_deref(), Some("00100"));
        assert_eq!(a.cvaddress_area.as_deref(), Some("Lazio"));
        assert_eq!(a.full_cvaddress.as_deref(), Some("Via Roma 1, Roma"));
        assert_eq!(
            a.extra,
            [
                AddressLine { name: "Floor".into(), value: "3".into() },
                AddressLine { name: "PostCode".into(), value: "00199".into() }
            ]
        );
    }

    #[test]
    fn parse_address_descends_into_a_root_element_and_skips_an_xml_declaration() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<eidas:CurrentAddress xmlns:eidas=\"urn:x\">\
            <eidas:PostName>Tallinn</eidas:PostName><eidas:AdminunitFirstline>EE</eidas:AdminunitFirstline>\
            </eidas:CurrentAddress>";
        let Address::Structured(a) = parse_address(&encode_base64(xml.as_bytes())) else { panic!() };
        assert_eq!(a.post_name.as_deref(), Some("Tallinn"));
        assert_eq!(a.adminunit_firstline.as_deref(), Some("EE"));
    }

    #[test]
    fn parse_address_keeps_a_non_base64_value_as_free_text() {
        let v = "Rue Belliard 28, 1040 Etterbeek";
        assert_eq!(parse_address(v), Address::FreeText(v.to_owned()));
    }

    #[test]
    fn parse_address_keeps_base64_that_is_not_an_address_fragment_as_free_text() {
        for inner in [
            "Rue Belliard 28".as_bytes(),
            b"\xff\xfe\x00",
            b"<eidas:PostCode>1040</eidas:Postcode>",
            b"<a:PostCode>1040</a:PostCode>",
            b"<PostCode>1<!-- x -->040</PostCode>",
            b"<PostCode><b>1040</b></PostCode><PostName>x</PostName>",
            b"<!DOCTYPE x><PostCode>1</PostCode>",
            b"<PostCode>1</PostCode></address><address>",
            b"",
        ] {
            let v = encode_base64(inner);
            assert_eq!(parse_address(&v), Address::FreeText(v.clone()), "{:?}", String::from_utf8_lossy(inner));
        }
    }

    #[test]
    fn address_serializes_as_tagged_snake_case_without_empty_fields() {
        let a = parse_address(&encode_base64(b"<PostCode>1040</PostCode>"));
        assert_eq!(serde_json::to_value(&a).unwrap(), serde_json::json!({"structured": {"post_code": "1040"}}));
        let f = parse_address("x y");
        assert_eq!(serde_json::to_value(&f).unwrap(), serde_json::json!({"free_text": "x y"}));
    }

    proptest! {
        #[test]
        fn value_parsers_never_panic_on_arbitrary_strings(s in ".{0,64}") {
            let _ = parse_date_of_birth(&s);
            let _ = parse_gender(&s);
            let _ = parse_country(&s);
            let _ = parse_address(&s);
            let fr = CountryCode::parse("FR").unwrap();
            let _ = check_person_identifier(&s, IdentifierCountries { issuing: fr, destination: fr });
        }

        #[test]
        fn parse_address_never_panics_on_arbitrary_base64_content(s in "(<[a-zA-Z:/!?-]{0,12}>|[^<]{0,8}|&[a-z#0-9]{0,5};){0,12}") {
            let _ = parse_address(&encode_base64(s.as_bytes()));
        }

        #[test]
        fn parse_date_of_birth_never_panics_on_date_like_strings(s in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Z+:0-9-]{0,7}") {
            if let Some(d) = parse_date_of_birth(&s) {
                let formatted = format_date(d);
                prop_assert_eq!(s.get(..10), Some(formatted.as_str()));
            }
        }
    }
}
