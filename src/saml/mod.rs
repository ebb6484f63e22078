//! The eIDAS SAML profile: AuthnRequest builder, Response validation, attribute profile,
//! metadata in and out (`reference/eidas-spec.md`).
//!
//! Pure: keys, the clock (`now`) and limits are arguments. It imports no HTTP, store or
//! runtime crate, and reads XML only through `xmlsec` (the hardened tree and verified
//! elements).

pub mod attributes;
pub mod authn_request;
pub mod metadata;
pub mod response;
pub mod status;

use std::fmt;

use time::OffsetDateTime;

/// SAML 2.0 protocol namespace.
pub const NS_SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
/// SAML 2.0 assertion namespace.
pub const NS_SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
/// SAML 2.0 metadata namespace.
pub const NS_MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
/// Metadata entity attributes.
pub const NS_MDATTR: &str = "urn:oasis:names:tc:SAML:metadata:attribute";
/// Metadata algorithm support.
pub const NS_ALG: &str = "urn:oasis:names:tc:SAML:metadata:algsupport";
/// eIDAS SAML extensions (SPType, RequestedAttributes, NodeCountry).
pub const NS_EIDAS: &str = "http://eidas.europa.eu/saml-extensions";
/// eIDAS natural-person attribute types.
pub const NS_EIDAS_NATURAL: &str = "http://eidas.europa.eu/attributes/naturalperson";
/// eIDAS legal-person attribute types.
pub const NS_EIDAS_LEGAL: &str = "http://eidas.europa.eu/attributes/legalperson";
/// XML Schema instance.
pub const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
/// `Attribute/@NameFormat` of every eIDAS attribute.
pub const NAME_FORMAT_URI: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";
/// `Issuer/@Format` of an entity.
pub const NAMEID_FORMAT_ENTITY: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";

/// The notified eIDAS levels of assurance, ordered low < substantial < high.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LevelOfAssurance {
    /// `http://eidas.europa.eu/LoA/low`: never accepted on the FranceConnect+ path.
    Low,
    /// `http://eidas.europa.eu/LoA/substantial`.
    Substantial,
    /// `http://eidas.europa.eu/LoA/high`.
    High,
}

impl LevelOfAssurance {
    /// The LoA URI.
    pub fn uri(self) -> &'static str {
        match self {
            Self::Low => "http://eidas.europa.eu/LoA/low",
            Self::Substantial => "http://eidas.europa.eu/LoA/substantial",
            Self::High => "http://eidas.europa.eu/LoA/high",
        }
    }

    /// Parses a notified LoA URI (exact match).
    pub fn from_uri(uri: &str) -> Option<Self> {
        [Self::Low, Self::Substantial, Self::High].into_iter().find(|l| l.uri() == uri)
    }

    /// Parses `low|substantial|high`.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "low" => Some(Self::Low),
            "substantial" => Some(Self::Substantial),
            "high" => Some(Self::High),
            _ => None,
        }
    }
}

impl fmt::Display for LevelOfAssurance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Low => "low",
            Self::Substantial => "substantial",
            Self::High => "high",
        })
    }
}

/// An ISO 3166-1 alpha-2 country code as eIDAS uses it (`EL` for Greece), upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// Parses two ASCII upper-case letters.
    pub fn parse(s: &str) -> Option<Self> {
        match s.as_bytes() {
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Some(Self([*a, *b])),
            _ => None,
        }
    }

    /// The two letters.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for CountryCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for CountryCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&s).ok_or_else(|| serde::de::Error::custom("a country code is two upper-case letters"))
    }
}

/// Requested NameID formats (MF 2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NameIdFormat {
    /// `urn:oasis:names:tc:SAML:2.0:nameid-format:persistent`.
    Persistent,
    /// `urn:oasis:names:tc:SAML:2.0:nameid-format:transient`.
    Transient,
    /// `urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified` (what FranceConnect asks today).
    Unspecified,
}

impl NameIdFormat {
    /// The format URI.
    pub fn uri(self) -> &'static str {
        match self {
            Self::Persistent => "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
            Self::Transient => "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
            Self::Unspecified => "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        }
    }

    /// Parses a format URI.
    pub fn from_uri(uri: &str) -> Option<Self> {
        [Self::Persistent, Self::Transient, Self::Unspecified].into_iter().find(|f| f.uri() == uri)
    }
}

/// `eidas:SPType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpType {
    /// Public-sector relying party.
    Public,
    /// Private-sector relying party.
    Private,
}

impl SpType {
    /// The element text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
        }
    }
}

/// `xsd:dateTime` in UTC with milliseconds, as the reference node writes it.
pub fn format_instant(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}
