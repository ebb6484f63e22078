//! The bodies of the internal JSON API (DESIGN §2.1), with their OpenAPI schemas. The names
//! are the contract the hub is built against: extend, never rename.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::RequestStatus;

/// One attribute the hub asks for.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestedAttributeBody {
    /// eIDAS FriendlyName (`CurrentAddress`) or Name URI.
    pub name: String,
    /// Whether the hub cannot do without it (`isRequired`).
    #[serde(default)]
    pub required: bool,
}

/// `POST /api/v1/authn-requests`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// The citizen's country (eIDAS code, `EL` for Greece); absent → the connector shows its
    /// country page.
    #[serde(default)]
    pub citizen_country: Option<String>,
    /// `substantial` or `high` (`low` → 422).
    pub level_of_assurance: String,
    /// Attributes beyond the minimum data set, which is always requested.
    #[serde(default)]
    pub requested_attributes: Vec<RequestedAttributeBody>,
    /// `public` or `private` (default: the connector's `sp_type`).
    #[serde(default)]
    pub sp_type: Option<String>,
    /// The relying party, for private service providers.
    #[serde(default)]
    pub requester_id: Option<String>,
    /// The service provider's name shown by the foreign consent page.
    #[serde(default)]
    pub provider_name: Option<String>,
    /// `persistent`, `transient` or `unspecified` (default `persistent`).
    #[serde(default)]
    pub name_id_format: Option<String>,
    /// Where the browser goes back; must be under one of the configured `api.return_urls` (same
    /// origin, path prefix; checked once parsed, so `..` cannot leave it).
    pub return_url: String,
    /// Opaque to the connector, echoed on the way back.
    #[serde(default)]
    pub state: Option<String>,
    /// The hub's id for its logs.
    #[serde(default)]
    pub correlation_id: Option<String>,
    /// Preferred languages, space separated (`fr en`).
    #[serde(default)]
    pub ui_locales: Option<String>,
}

/// `201` of `POST /api/v1/authn-requests`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Started {
    /// Our id of the request (status, cancel).
    pub request_id: String,
    /// Until when the citizen may come back.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
    /// Where the hub sends the browser.
    pub browser_redirect_url: String,
}

/// `GET /api/v1/authn-requests/{request_id}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RequestStatusBody {
    /// The request.
    pub request_id: String,
    /// Where it stands.
    pub status: RequestStatus,
    /// The citizen's country, once chosen.
    pub citizen_country: Option<String>,
    /// The minimum LoA asked.
    pub level_of_assurance: String,
    /// When it was started.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: OffsetDateTime,
    /// Until when the citizen may come back.
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub expires_at: OffsetDateTime,
    /// `success` or the failure code, once completed.
    pub outcome: Option<String>,
    /// The hub's correlation id.
    pub correlation_id: Option<String>,
}

/// One country of `GET /api/v1/countries`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountryBody {
    /// eIDAS code (`EL` for Greece).
    pub code: String,
    /// Its name in the asked language.
    pub name: String,
    /// True when its metadata is verified and valid now.
    pub available: bool,
    /// Why not, when unavailable (`metadata_expired`, `metadata_fetch_failed`, …).
    pub reason: Option<String>,
    /// The LoAs its proxy service publishes (`substantial`, `high`).
    pub levels_of_assurance: Vec<String>,
    /// Until when its metadata is valid.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub metadata_valid_until: Option<OffsetDateTime>,
}

/// `GET /api/v1/countries`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountriesBody {
    /// Every configured country, in configuration order.
    pub countries: Vec<CountryBody>,
}

/// `POST /api/v1/authn-requests/{request_id}/cancel`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Cancelled {
    /// The request.
    pub request_id: String,
    /// Always `cancelled`.
    pub status: RequestStatus,
}

/// The subject of a successful authentication.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SubjectBody {
    /// The NameID (may be transient: identify people by `claims.sub_source`).
    pub name_id: String,
    /// The NameID format URI.
    pub format: String,
}

/// The SAML status a proxy service answered with.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SamlStatusBody {
    /// Top-level StatusCode.
    pub status_code: String,
    /// Second-level StatusCode.
    pub sub_status_code: Option<String>,
    /// StatusMessage.
    pub status_message: Option<String>,
}

/// Why the hub gets no identity.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FailureBody {
    /// `user_cancelled`, `authentication_failed`, `loa_not_met`, `attributes_missing`,
    /// `invalid_response`, `expired` or `technical_error`.
    pub code: String,
    /// The OIDC error the hub should send its service provider.
    pub oidc_error: String,
    /// The proxy service's status, when it sent one.
    pub saml: Option<SamlStatusBody>,
}

/// `200` of `POST /api/v1/authn-responses/{response_handle}/consume`: `status` is `success`
/// (identity fields set) or `failure` (`error` set).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Consumed {
    /// `success` or `failure`.
    pub status: String,
    /// The request answered.
    pub request_id: String,
    /// The citizen's country.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub citizen_country: Option<String>,
    /// The proxy service's entityID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// `substantial` or `high`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level_of_assurance: Option<String>,
    /// When the citizen authenticated (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authn_instant: Option<String>,
    /// The SAML subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<SubjectBody>,
    /// The raw eIDAS attributes: Name URI → `[{value, latin_script}]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Value>,
    /// The typed person (names with their original script, address, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub person: Option<serde_json::Value>,
    /// The OIDC claims the hub issues (`sub_source`, `given_name`, `family_name`, `birthdate`,
    /// `gender`, `birthplace`, `preferred_username`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub claims: Option<serde_json::Value>,
    /// `eidas2` (substantial) or `eidas3` (high).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// `["eidas"]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// Why, on failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<FailureBody>,
}

impl Consumed {
    /// A result with no identity yet: `status` and whose request it answers.
    pub(crate) fn empty(status: &str, request_id: String, citizen_country: Option<String>) -> Self {
        Self {
            status: status.to_owned(),
            request_id,
            citizen_country,
            issuer: None,
            level_of_assurance: None,
            authn_instant: None,
            subject: None,
            attributes: None,
            person: None,
            claims: None,
            acr: None,
            amr: None,
            error: None,
        }
    }

    /// A failure: `code`, the OIDC error it maps to, and the proxy service's status if any.
    pub(crate) fn failure(
        request_id: String,
        citizen_country: Option<String>,
        code: crate::saml::status::FailureCode,
        saml: Option<SamlStatusBody>,
    ) -> Self {
        let error = FailureBody { code: code.code().to_owned(), oidc_error: code.oidc_error().to_owned(), saml };
        Self { error: Some(error), ..Self::empty("failure", request_id, citizen_country) }
    }
}
