//! The eIDAS attribute catalog: every natural- and legal-person attribute of the SAML
//! Attribute Profile 1.4 (`reference/eidas-spec.md` §3.1, §3.2), with its minimum-data-set
//! membership and value type.
//!
//! Static data and look-ups only. Representative attributes (AP 2.8) are recognised by
//! their name prefix and deliberately left out of the catalog.

use crate::saml::{NS_EIDAS_LEGAL, NS_EIDAS_NATURAL};

/// Whose attribute: a natural or a legal person (never both in one request, MF 1.4 §2.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PersonKind {
    /// `http://eidas.europa.eu/attributes/naturalperson/…`.
    Natural,
    /// `http://eidas.europa.eu/attributes/legalperson/…`.
    Legal,
}

/// How an attribute's values are read into typed data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// A unique identifier `CC/DD/…` (AP 2.5): at most 256 characters, no whitespace.
    Identifier,
    /// A string that may come with a second, non-Latin value flagged `LatinScript="false"`
    /// (AP 2.4).
    Transliterable,
    /// Free text.
    Text,
    /// `xsd:date`, `YYYY-MM-DD`.
    Date,
    /// `Male` | `Female` | `Unspecified`.
    Gender,
    /// base64 of a structured address fragment (AP 2.2.9, `reference/eidas-spec.md` §3.3).
    Address,
    /// ISO 3166-1 alpha-2 (`EL` for Greece).
    Country,
}

/// One attribute of the profile.
#[derive(Debug, PartialEq, Eq)]
pub struct AttributeDef {
    /// The `Name` URI.
    pub name: &'static str,
    /// The `FriendlyName`.
    pub friendly_name: &'static str,
    /// Natural or legal person.
    pub kind: PersonKind,
    /// Mandatory in the minimum data set: always requested with `isRequired="true"`.
    pub mandatory: bool,
    /// Part of the minimum data set (mandatory or optional) of the eIDAS implementing
    /// regulation 2015/1501; the AP 1.4 additions are not.
    pub minimum_data_set: bool,
    /// How the values are read.
    pub value_type: ValueType,
    /// More than one value may be sent (besides a transliteration).
    pub multi_valued: bool,
}

const fn def(
    name: &'static str,
    friendly_name: &'static str,
    kind: PersonKind,
    mandatory: bool,
    minimum_data_set: bool,
    value_type: ValueType,
) -> AttributeDef {
    AttributeDef { name, friendly_name, kind, mandatory, minimum_data_set, value_type, multi_valued: false }
}

use PersonKind::{Legal, Natural};
use ValueType::{Address, Country, Date, Gender, Identifier, Text, Transliterable};

/// `PersonIdentifier` (mandatory).
pub static PERSON_IDENTIFIER: AttributeDef = def(
    "http://eidas.europa.eu/attributes/naturalperson/PersonIdentifier",
    "PersonIdentifier",
    Natural,
    true,
    true,
    Identifier,
);
/// `CurrentFamilyName`, friendly name `FamilyName` (mandatory).
pub static CURRENT_FAMILY_NAME: AttributeDef = def(
    "http://eidas.europa.eu/attributes/naturalperson/CurrentFamilyName",
    "FamilyName",
    Natural,
    true,
    true,
    Transliterable,
);
/// `CurrentGivenName`, friendly name `FirstName` (mandatory; all given names in one value).
pub static CURRENT_GIVEN_NAME: AttributeDef = def(
    "http://eidas.europa.eu/attributes/naturalperson/CurrentGivenName",
    "FirstName",
    Natural,
    true,
    true,
    Transliterable,
);
/// `DateOfBirth` (mandatory).
pub static DATE_OF_BIRTH: AttributeDef =
    def("http://eidas.europa.eu/attributes/naturalperson/DateOfBirth", "DateOfBirth", Natural, true, true, Date);
/// `BirthName`: first and family names at birth, one string.
pub static BIRTH_NAME: AttributeDef =
    def("http://eidas.europa.eu/attributes/naturalperson/BirthName", "BirthName", Natural, false, true, Transliterable);
/// `PlaceOfBirth`: free text.
pub static PLACE_OF_BIRTH: AttributeDef =
    def("http://eidas.europa.eu/attributes/naturalperson/PlaceOfBirth", "PlaceOfBirth", Natural, false, true, Text);
/// `CurrentAddress`: base64 structured address.
pub static CURRENT_ADDRESS: AttributeDef = def(
    "http://eidas.europa.eu/attributes/naturalperson/CurrentAddress",
    "CurrentAddress",
    Natural,
    false,
    true,
    Address,
);
/// `Gender`.
pub static GENDER: AttributeDef =
    def("http://eidas.europa.eu/attributes/naturalperson/Gender", "Gender", Natural, false, true, Gender);
/// `Nationality` (AP 1.4; multi-valued).
pub static NATIONALITY: AttributeDef = AttributeDef {
    multi_valued: true,
    ..def("http://eidas.europa.eu/attributes/naturalperson/Nationality", "Nationality", Natural, false, false, Country)
};
/// `CountryOfBirth` (AP 1.4).
pub static COUNTRY_OF_BIRTH: AttributeDef = def(
    "http://eidas.europa.eu/attributes/naturalperson/CountryOfBirth",
    "CountryOfBirth",
    Natural,
    false,
    false,
    Country,
);
/// `TownOfBirth` (AP 1.4).
pub static TOWN_OF_BIRTH: AttributeDef =
    def("http://eidas.europa.eu/attributes/naturalperson/TownOfBirth", "TownOfBirth", Natural, false, false, Text);
/// `CountryOfResidence` (AP 1.4).
pub static COUNTRY_OF_RESIDENCE: AttributeDef = def(
    "http://eidas.europa.eu/attributes/naturalperson/CountryOfResidence",
    "CountryOfResidence",
    Natural,
    false,
    false,
    Country,
);
/// `PhoneNumber` (AP 1.4; E.164).
pub static PHONE_NUMBER: AttributeDef =
    def("http://eidas.europa.eu/attributes/naturalperson/PhoneNumber", "PhoneNumber", Natural, false, false, Text);
/// `EmailAddress` (AP 1.4).
pub static EMAIL_ADDRESS: AttributeDef =
    def("http://eidas.europa.eu/attributes/naturalperson/EmailAddress", "EmailAddress", Natural, false, false, Text);

/// `LegalPersonIdentifier` (mandatory).
pub static LEGAL_PERSON_IDENTIFIER: AttributeDef = def(
    "http://eidas.europa.eu/attributes/legalperson/LegalPersonIdentifier",
    "LegalPersonIdentifier",
    Legal,
    true,
    true,
    Identifier,
);
/// `LegalName` (mandatory).
pub static LEGAL_NAME: AttributeDef =
    def("http://eidas.europa.eu/attributes/legalperson/LegalName", "LegalName", Legal, true, true, Transliterable);
/// `LegalPersonAddress`, friendly name `LegalAddress`.
pub static LEGAL_PERSON_ADDRESS: AttributeDef = def(
    "http://eidas.europa.eu/attributes/legalperson/LegalPersonAddress",
    "LegalAddress",
    Legal,
    false,
    true,
    Address,
);
/// `VATRegistrationNumber`, friendly name `VATRegistration`.
pub static VAT_REGISTRATION_NUMBER: AttributeDef = def(
    "http://eidas.europa.eu/attributes/legalperson/VATRegistrationNumber",
    "VATRegistration",
    Legal,
    false,
    true,
    Text,
);
/// `TaxReference`.
pub static TAX_REFERENCE: AttributeDef =
    def("http://eidas.europa.eu/attributes/legalperson/TaxReference", "TaxReference", Legal, false, true, Text);
/// `D-2012-17-EUIdentifier` (the AP table's "BusinessCodes").
pub static D_2012_17_EU_IDENTIFIER: AttributeDef = def(
    "http://eidas.europa.eu/attributes/legalperson/D-2012-17-EUIdentifier",
    "D-2012-17-EUIdentifier",
    Legal,
    false,
    true,
    Text,
);
/// `LEI`.
pub static LEI: AttributeDef =
    def("http://eidas.europa.eu/attributes/legalperson/LEI", "LEI", Legal, false, true, Text);
/// `EORI`.
pub static EORI: AttributeDef =
    def("http://eidas.europa.eu/attributes/legalperson/EORI", "EORI", Legal, false, true, Text);
/// `SEED`.
pub static SEED: AttributeDef =
    def("http://eidas.europa.eu/attributes/legalperson/SEED", "SEED", Legal, false, true, Text);
/// `SIC`.
pub static SIC: AttributeDef =
    def("http://eidas.europa.eu/attributes/legalperson/SIC", "SIC", Legal, false, true, Text);
/// `LegalPhoneNumber` (AP 1.4).
pub static LEGAL_PHONE_NUMBER: AttributeDef = def(
    "http://eidas.europa.eu/attributes/legalperson/LegalPhoneNumber",
    "LegalPhoneNumber",
    Legal,
    false,
    false,
    Text,
);
/// `LegalEmailAddress` (AP 1.4).
pub static LEGAL_EMAIL_ADDRESS: AttributeDef = def(
    "http://eidas.europa.eu/attributes/legalperson/LegalEmailAddress",
    "LegalEmailAddress",
    Legal,
    false,
    false,
    Text,
);

static CATALOG: [&AttributeDef; 26] = [
    &PERSON_IDENTIFIER,
    &CURRENT_FAMILY_NAME,
    &CURRENT_GIVEN_NAME,
    &DATE_OF_BIRTH,
    &BIRTH_NAME,
    &PLACE_OF_BIRTH,
    &CURRENT_ADDRESS,
    &GENDER,
    &NATIONALITY,
    &COUNTRY_OF_BIRTH,
    &TOWN_OF_BIRTH,
    &COUNTRY_OF_RESIDENCE,
    &PHONE_NUMBER,
    &EMAIL_ADDRESS,
    &LEGAL_PERSON_IDENTIFIER,
    &LEGAL_NAME,
    &LEGAL_PERSON_ADDRESS,
    &VAT_REGISTRATION_NUMBER,
    &TAX_REFERENCE,
    &D_2012_17_EU_IDENTIFIER,
    &LEI,
    &EORI,
    &SEED,
    &SIC,
    &LEGAL_PHONE_NUMBER,
    &LEGAL_EMAIL_ADDRESS,
];

/// Other names found for catalog entries in the AP tables and in hub requests.
const ALIASES: [(&str, &AttributeDef); 1] = [("BusinessCodes", &D_2012_17_EU_IDENTIFIER)];

/// Every attribute of the catalog, natural person first, in AP table order.
pub fn all() -> impl Iterator<Item = &'static AttributeDef> {
    CATALOG.iter().copied()
}

/// The attribute whose `Name` URI is exactly `uri`.
pub fn by_name(uri: &str) -> Option<&'static AttributeDef> {
    all().find(|d| d.name == uri)
}

/// The attribute known by `name`: its `FriendlyName` (`FamilyName`), else the last segment
/// of its `Name` URI (`CurrentFamilyName`, as hubs write it), else an AP alias
/// (`BusinessCodes`). Case-sensitive; the three sets do not collide.
pub fn by_friendly_name(name: &str) -> Option<&'static AttributeDef> {
    all()
        .find(|d| d.friendly_name == name)
        .or_else(|| all().find(|d| d.name.rsplit('/').next() == Some(name)))
        .or_else(|| ALIASES.iter().find(|(alias, _)| *alias == name).map(|(_, d)| *d))
}

/// The minimum data set of `kind`, mandatory and optional members (filter on
/// [`AttributeDef::mandatory`] for the part that must be requested).
pub fn minimum_data_set(kind: PersonKind) -> impl Iterator<Item = &'static AttributeDef> {
    all().filter(move |d| d.kind == kind && d.minimum_data_set)
}

/// True for a representative attribute (AP 2.8): `…/naturalperson/representative/…` or
/// `…/legalperson/representative/…`. These are never requested, may arrive unasked, and
/// must be refused while representation is not supported (`reference/eidas-spec.md` fact 22).
pub fn is_representative(uri: &str) -> bool {
    [NS_EIDAS_NATURAL, NS_EIDAS_LEGAL]
        .iter()
        .any(|ns| uri.strip_prefix(ns).and_then(|r| r.strip_prefix("/representative/")).is_some_and(|r| !r.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: &str = "http://eidas.europa.eu/attributes/naturalperson/";
    const L: &str = "http://eidas.europa.eu/attributes/legalperson/";

    /// (Name suffix, FriendlyName, kind, mandatory, in the MDS, value type, multi-valued),
    /// transcribed from `reference/eidas-spec.md` §3.1–3.2.
    #[allow(clippy::type_complexity)]
    const TABLE: [(&str, &str, PersonKind, bool, bool, ValueType, bool); 26] = [
        ("PersonIdentifier", "PersonIdentifier", Natural, true, true, Identifier, false),
        ("CurrentFamilyName", "FamilyName", Natural, true, true, Transliterable, false),
        ("CurrentGivenName", "FirstName", Natural, true, true, Transliterable, false),
        ("DateOfBirth", "DateOfBirth", Natural, true, true, Date, false),
        ("BirthName", "BirthName", Natural, false, true, Transliterable, false),
        ("PlaceOfBirth", "PlaceOfBirth", Natural, false, true, Text, false),
        ("CurrentAddress", "CurrentAddress", Natural, false, true, Address, false),
        ("Gender", "Gender", Natural, false, true, Gender, false),
        ("Nationality", "Nationality", Natural, false, false, Country, true),
        ("CountryOfBirth", "CountryOfBirth", Natural, false, false, Country, false),
        ("TownOfBirth", "TownOfBirth", Natural, false, false, Text, false),
        ("CountryOfResidence", "CountryOfResidence", Natural, false, false, Country, false),
        ("PhoneNumber", "PhoneNumber", Natural, false, false, Text, false),
        ("EmailAddress", "EmailAddress", Natural, false, false, Text, false),
        ("LegalPersonIdentifier", "LegalPersonIdentifier", Legal, true, true, Identifier, false),
        ("LegalName", "LegalName", Legal, true, true, Transliterable, false),
        ("LegalPersonAddress", "LegalAddress", Legal, false, true, Address, false),
        ("VATRegistrationNumber", "VATRegistration", Legal, false, true, Text, false),
        ("TaxReference", "TaxReference", Legal, false, true, Text, false),
        ("D-2012-17-EUIdentifier", "D-2012-17-EUIdentifier", Legal, false, true, Text, false),
        ("LEI", "LEI", Legal, false, true, Text, false),
        ("EORI", "EORI", Legal, false, true, Text, false),
        ("SEED", "SEED", Legal, false, true, Text, false),
        ("SIC", "SIC", Legal, false, true, Text, false),
        ("LegalPhoneNumber", "LegalPhoneNumber", Legal, false, false, Text, false),
        ("LegalEmailAddress", "LegalEmailAddress", Legal, false, false, Text, false),
    ];

    #[test]
    fn catalog_matches_the_attribute_profile_table_for_every_attribute() {
        assert_eq!(all().count(), TABLE.len());
        for (suffix, friendly, kind, mandatory, mds, vt, multi) in TABLE {
            let prefix = if kind == Natural { N } else { L };
            let uri = format!("{prefix}{suffix}");
            let d = by_name(&uri).unwrap_or_else(|| panic!("{uri} missing"));
            assert_eq!(d.friendly_name, friendly, "{uri}");
            assert_eq!(d.kind, kind, "{uri}");
            assert_eq!(d.mandatory, mandatory, "{uri}");
            assert_eq!(d.minimum_data_set, mds, "{uri}");
            assert_eq!(d.value_type, vt, "{uri}");
            assert_eq!(d.multi_valued, multi, "{uri}");
            assert!(std::ptr::eq(by_friendly_name(friendly).unwrap(), d), "{friendly}");
            assert!(std::ptr::eq(by_friendly_name(suffix).unwrap(), d), "{suffix}");
            assert!(!is_representative(&uri));
        }
    }

    #[test]
    fn catalog_names_are_unique_and_in_the_type_namespaces() {
        let mut names: Vec<_> = all().map(|d| d.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all().count());
        for d in all() {
            let ns = if d.kind == Natural { NS_EIDAS_NATURAL } else { NS_EIDAS_LEGAL };
            assert!(d.name.starts_with(&format!("{ns}/")), "{}", d.name);
        }
    }

    #[test]
    fn by_name_returns_none_when_the_uri_is_unknown_or_differs_in_case() {
        assert!(by_name("http://eidas.europa.eu/attributes/naturalperson/personidentifier").is_none());
        assert!(by_name("PersonIdentifier").is_none());
        assert!(by_name(&format!("{N}PersonIdentifier ")).is_none());
        assert!(by_name("http://e-justice.europa.eu/attributes/naturalperson/eJusticeNaturalPersonRole").is_none());
    }

    #[test]
    fn by_friendly_name_accepts_the_business_codes_alias_and_refuses_unknown_names() {
        assert!(std::ptr::eq(by_friendly_name("BusinessCodes").unwrap(), &D_2012_17_EU_IDENTIFIER));
        assert!(by_friendly_name("familyname").is_none());
        assert!(by_friendly_name("RepresentativePersonIdentifier").is_none());
        assert!(by_friendly_name("").is_none());
    }

    #[test]
    fn minimum_data_set_lists_four_mandatory_and_four_optional_natural_attributes() {
        let mds: Vec<_> = minimum_data_set(Natural).map(|d| d.friendly_name).collect();
        assert_eq!(
            mds,
            [
                "PersonIdentifier",
                "FamilyName",
                "FirstName",
                "DateOfBirth",
                "BirthName",
                "PlaceOfBirth",
                "CurrentAddress",
                "Gender"
            ]
        );
        let mandatory: Vec<_> = minimum_data_set(Natural).filter(|d| d.mandatory).map(|d| d.friendly_name).collect();
        assert_eq!(mandatory, ["PersonIdentifier", "FamilyName", "FirstName", "DateOfBirth"]);
    }

    #[test]
    fn minimum_data_set_of_a_legal_person_has_identifier_and_name_mandatory() {
        let mandatory: Vec<_> = minimum_data_set(Legal).filter(|d| d.mandatory).map(|d| d.friendly_name).collect();
        assert_eq!(mandatory, ["LegalPersonIdentifier", "LegalName"]);
        assert_eq!(minimum_data_set(Legal).count(), 10);
        assert!(minimum_data_set(Legal).all(|d| d.kind == Legal));
    }

    #[test]
    fn is_representative_recognises_both_prefixes_only() {
        assert!(is_representative(&format!("{N}representative/PersonIdentifier")));
        assert!(is_representative(&format!("{L}representative/LegalName")));
        assert!(!is_representative(&format!("{N}representative/")));
        assert!(!is_representative(&format!("{N}PersonIdentifier")));
        assert!(!is_representative("http://example.org/naturalperson/representative/PersonIdentifier"));
        assert!(!is_representative(&format!("{N}Representative/PersonIdentifier")));
    }
}
