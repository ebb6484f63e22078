//! The typed natural and legal person read from raw [`Attributes`]: the consume API's
//! `person` object (DESIGN §2.1).
//!
//! Only catalog attributes are typed; unknown and representative ones stay in the raw map.
//! Single-valued attributes with several values are refused rather than picking one.
//! `LatinScript` matters only for the names (AP 2.4); on other attributes it is ignored.

use std::fmt;

use time::Date;

use super::catalog::{self as c, AttributeDef};
use super::values::{
    check_identifier_syntax, parse_address, parse_country, parse_date_of_birth, parse_gender, serialize_date, Address,
    Gender,
};
use super::{AttributeError, AttributeValue, Attributes};
use crate::saml::CountryCode;

/// A name that may come in two scripts (AP 2.4).
///
/// Several values with the same `LatinScript` flag are joined with one space, in document
/// order (FranceConnect joins several values the same way). At least one of the two is set.
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
pub struct TransliteratedName {
    /// The Latin-script value(s) (`LatinScript` absent or `true`); `None` when the proxy sent
    /// only a non-Latin value, which AP 2.4 does not allow and the claims refuse.
    pub latin: Option<String>,
    /// The original non-Latin value(s) (`LatinScript="false"`), when sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original: Option<String>,
}

/// The natural person of a Response (AP 1.4 §2.2).
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
pub struct Person {
    /// `PersonIdentifier`, verbatim (syntax checked; the countries are checked by
    /// [`super::check_person_identifier`]).
    pub person_identifier: String,
    /// `CurrentFamilyName`.
    pub family_name: TransliteratedName,
    /// `CurrentGivenName`.
    pub given_name: TransliteratedName,
    /// `DateOfBirth`, serialized `YYYY-MM-DD`.
    #[serde(serialize_with = "serialize_date")]
    pub date_of_birth: Date,
    /// `BirthName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_name: Option<TransliteratedName>,
    /// `PlaceOfBirth` (free text, not a French COG code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place_of_birth: Option<String>,
    /// `CurrentAddress`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_address: Option<Address>,
    /// `Gender`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    /// `Nationality` (AP 1.4; several allowed).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nationality: Vec<CountryCode>,
    /// `CountryOfBirth` (AP 1.4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_of_birth: Option<CountryCode>,
    /// `TownOfBirth` (AP 1.4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub town_of_birth: Option<String>,
    /// `CountryOfResidence` (AP 1.4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_of_residence: Option<CountryCode>,
    /// `PhoneNumber` (AP 1.4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// `EmailAddress` (AP 1.4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
}

/// The legal person of a Response (AP 1.4 §2.3).
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
pub struct LegalPerson {
    /// `LegalPersonIdentifier`, verbatim (same syntax as `PersonIdentifier`).
    pub legal_person_identifier: String,
    /// `LegalName`.
    pub legal_name: TransliteratedName,
    /// `LegalPersonAddress`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_person_address: Option<Address>,
    /// `VATRegistrationNumber`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_registration_number: Option<String>,
    /// `TaxReference`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tax_reference: Option<String>,
    /// `D-2012-17-EUIdentifier`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub d_2012_17_eu_identifier: Option<String>,
    /// `LEI`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lei: Option<String>,
    /// `EORI`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eori: Option<String>,
    /// `SEED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// `SIC`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sic: Option<String>,
    /// `LegalPhoneNumber` (AP 1.4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_phone_number: Option<String>,
    /// `LegalEmailAddress` (AP 1.4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_email_address: Option<String>,
}

// Personal data: `Debug` says which fields are set, never their values.
impl fmt::Debug for TransliteratedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransliteratedName")
            .field("latin", &self.latin.as_ref().map(|_| ".."))
            .field("original", &self.original.as_ref().map(|_| ".."))
            .finish()
    }
}

impl fmt::Debug for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Person").finish_non_exhaustive()
    }
}

impl fmt::Debug for LegalPerson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LegalPerson").finish_non_exhaustive()
    }
}

/// Types the natural-person attributes. The mandatory minimum data set must be present
/// (PersonIdentifier, CurrentFamilyName, CurrentGivenName, DateOfBirth); optional ones are
/// typed when present. Checks run in catalog order; the first failure is returned.
///
/// # Security
/// The identifier's syntax is checked here, but not its countries: the caller must also call
/// [`super::check_person_identifier`] with the country it asked and its own (or use
/// [`super::to_claims`], which does).
pub fn to_person(attrs: &Attributes) -> Result<Person, AttributeError> {
    let person_identifier = required(attrs, &c::PERSON_IDENTIFIER)?.to_owned();
    check_identifier_syntax(&person_identifier)?;
    let family_name = transliterated(attrs, &c::CURRENT_FAMILY_NAME)?.ok_or(missing(&c::CURRENT_FAMILY_NAME))?;
    let given_name = transliterated(attrs, &c::CURRENT_GIVEN_NAME)?.ok_or(missing(&c::CURRENT_GIVEN_NAME))?;
    let date_of_birth = typed(required(attrs, &c::DATE_OF_BIRTH)?, &c::DATE_OF_BIRTH, parse_date_of_birth)?;
    Ok(Person {
        person_identifier,
        family_name,
        given_name,
        date_of_birth,
        birth_name: transliterated(attrs, &c::BIRTH_NAME)?,
        place_of_birth: text(attrs, &c::PLACE_OF_BIRTH)?,
        current_address: single(attrs, &c::CURRENT_ADDRESS)?.map(parse_address),
        gender: single(attrs, &c::GENDER)?.map(|v| typed(v, &c::GENDER, parse_gender)).transpose()?,
        nationality: attrs
            .get(c::NATIONALITY.name)
            .iter()
            .map(|v| typed(&v.value, &c::NATIONALITY, parse_country))
            .collect::<Result<_, _>>()?,
        country_of_birth: country(attrs, &c::COUNTRY_OF_BIRTH)?,
        town_of_birth: text(attrs, &c::TOWN_OF_BIRTH)?,
        country_of_residence: country(attrs, &c::COUNTRY_OF_RESIDENCE)?,
        phone_number: text(attrs, &c::PHONE_NUMBER)?,
        email_address: text(attrs, &c::EMAIL_ADDRESS)?,
    })
}

/// Types the legal-person attributes; LegalPersonIdentifier and LegalName must be present.
pub fn to_legal_person(attrs: &Attributes) -> Result<LegalPerson, AttributeError> {
    let legal_person_identifier = required(attrs, &c::LEGAL_PERSON_IDENTIFIER)?.to_owned();
    check_identifier_syntax(&legal_person_identifier)?;
    let legal_name = transliterated(attrs, &c::LEGAL_NAME)?.ok_or(missing(&c::LEGAL_NAME))?;
    Ok(LegalPerson {
        legal_person_identifier,
        legal_name,
        legal_person_address: single(attrs, &c::LEGAL_PERSON_ADDRESS)?.map(parse_address),
        vat_registration_number: text(attrs, &c::VAT_REGISTRATION_NUMBER)?,
        tax_reference: text(attrs, &c::TAX_REFERENCE)?,
        d_2012_17_eu_identifier: text(attrs, &c::D_2012_17_EU_IDENTIFIER)?,
        lei: text(attrs, &c::LEI)?,
        eori: text(attrs, &c::EORI)?,
        seed: text(attrs, &c::SEED)?,
        sic: text(attrs, &c::SIC)?,
        legal_phone_number: text(attrs, &c::LEGAL_PHONE_NUMBER)?,
        legal_email_address: text(attrs, &c::LEGAL_EMAIL_ADDRESS)?,
    })
}

fn missing(def: &'static AttributeDef) -> AttributeError {
    AttributeError::Missing(def.friendly_name)
}

/// The one value of a single-valued attribute; several values are refused, never chosen
/// between (a second PersonIdentifier must not be silently ignored).
fn single<'a>(attrs: &'a Attributes, def: &'static AttributeDef) -> Result<Option<&'a str>, AttributeError> {
    match attrs.get(def.name) {
        [] => Ok(None),
        [one] => Ok(Some(one.value.as_str())),
        _ => Err(AttributeError::MultipleValues(def.friendly_name)),
    }
}

fn required<'a>(attrs: &'a Attributes, def: &'static AttributeDef) -> Result<&'a str, AttributeError> {
    single(attrs, def)?.ok_or(missing(def))
}

fn text(attrs: &Attributes, def: &'static AttributeDef) -> Result<Option<String>, AttributeError> {
    Ok(single(attrs, def)?.map(str::to_owned))
}

fn country(attrs: &Attributes, def: &'static AttributeDef) -> Result<Option<CountryCode>, AttributeError> {
    single(attrs, def)?.map(|v| typed(v, def, parse_country)).transpose()
}

fn typed<T>(value: &str, def: &'static AttributeDef, parse: fn(&str) -> Option<T>) -> Result<T, AttributeError> {
    parse(value).ok_or(AttributeError::InvalidValue(def.friendly_name))
}

/// AP 2.4: values flagged `LatinScript="false"` are the original; the others are Latin.
fn transliterated(
    attrs: &Attributes,
    def: &'static AttributeDef,
) -> Result<Option<TransliteratedName>, AttributeError> {
    let values = attrs.get(def.name);
    if values.is_empty() {
        return Ok(None);
    }
    let join = |latin: bool| {
        let parts: Vec<&str> =
            values.iter().filter(|v| v.latin_script == latin).map(|v: &AttributeValue| v.value.as_str()).collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    };
    Ok(Some(TransliteratedName { latin: join(true), original: join(false) }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlsec::encode_base64;
    use time::macros::date;

    const N: &str = "http://eidas.europa.eu/attributes/naturalperson/";
    const L: &str = "http://eidas.europa.eu/attributes/legalperson/";

    fn attrs(values: &[(&str, &str, bool)]) -> Attributes {
        let mut a = Attributes::default();
        for (name, value, latin) in values {
            a.push(&format!("{N}{name}"), value, *latin);
        }
        a
    }

    fn mds() -> Vec<(&'static str, &'static str, bool)> {
        vec![
            ("PersonIdentifier", "ES/FR/02635542Y", true),
            ("CurrentFamilyName", "Garcia", true),
            ("CurrentGivenName", "javier", true),
            ("DateOfBirth", "1964-12-31", true),
        ]
    }

    #[test]
    fn to_person_reads_the_minimum_data_set_of_the_cef_sample() {
        let p = to_person(&attrs(&mds())).unwrap();
        assert_eq!(p.person_identifier, "ES/FR/02635542Y");
        assert_eq!(p.family_name, TransliteratedName { latin: Some("Garcia".into()), original: None });
        assert_eq!(p.given_name.latin.as_deref(), Some("javier"));
        assert_eq!(p.date_of_birth, date!(1964 - 12 - 31));
        assert_eq!(p.gender, None);
        assert!(p.nationality.is_empty());
    }

    #[test]
    fn to_person_reports_each_missing_mandatory_attribute_by_friendly_name() {
        for (drop, friendly) in [
            ("PersonIdentifier", "PersonIdentifier"),
            ("CurrentFamilyName", "FamilyName"),
            ("CurrentGivenName", "FirstName"),
            ("DateOfBirth", "DateOfBirth"),
        ] {
            let values: Vec<_> = mds().into_iter().filter(|(n, _, _)| *n != drop).collect();
            assert_eq!(to_person(&attrs(&values)), Err(AttributeError::Missing(friendly)), "{drop}");
        }
    }

    #[test]
    fn to_person_keeps_the_greek_original_beside_the_latin_transliteration() {
        let mut v = mds();
        v.retain(|(n, _, _)| *n != "CurrentFamilyName");
        v.extend([("CurrentFamilyName", "Ελληνικά", false), ("CurrentFamilyName", "Ellinika", true)]);
        let p = to_person(&attrs(&v)).unwrap();
        assert_eq!(
            p.family_name,
            TransliteratedName { latin: Some("Ellinika".into()), original: Some("Ελληνικά".into()) }
        );
    }

    #[test]
    fn to_person_keeps_a_name_sent_only_in_non_latin_script_without_latin_value() {
        let mut v = mds();
        v.retain(|(n, _, _)| *n != "CurrentGivenName");
        v.push(("CurrentGivenName", "Αλέξανδρος", false));
        let p = to_person(&attrs(&v)).unwrap();
        assert_eq!(p.given_name, TransliteratedName { latin: None, original: Some("Αλέξανδρος".into()) });
    }

    #[test]
    fn to_person_joins_several_latin_given_names_with_a_space() {
        let mut v = mds();
        v.retain(|(n, _, _)| *n != "CurrentGivenName");
        v.extend([("CurrentGivenName", "Jean", true), ("CurrentGivenName", "Paul", true)]);
        assert_eq!(to_person(&attrs(&v)).unwrap().given_name.latin.as_deref(), Some("Jean Paul"));
    }

    #[test]
    fn to_person_refuses_two_person_identifiers_or_two_dates() {
        let mut v = mds();
        v.push(("PersonIdentifier", "ES/FR/other", true));
        assert_eq!(to_person(&attrs(&v)), Err(AttributeError::MultipleValues("PersonIdentifier")));
        let mut v = mds();
        v.push(("DateOfBirth", "1964-12-30", true));
        assert_eq!(to_person(&attrs(&v)), Err(AttributeError::MultipleValues("DateOfBirth")));
    }

    #[test]
    fn to_person_refuses_a_malformed_identifier_before_anything_else() {
        let mut v = mds();
        v[0].1 = "ES FR 1";
        assert_eq!(to_person(&attrs(&v)), Err(AttributeError::IdentifierWhitespace));
    }

    #[test]
    fn to_person_refuses_invalid_dates_genders_and_countries() {
        for (name, value, friendly) in [
            ("DateOfBirth", "1964-02-30", "DateOfBirth"),
            ("Gender", "M", "Gender"),
            ("Nationality", "GRC", "Nationality"),
            ("CountryOfBirth", "fr", "CountryOfBirth"),
            ("CountryOfResidence", "", "CountryOfResidence"),
        ] {
            let mut v = mds();
            v.retain(|(n, _, _)| *n != name);
            v.push((name, value, true));
            assert_eq!(to_person(&attrs(&v)), Err(AttributeError::InvalidValue(friendly)), "{name}={value}");
        }
    }

    #[test]
    fn to_person_types_every_optional_natural_attribute() {
        let addr = encode_base64(b"<eidas-natural:PostCode>1040</eidas-natural:PostCode>");
        let mut v = mds();
        v.extend([
            ("BirthName", "Maria Garcia Lopez", true),
            ("PlaceOfBirth", "Sevilla", true),
            ("CurrentAddress", addr.as_str(), true),
            ("Gender", "NotSpecified", true),
            ("Nationality", "ES", true),
            ("Nationality", "FR", true),
            ("CountryOfBirth", "ES", true),
            ("TownOfBirth", "Sevilla", true),
            ("CountryOfResidence", "BE", true),
            ("PhoneNumber", "+34912739000", true),
            ("EmailAddress", "a@example.es", true),
        ]);
        let p = to_person(&attrs(&v)).unwrap();
        assert_eq!(p.birth_name.unwrap().latin.as_deref(), Some("Maria Garcia Lopez"));
        assert_eq!(p.place_of_birth.as_deref(), Some("Sevilla"));
        let Some(Address::Structured(a)) = p.current_address else { panic!() };
        assert_eq!(a.post_code.as_deref(), Some("1040"));
        assert_eq!(p.gender, Some(Gender::Unspecified));
        assert_eq!(p.nationality.iter().map(|c| c.as_str()).collect::<Vec<_>>(), ["ES", "FR"]);
        assert_eq!(p.country_of_birth.map(|c| c.to_string()).as_deref(), Some("ES"));
        assert_eq!(p.town_of_birth.as_deref(), Some("Sevilla"));
        assert_eq!(p.country_of_residence.map(|c| c.to_string()).as_deref(), Some("BE"));
        assert_eq!(p.phone_number.as_deref(), Some("+34912739000"));
        assert_eq!(p.email_address.as_deref(), Some("a@example.es"));
    }

    #[test]
    fn person_serializes_dates_as_yyyy_mm_dd_and_omits_absent_fields() {
        let mut v = mds();
        v.extend([("Gender", "Female", true), ("CurrentFamilyName", "Γκαρσία", false)]);
        let json = serde_json::to_value(to_person(&attrs(&v)).unwrap()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "person_identifier": "ES/FR/02635542Y",
                "family_name": {"latin": "Garcia", "original": "Γκαρσία"},
                "given_name": {"latin": "javier"},
                "date_of_birth": "1964-12-31",
                "gender": "female"
            })
        );
    }

    #[test]
    fn to_legal_person_reads_the_legal_minimum_data_set_and_optional_ones() {
        let mut a = Attributes::default();
        a.push(&format!("{L}LegalPersonIdentifier"), "CA/CA/125457487Company", true);
        a.push(&format!("{L}LegalName"), "Current Legal Name", true);
        a.push(&format!("{L}LEI"), "529900T8BM49AURSDO55", true);
        a.push(&format!("{L}LegalPersonAddress"), "not base64 at all", true);
        let p = to_legal_person(&a).unwrap();
        assert_eq!(p.legal_person_identifier, "CA/CA/125457487Company");
        assert_eq!(p.legal_name.latin.as_deref(), Some("Current Legal Name"));
        assert_eq!(p.lei.as_deref(), Some("529900T8BM49AURSDO55"));
        assert_eq!(p.legal_person_address, Some(Address::FreeText("not base64 at all".into())));
    }

    #[test]
    fn to_legal_person_reports_a_missing_legal_name() {
        let mut a = Attributes::default();
        a.push(&format!("{L}LegalPersonIdentifier"), "CA/CA/1", true);
        assert_eq!(to_legal_person(&a), Err(AttributeError::Missing("LegalName")));
        assert_eq!(to_legal_person(&Attributes::default()), Err(AttributeError::Missing("LegalPersonIdentifier")));
    }
}
