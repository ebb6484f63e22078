//! The test citizens of the mock proxy service: fixed, fictitious people and one company, each
//! covering a case the connector must handle (the plain minimum data set, a Greek name with its
//! Latin transliteration (AP 2.4), a structured current address (AP 2.2.9), a legal person).
//!
//! Static data, the rule saying whether an identity can answer a request, and the attribute
//! values it releases. Nothing here is a real person.

use super::sso::CheckedRequest;
use crate::saml::attributes::{self as a, AttributeDef, PersonKind};
use crate::saml::CountryCode;
use crate::xmlsec::encode_base64;
use crate::xmlsec::serialize::escape_text;

/// One value of a test identity's attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityValue {
    /// A value in Latin script.
    Latin(&'static str),
    /// The original non-Latin value, sent with `LatinScript="false"` beside its Latin
    /// transliteration (AP 2.4).
    NonLatin(&'static str),
    /// The identifier `{country}/{connector country}/{stable id}` (AP 2.5).
    Identifier,
    /// A structured address (AP 2.2.9): its `CurrentAddressStructuredType` elements, sent as the
    /// base64 of a fragment without root element, as the reference node writes it.
    Address(&'static [(&'static str, &'static str)]),
}

/// An attribute a test identity holds.
#[derive(Debug)]
pub struct IdentityAttribute {
    /// Which attribute.
    pub def: &'static AttributeDef,
    /// Its values, in the order they are sent.
    pub values: &'static [IdentityValue],
}

/// A test citizen or company.
#[derive(Debug)]
pub struct TestIdentity {
    /// The form value choosing it.
    pub key: &'static str,
    /// A natural or a legal person.
    pub kind: PersonKind,
    /// The opaque end of its identifiers (ASCII, no whitespace).
    pub stable_id: &'static str,
    /// Its name as the login page shows it.
    pub name: &'static str,
    /// What it is for, in English.
    pub summary_en: &'static str,
    /// What it is for, in French.
    pub summary_fr: &'static str,
    /// Every attribute it holds; a Response carries those the request asks.
    pub attributes: &'static [IdentityAttribute],
}

use IdentityValue::{Address, Identifier, Latin, NonLatin};

const fn attr(def: &'static AttributeDef, values: &'static [IdentityValue]) -> IdentityAttribute {
    IdentityAttribute { def, values }
}

/// The test identities, in the order of the login page.
pub static IDENTITIES: [TestIdentity; 4] = [
    TestIdentity {
        key: "plain",
        kind: PersonKind::Natural,
        stable_id: "MOCK-NP-0001",
        name: "Erika Mustermann",
        summary_en: "natural person: the minimum data set, place of birth, gender, birth name",
        summary_fr: "personne physique : données minimales, lieu de naissance, sexe, nom de naissance",
        attributes: &[
            attr(&a::PERSON_IDENTIFIER, &[Identifier]),
            attr(&a::CURRENT_FAMILY_NAME, &[Latin("Mustermann")]),
            attr(&a::CURRENT_GIVEN_NAME, &[Latin("Erika")]),
            attr(&a::DATE_OF_BIRTH, &[Latin("1964-08-12")]),
            attr(&a::BIRTH_NAME, &[Latin("Erika Gabler")]),
            attr(&a::PLACE_OF_BIRTH, &[Latin("Berlin")]),
            attr(&a::GENDER, &[Latin("Female")]),
        ],
    },
    TestIdentity {
        key: "greek",
        kind: PersonKind::Natural,
        stable_id: "MOCK-NP-0002",
        name: "Ελένη Παπαδοπούλου (Eleni Papadopoulou)",
        summary_en: "natural person: names in Greek script with their Latin transliteration",
        summary_fr: "personne physique : noms en alphabet grec avec leur translittération latine",
        attributes: &[
            attr(&a::PERSON_IDENTIFIER, &[Identifier]),
            attr(&a::CURRENT_FAMILY_NAME, &[NonLatin("Παπαδοπούλου"), Latin("Papadopoulou")]),
            attr(&a::CURRENT_GIVEN_NAME, &[NonLatin("Ελένη"), Latin("Eleni")]),
            attr(&a::DATE_OF_BIRTH, &[Latin("1970-05-12")]),
            attr(&a::PLACE_OF_BIRTH, &[Latin("Athens")]),
            attr(&a::GENDER, &[Latin("Female")]),
        ],
    },
    TestIdentity {
        key: "address",
        kind: PersonKind::Natural,
        stable_id: "MOCK-NP-0003",
        name: "Javier García",
        summary_en: "natural person with a structured current address",
        summary_fr: "personne physique avec une adresse structurée",
        attributes: &[
            attr(&a::PERSON_IDENTIFIER, &[Identifier]),
            attr(&a::CURRENT_FAMILY_NAME, &[Latin("García")]),
            attr(&a::CURRENT_GIVEN_NAME, &[Latin("Javier")]),
            attr(&a::DATE_OF_BIRTH, &[Latin("1965-01-01")]),
            attr(&a::PLACE_OF_BIRTH, &[Latin("Madrid")]),
            attr(&a::GENDER, &[Latin("Male")]),
            attr(
                &a::CURRENT_ADDRESS,
                &[Address(&[
                    ("LocatorDesignator", "22"),
                    ("Thoroughfare", "Calle Mayor"),
                    ("PostName", "Madrid"),
                    ("PostCode", "28013"),
                ])],
            ),
        ],
    },
    TestIdentity {
        key: "legal",
        kind: PersonKind::Legal,
        stable_id: "MOCK-LP-0001",
        name: "Mock Industries SA",
        summary_en: "legal person: legal name, identifier, address, VAT number",
        summary_fr: "personne morale : raison sociale, identifiant, adresse, numéro de TVA",
        attributes: &[
            attr(&a::LEGAL_PERSON_IDENTIFIER, &[Identifier]),
            attr(&a::LEGAL_NAME, &[Latin("Mock Industries SA")]),
            attr(
                &a::LEGAL_PERSON_ADDRESS,
                &[Address(&[("Thoroughfare", "Rue de la Loi"), ("PostName", "Bruxelles"), ("PostCode", "1040")])],
            ),
            attr(&a::VAT_REGISTRATION_NUMBER, &[Latin("XA0123456789")]),
        ],
    },
];

/// Why an identity cannot answer a request (shown beside it, disabled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unavailable {
    /// The request asks no attribute of this kind of person.
    NotAsked(PersonKind),
    /// The request requires an attribute it does not hold (friendly name).
    MissingRequired(&'static str),
}

/// One value as sent: its text and whether it is in Latin script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReleasedValue {
    /// The `AttributeValue` text.
    pub text: String,
    /// False for the original value of a transliterated name.
    pub latin_script: bool,
}

/// The identifier `CC/DD/stable` of AP 2.5.
pub(crate) fn identifier(issuing: CountryCode, destination: CountryCode, stable_id: &str) -> String {
    format!("{issuing}/{destination}/{stable_id}")
}

impl TestIdentity {
    /// Finds an identity by its form value.
    pub fn by_key(key: &str) -> Option<&'static TestIdentity> {
        IDENTITIES.iter().find(|i| i.key == key)
    }

    /// Whether it can answer `request`: the request asks attributes of its kind, and every
    /// required attribute is one it holds.
    pub(crate) fn availability(&self, request: &CheckedRequest) -> Result<(), Unavailable> {
        if !request.asks(self.kind) {
            return Err(Unavailable::NotAsked(self.kind));
        }
        for r in request.requested.iter().filter(|r| r.required) {
            if !self.attributes.iter().any(|a| a.def.name == r.name) {
                let friendly = a::by_name(&r.name).map_or("an unknown attribute", |d| d.friendly_name);
                return Err(Unavailable::MissingRequired(friendly));
            }
        }
        Ok(())
    }

    /// The attributes it releases for `request` (those asked that it holds), in its order,
    /// with identifiers issued by `issuing` for `destination`.
    pub(crate) fn released(
        &self,
        request: &CheckedRequest,
        issuing: CountryCode,
        destination: CountryCode,
    ) -> Vec<(&'static AttributeDef, Vec<ReleasedValue>)> {
        self.attributes
            .iter()
            .filter(|held| request.requested.iter().any(|r| r.name == held.def.name))
            .map(|held| {
                let values = held
                    .values
                    .iter()
                    .map(|v| match v {
                        Latin(t) => ReleasedValue { text: (*t).to_owned(), latin_script: true },
                        NonLatin(t) => ReleasedValue { text: (*t).to_owned(), latin_script: false },
                        Identifier => {
                            ReleasedValue { text: identifier(issuing, destination, self.stable_id), latin_script: true }
                        }
                        Address(parts) => ReleasedValue { text: address_value(self.kind, parts), latin_script: true },
                    })
                    .collect();
                (held.def, values)
            })
            .collect()
    }
}

/// eidas-spec §3.3: base64 of `<eidas-natural:PostCode>…</…>…` (or `eidas-legal:`), a fragment
/// with no root element and an undeclared prefix, as the reference node writes it.
fn address_value(kind: PersonKind, parts: &[(&str, &str)]) -> String {
    let prefix = match kind {
        PersonKind::Natural => "eidas-natural",
        PersonKind::Legal => "eidas-legal",
    };
    let mut xml = String::new();
    for (element, text) in parts {
        xml.push_str(&format!("<{prefix}:{element}>"));
        escape_text(text, &mut xml);
        xml.push_str(&format!("</{prefix}:{element}>"));
    }
    encode_base64(xml.as_bytes())
}
