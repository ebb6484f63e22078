//! [`VerifiedIdentity`]: what a valid Response says about the citizen. Only the validation
//! makes one; `Debug` prints no personal data.

use time::OffsetDateTime;

use crate::saml::attributes::{to_claims, to_person, AttributeError, Attributes, Claims, IdentifierCountries, Person};
use crate::saml::{CountryCode, LevelOfAssurance, NameIdFormat};
use crate::xmlsec::xmlenc::DecryptionInfo;

/// The identity asserted by a verified Response.
pub struct VerifiedIdentity {
    issuer: String,
    country: CountryCode,
    level_of_assurance: LevelOfAssurance,
    authn_instant: Option<OffsetDateTime>,
    name_id: String,
    name_id_format: NameIdFormat,
    attributes: Attributes,
    person: Person,
    claims: Claims,
    response_id: String,
    assertion_id: String,
    sha1_oaep: bool,
}

impl std::fmt::Debug for VerifiedIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedIdentity")
            .field("issuer", &self.issuer)
            .field("country", &self.country)
            .field("level_of_assurance", &self.level_of_assurance)
            .field("sha1_oaep", &self.sha1_oaep)
            .field("personal_data", &"[redacted]")
            .finish()
    }
}

impl VerifiedIdentity {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        issuer: String,
        countries: IdentifierCountries,
        level_of_assurance: LevelOfAssurance,
        authn_instant: Option<OffsetDateTime>,
        name_id: String,
        name_id_format: NameIdFormat,
        attributes: Attributes,
        response_id: String,
        assertion_id: String,
    ) -> Result<Self, AttributeError> {
        let person = to_person(&attributes)?;
        let claims = to_claims(&person, level_of_assurance, countries)?;
        Ok(Self {
            issuer,
            country: countries.issuing,
            level_of_assurance,
            authn_instant,
            name_id,
            name_id_format,
            attributes,
            person,
            claims,
            response_id,
            assertion_id,
            sha1_oaep: false,
        })
    }

    /// Records what the decryption of the Assertion used.
    pub(super) fn with_decryption(mut self, info: DecryptionInfo) -> Self {
        self.sha1_oaep = info.sha1_oaep;
        self
    }

    /// The proxy service's entityID.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
    /// The citizen's country.
    pub fn country(&self) -> CountryCode {
        self.country
    }
    /// The LoA of the authentication.
    pub fn level_of_assurance(&self) -> LevelOfAssurance {
        self.level_of_assurance
    }
    /// When the citizen authenticated.
    pub fn authn_instant(&self) -> Option<OffsetDateTime> {
        self.authn_instant
    }
    /// The NameID (may be transient: identify people by PersonIdentifier).
    pub fn name_id(&self) -> &str {
        &self.name_id
    }
    /// The NameID format.
    pub fn name_id_format(&self) -> NameIdFormat {
        self.name_id_format
    }
    /// The raw eIDAS attributes.
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }
    /// The typed person.
    pub fn person(&self) -> &Person {
        &self.person
    }
    /// The OIDC claims for the hub.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }
    /// The Response ID.
    pub fn response_id(&self) -> &str {
        &self.response_id
    }
    /// The Assertion ID.
    pub fn assertion_id(&self) -> &str {
        &self.assertion_id
    }
    /// The Assertion's content key came by RSA-OAEP with SHA-1 as digest or MGF1 hash
    /// (`xmlenc11#rsa-oaep` with SHA-1, or `rsa-oaep-mgf1p`), for the service to log or count
    /// per country.
    pub fn sha1_oaep(&self) -> bool {
        self.sha1_oaep
    }
}
