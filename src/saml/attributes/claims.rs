//! The OIDC claims handed to the hub (`reference/franceconnect.md` §3b, DESIGN §2.1): the
//! FranceConnect mapping, minus its quirks (no `low`, no mixed scripts).
//!
//! The hub computes the pairwise `sub` from `sub_source`; nothing here does.

use std::fmt;

use time::Date;

use super::values::{check_person_identifier, serialize_date, IdentifierCountries};
use super::{AttributeError, Person};
use crate::saml::LevelOfAssurance;

/// FranceConnect's limit on `given_name` and `family_name` (bridge identity DTO: 1–256).
pub const MAX_NAME_CLAIM_CHARS: usize = 256;

/// The `amr` of every eIDAS login (FranceConnect's IdP record).
pub const AMR_EIDAS: &[&str] = &["eidas"];

/// The FranceConnect+ `acr` of an eIDAS level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Acr {
    /// `eidas2`: LoA substantial.
    Eidas2,
    /// `eidas3`: LoA high.
    Eidas3,
}

impl Acr {
    /// The claim value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eidas2 => "eidas2",
            Self::Eidas3 => "eidas3",
        }
    }
}

/// The mapped identity. Serializes as the consume API's `claims` object; `acr` and `amr` are
/// not part of it (DESIGN §2.1 puts them beside `claims`): read them from the fields.
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
pub struct Claims {
    /// The raw `PersonIdentifier`, input of the hub's pairwise `sub`.
    pub sub_source: String,
    /// Latin-script `CurrentGivenName` (several values joined with a space).
    pub given_name: String,
    /// Latin-script `CurrentFamilyName`.
    pub family_name: String,
    /// `DateOfBirth`, `YYYY-MM-DD`.
    #[serde(serialize_with = "serialize_date")]
    pub birthdate: Date,
    /// `male` | `female` | `unspecified`; absent when Gender was not sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<&'static str>,
    /// `PlaceOfBirth`, free text (not a COG code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthplace: Option<String>,
    /// The family name again, as FranceConnect does today (`reference/franceconnect.md` §3b).
    pub preferred_username: String,
    /// From the LoA: substantial → `eidas2`, high → `eidas3`.
    #[serde(skip)]
    pub acr: Acr,
    /// Always [`AMR_EIDAS`].
    #[serde(skip)]
    pub amr: &'static [&'static str],
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Personal data: only the non-personal fields.
        f.debug_struct("Claims").field("acr", &self.acr).field("amr", &self.amr).finish_non_exhaustive()
    }
}

/// Maps a natural person to the hub's claims.
///
/// Refuses, in this order: LoA `low` (never accepted on the FranceConnect+ path), an
/// identifier not of the form `countries.issuing/countries.destination/…` or not ASCII (the
/// hub's `sub` validation), a given or
/// family name without a Latin-script value (AP 2.4 requires one; the hub needs one), a name
/// longer than the hub accepts.
pub fn to_claims(
    person: &Person,
    loa: LevelOfAssurance,
    countries: IdentifierCountries,
) -> Result<Claims, AttributeError> {
    let acr = match loa {
        // DESIGN §1 step 5; franceconnect.md §2.11 quirk 1 (FC maps low to eidas2).
        LevelOfAssurance::Low => return Err(AttributeError::LoaTooLow),
        LevelOfAssurance::Substantial => Acr::Eidas2,
        LevelOfAssurance::High => Acr::Eidas3,
    };
    check_person_identifier(&person.person_identifier, countries)?;
    // FranceConnect min-identity DTO: `sub` is ASCII only.
    if !person.person_identifier.is_ascii() {
        return Err(AttributeError::IdentifierNotAscii);
    }
    let given_name = latin(person.given_name.latin.as_deref(), "FirstName")?;
    let family_name = latin(person.family_name.latin.as_deref(), "FamilyName")?;
    Ok(Claims {
        sub_source: person.person_identifier.clone(),
        preferred_username: family_name.clone(),
        given_name,
        family_name,
        birthdate: person.date_of_birth,
        gender: person.gender.map(|g| g.oidc()),
        birthplace: person.place_of_birth.clone(),
        acr,
        amr: AMR_EIDAS,
    })
}

fn latin(value: Option<&str>, friendly: &'static str) -> Result<String, AttributeError> {
    let v = value.ok_or(AttributeError::NoLatinScript(friendly))?;
    if v.chars().count() > MAX_NAME_CLAIM_CHARS {
        return Err(AttributeError::ClaimTooLong(friendly));
    }
    Ok(v.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::saml::attributes::{Gender, TransliteratedName};
    use crate::saml::CountryCode;
    use time::macros::date;

    fn person() -> Person {
        Person {
            person_identifier: "EL/FR/12345".into(),
            family_name: TransliteratedName { latin: Some("Onasis".into()), original: Some("Ωνάσης".into()) },
            given_name: TransliteratedName { latin: Some("Aristotelis Sokratis".into()), original: None },
            date_of_birth: date!(1906 - 01 - 15),
            birth_name: None,
            place_of_birth: Some("Smyrna".into()),
            current_address: None,
            gender: Some(Gender::Male),
            nationality: Vec::new(),
            country_of_birth: None,
            town_of_birth: None,
            country_of_residence: None,
            phone_number: None,
            email_address: None,
        }
    }

    /// Issued by Greece, for France.
    fn el() -> IdentifierCountries {
        IdentifierCountries {
            issuing: CountryCode::parse("EL").unwrap(),
            destination: CountryCode::parse("FR").unwrap(),
        }
    }

    #[test]
    fn to_claims_maps_substantial_to_eidas2_with_latin_names() {
        let c = to_claims(&person(), LevelOfAssurance::Substantial, el()).unwrap();
        assert_eq!(c.acr, Acr::Eidas2);
        assert_eq!(c.amr, ["eidas"]);
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            serde_json::json!({
                "sub_source": "EL/FR/12345",
                "given_name": "Aristotelis Sokratis",
                "family_name": "Onasis",
                "birthdate": "1906-01-15",
                "gender": "male",
                "birthplace": "Smyrna",
                "preferred_username": "Onasis"
            })
        );
    }

    #[test]
    fn to_claims_maps_high_to_eidas3() {
        let c = to_claims(&person(), LevelOfAssurance::High, el()).unwrap();
        assert_eq!(c.acr, Acr::Eidas3);
        assert_eq!(serde_json::to_value(c.acr).unwrap(), "eidas3");
    }

    #[test]
    fn to_claims_refuses_low() {
        assert_eq!(to_claims(&person(), LevelOfAssurance::Low, el()), Err(AttributeError::LoaTooLow));
    }

    #[test]
    fn to_claims_keeps_unspecified_gender_and_omits_absent_optional_claims() {
        let mut p = person();
        p.gender = Some(Gender::Unspecified);
        assert_eq!(to_claims(&p, LevelOfAssurance::High, el()).unwrap().gender, Some("unspecified"));
        p.gender = None;
        p.place_of_birth = None;
        let json = serde_json::to_value(to_claims(&p, LevelOfAssurance::High, el()).unwrap()).unwrap();
        assert!(json.get("gender").is_none());
        assert!(json.get("birthplace").is_none());
    }

    #[test]
    fn to_claims_refuses_an_identifier_of_another_country() {
        assert_eq!(
            to_claims(
                &person(),
                LevelOfAssurance::High,
                IdentifierCountries { issuing: CountryCode::parse("CY").unwrap(), ..el() }
            ),
            Err(AttributeError::IdentifierCountryMismatch)
        );
    }

    #[test]
    fn to_claims_refuses_an_identifier_made_for_another_destination() {
        let de = IdentifierCountries { destination: CountryCode::parse("DE").unwrap(), ..el() };
        assert_eq!(
            to_claims(&person(), LevelOfAssurance::High, de),
            Err(AttributeError::IdentifierDestinationMismatch)
        );
    }

    #[test]
    fn to_claims_refuses_a_non_ascii_identifier() {
        let mut p = person();
        p.person_identifier = "EL/FR/Ωμέγα".into();
        assert_eq!(to_claims(&p, LevelOfAssurance::High, el()), Err(AttributeError::IdentifierNotAscii));
    }

    #[test]
    fn to_claims_refuses_a_name_without_latin_value() {
        let mut p = person();
        p.family_name = TransliteratedName { latin: None, original: Some("Ωνάσης".into()) };
        assert_eq!(to_claims(&p, LevelOfAssurance::High, el()), Err(AttributeError::NoLatinScript("FamilyName")));
    }

    #[test]
    fn to_claims_refuses_a_given_name_longer_than_256_characters() {
        let mut p = person();
        p.given_name.latin = Some("é".repeat(257));
        assert_eq!(to_claims(&p, LevelOfAssurance::High, el()), Err(AttributeError::ClaimTooLong("FirstName")));
        p.given_name.latin = Some("é".repeat(256));
        to_claims(&p, LevelOfAssurance::High, el()).unwrap();
    }
}
