//! The state of one request, as kept in the store under its `request_id` (no personal data:
//! the identity is kept apart, under the single-use response handle).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Flow, FlowError};
use crate::saml::authn_request::RequestedAttribute;
use crate::saml::{CountryCode, LevelOfAssurance, NameIdFormat, SpType};
use crate::store::Kind;

/// Where a request stands (the `GET /api/v1/authn-requests/{id}` status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Waiting for the citizen (country page, proxy service).
    Pending,
    /// A result (success or failure) waits for the hub's consume call.
    Completed,
    /// The hub took the result.
    Consumed,
    /// The hub or the citizen cancelled.
    Cancelled,
    /// Nothing came back in time.
    Expired,
}

impl std::fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Pending => "pending",
            Self::Completed => "completed",
            Self::Consumed => "consumed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        })
    }
}

/// One request started by the hub.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Our id for the hub.
    pub request_id: String,
    /// When the hub started it.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Until when the citizen may come back.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Where it stands (`Expired` is computed, never stored).
    pub status: RequestStatus,
    /// The browser start handle.
    pub start_handle: String,
    /// The citizen's country, once known.
    pub citizen_country: Option<CountryCode>,
    /// The minimum LoA asked.
    pub level_of_assurance: LevelOfAssurance,
    /// The attributes asked (Name URIs), before the minimum data set is added.
    pub requested_attributes: Vec<RequestedAttribute>,
    /// Public or private service provider.
    pub sp_type: SpType,
    /// The private relying party, sent when the proxy asks for it.
    pub requester_id: Option<String>,
    /// `ProviderName` for the foreign consent page.
    pub provider_name: Option<String>,
    /// The NameID format asked.
    pub name_id_format: NameIdFormat,
    /// Where the browser goes back (allow-listed).
    pub return_url: String,
    /// The hub's opaque state, echoed.
    pub state: Option<String>,
    /// The hub's correlation id, for logs.
    pub correlation_id: Option<String>,
    /// The hub's `ui_locales`.
    pub ui_locales: Option<String>,
    /// Our AuthnRequest ID, once sent.
    pub saml_request_id: Option<String>,
    /// The proxy service's entityID the AuthnRequest went to.
    pub proxy_entity_id: Option<String>,
    /// SHA-256 of the browser binding cookie (DESIGN §2.2, login-CSRF defence).
    pub binding_hash: Option<String>,
    /// The outcome code once completed (`success` or a failure code), for support.
    pub outcome: Option<String>,
}

impl RequestRecord {
    /// The status as of `now` (a pending request past its expiry is `Expired`).
    pub fn status_at(&self, now: OffsetDateTime) -> RequestStatus {
        match self.status {
            RequestStatus::Pending if now >= self.expires_at => RequestStatus::Expired,
            s => s,
        }
    }

    /// The name of this request's binding cookie: one per request, so that two tabs do not
    /// overwrite each other's. `__Host-` with `Secure` on HTTPS; a plain name on loopback HTTP.
    pub fn binding_cookie_name(&self, https: bool) -> String {
        let tag = super::sha256_hex(self.request_id.as_bytes());
        let tag = tag.get(..16).unwrap_or_default();
        if https {
            format!("__Host-eidas-{tag}")
        } else {
            format!("eidas-{tag}")
        }
    }
}

impl Flow {
    /// Reads a request.
    pub(super) async fn load_record(&self, request_id: &str) -> Result<Option<RequestRecord>, FlowError> {
        match self.store.get(Kind::Request, request_id).await? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|_| FlowError::Technical("unreadable request record".into())),
            None => Ok(None),
        }
    }

    /// Writes a request, kept until its expiry plus the status retention.
    pub(super) async fn save_record(&self, record: &RequestRecord) -> Result<(), FlowError> {
        let bytes = serde_json::to_vec(record).map_err(|_| FlowError::Technical("request record".into()))?;
        let keep = (record.expires_at - self.now()).max(time::Duration::ZERO) + self.ttls.status_retention;
        self.store.put(Kind::Request, &record.request_id, &bytes, Self::ttl(keep)).await?;
        Ok(())
    }
}
