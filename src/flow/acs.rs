//! The Assertion Consumer Service: the Response comes back through the browser, is validated
//! (signature, decryption, correlation, LoA, attributes), and its outcome, success or failure,
//! is stored under a fresh single-use response handle for the hub.

use std::collections::HashMap;
use std::sync::Arc;

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::record::{RequestRecord, RequestStatus};
use super::types::{Consumed, SamlStatusBody, SubjectBody};
use super::{blocking, is_handle, new_handle, sha256_hex, Flow, FlowError};
use crate::peers::PeerSnapshot;
use crate::saml::response::{
    peek_in_response_to, validate_response, Outcome, PendingRequest, ReplayGuard, ResponseContext, ResponseError,
    ResponsePolicy, VerifiedIdentity,
};
use crate::saml::status::{FailureCode, SamlStatus};
use crate::store::Kind;

/// What the browser posted to `/eidas/acs`.
#[derive(Debug, Clone)]
pub struct AcsForm {
    /// `SAMLResponse`, base64.
    pub saml_response: String,
    /// `RelayState`: the request id we sent.
    pub relay_state: Option<String>,
}

/// Where the browser goes next.
#[derive(Debug, Clone)]
pub struct AcsOutcome {
    /// `return_url?response_handle=…&state=…` (303).
    pub redirect: String,
    /// The request answered.
    pub request_id: String,
    /// `success` or the failure code.
    pub outcome: String,
}

/// Remembers the IDs a validation would record, so that they are written to the shared store
/// afterwards (the validation itself is pure and synchronous).
#[derive(Default)]
struct SeenIds(Vec<(String, OffsetDateTime)>);

impl ReplayGuard for SeenIds {
    fn first_use(&mut self, id: &str, until: OffsetDateTime) -> bool {
        self.0.push((id.to_owned(), until));
        true
    }
}

/// A validation's result, the way the hub receives it.
enum Verdict {
    Authenticated(Box<VerifiedIdentity>, Vec<(String, OffsetDateTime)>),
    Failed(FailureCode, Option<SamlStatus>, &'static str),
}

impl Flow {
    /// `POST /eidas/acs`.
    ///
    /// A Response that cannot be tied to a pending request gives [`FlowError::RequestNotFound`]
    /// (an error page); any other refusal returns the browser to the hub with a failure handle.
    pub async fn acs(&self, form: AcsForm, cookies: &HashMap<String, String>) -> Result<AcsOutcome, FlowError> {
        let started = std::time::Instant::now();
        let mut record = self.identify(&form).await?;
        let now = self.now();
        let (code, verdict) = match record.status_at(now) {
            RequestStatus::Pending => {
                // The claim: of two posts of one Response (or two instances), one only proceeds.
                let saml_id = record.saml_request_id.clone().ok_or(FlowError::RequestNotFound)?;
                if self.store.take(Kind::SamlRequest, &saml_id).await?.is_none() {
                    return Err(FlowError::RequestNotFound);
                }
                let code = record.citizen_country.ok_or(FlowError::RequestNotFound)?;
                let https = self.public_base_url.starts_with("https://");
                let bound = cookies
                    .get(&record.binding_cookie_name(https))
                    .is_some_and(|v| record.binding_hash.as_deref() == Some(sha256_hex(v.as_bytes()).as_str()));
                let verdict = if bound {
                    self.verify(&record, code, form.saml_response).await?
                } else {
                    // DESIGN §2.2: a Response posted by a browser that did not start the
                    // request (login CSRF) completes nothing.
                    Verdict::Failed(FailureCode::InvalidResponse, None, "binding_cookie")
                };
                (Some(code), verdict)
            }
            RequestStatus::Expired => (record.citizen_country, Verdict::Failed(FailureCode::Expired, None, "expired")),
            _ => return Err(FlowError::RequestNotFound),
        };
        let verdict = match verdict {
            Verdict::Authenticated(identity, ids) => self.remember_ids(identity, ids).await?,
            failed => failed,
        };
        let (body, outcome) = self.outcome_body(&record, verdict, code);
        let handle = new_handle()?;
        let bytes = serde_json::to_vec(&body).map_err(|_| FlowError::Technical("outcome".into()))?;
        self.store.put(Kind::ResponseHandle, &handle, &bytes, Self::ttl(self.ttls.response)).await?;
        record.status = RequestStatus::Completed;
        record.outcome = Some(outcome.clone());
        self.save_record(&record).await?;
        self.metrics.outcome(code, &outcome);
        self.metrics.acs_latency(started.elapsed());
        tracing::info!(
            target: "audit",
            event = "response_received",
            request_id = %record.request_id,
            country = code.map(|c| c.to_string()).unwrap_or_default(),
            outcome = %outcome,
        );
        Ok(AcsOutcome { redirect: return_location(&record, &handle), request_id: record.request_id, outcome })
    }

    /// The pending request a Response belongs to: by `RelayState` (the request id we sent),
    /// else by its `InResponseTo`. Only a lookup key: the binding cookie and the validation
    /// decide.
    async fn identify(&self, form: &AcsForm) -> Result<RequestRecord, FlowError> {
        if let Some(id) = form.relay_state.as_deref().filter(|r| is_handle(r)) {
            if let Some(record) = self.load_record(id).await? {
                return Ok(record);
            }
        }
        let policy = ResponsePolicy::default();
        let in_response_to =
            peek_in_response_to(form.saml_response.as_bytes(), &policy.limits).ok_or(FlowError::RequestNotFound)?;
        let request_id = self.store.get(Kind::SamlRequest, &in_response_to).await?.ok_or(FlowError::RequestNotFound)?;
        let request_id = String::from_utf8(request_id).map_err(|_| FlowError::RequestNotFound)?;
        self.load_record(&request_id).await?.ok_or(FlowError::RequestNotFound)
    }

    /// Validates the Response against the country's verified metadata; on a signature by a key
    /// not (yet) in that metadata, refreshes it once (key rollover) and tries again.
    async fn verify(
        &self,
        record: &RequestRecord,
        code: crate::saml::CountryCode,
        saml_response: String,
    ) -> Result<Verdict, FlowError> {
        let snapshot = match self.available_peer(code) {
            Ok(s) => s,
            Err(FlowError::CountryUnavailable { .. } | FlowError::CountryUnknown(_)) => {
                return Ok(Verdict::Failed(FailureCode::TechnicalError, None, "country_unavailable"));
            }
            Err(e) => return Err(e),
        };
        let message = Arc::new(saml_response.into_bytes());
        let first = self.validate(record, Arc::clone(&snapshot), Arc::clone(&message)).await?;
        let rollover = matches!(
            &first,
            Err(ResponseError::Signature(e)) if matches!(e.code(), "sig.invalid" | "sig.no_trusted_key" | "sig.key_type_mismatch")
        );
        let result = match (rollover, first) {
            (true, first) => {
                // `refresh_after_unknown_signer` compares with the keys held when it is called: a
                // Response validated against the old copy while another request installed the new
                // one gets `None` (nothing new since the call) and must use the copy now held.
                let fresh = match self.peers.refresh_after_unknown_signer(code).await {
                    Some(fresh) => Some(fresh),
                    None => self.peers.snapshot(code).ok().filter(|current| !Arc::ptr_eq(current, &snapshot)),
                };
                match fresh {
                    Some(fresh) => self.validate(record, fresh, message).await?,
                    None => first,
                }
            }
            (false, first) => first,
        };
        Ok(match result {
            Ok((Outcome::Authenticated(identity), ids)) => {
                if identity.sha1_oaep() {
                    // Issue 6: accepted by default, but every use is recorded.
                    self.metrics.sha1_oaep(code);
                    tracing::info!(target: "security", event = "sha1_oaep", request_id = %record.request_id, country = %code);
                }
                Verdict::Authenticated(identity, ids)
            }
            Ok((Outcome::Failed { status, code }, _)) => Verdict::Failed(code, Some(status), "status"),
            Err(e) => {
                tracing::warn!(
                    target: "security",
                    event = "response_refused",
                    request_id = %record.request_id,
                    country = %code,
                    code = %e.code(),
                );
                Verdict::Failed(e.failure_code(), None, "refused")
            }
        })
    }

    /// One validation on the blocking pool.
    async fn validate(
        &self,
        record: &RequestRecord,
        snapshot: Arc<PeerSnapshot>,
        message: Arc<Vec<u8>>,
    ) -> Result<Result<(Outcome, Vec<(String, OffsetDateTime)>), ResponseError>, FlowError> {
        let pending = PendingRequest {
            id: record.saml_request_id.clone().unwrap_or_default(),
            country: record.citizen_country.map(|c| c.to_string()).unwrap_or_default(),
            proxy_entity_id: record.proxy_entity_id.clone().unwrap_or_default(),
            level_of_assurance: record.level_of_assurance,
            requested_attributes: record.requested_attributes.clone(),
            name_id_format: record.name_id_format,
        };
        let config = self.config.current();
        let now = self.now();
        let skew = snapshot.clock_skew();
        blocking(move || {
            let policy = ResponsePolicy { clock_skew: skew, ..ResponsePolicy::default() };
            let ctx = ResponseContext {
                now,
                entity_id: &config.settings.connector.entity_id,
                acs_url: &config.settings.connector.acs_url,
                our_country: config.country,
                pending: &pending,
                peer: &snapshot.peer,
                decryption_keys: &config.decryption_keys,
                policy: &policy,
            };
            let mut seen = SeenIds::default();
            let mut trace = Vec::new();
            validate_response(&message, &ctx, &mut seen, &mut trace).map(|o| (o, seen.0))
        })
        .await
    }

    /// Records the Response and Assertion IDs in the shared replay cache; an ID seen before
    /// (on any instance) turns the success into `invalid_response`.
    async fn remember_ids(
        &self,
        identity: Box<VerifiedIdentity>,
        ids: Vec<(String, OffsetDateTime)>,
    ) -> Result<Verdict, FlowError> {
        let now = self.now();
        for (id, until) in &ids {
            let keep = (*until - now).max(Duration::ZERO) + self.ttls.replay;
            if !self.store.put_new(Kind::Replay, id, b"1", Self::ttl(keep)).await? {
                tracing::warn!(target: "security", event = "response_replayed", code = "saml.replay");
                return Ok(Verdict::Failed(FailureCode::InvalidResponse, None, "replay"));
            }
        }
        Ok(Verdict::Authenticated(identity, ids))
    }

    /// The consume body and the outcome code.
    fn outcome_body(
        &self,
        record: &RequestRecord,
        verdict: Verdict,
        country: Option<crate::saml::CountryCode>,
    ) -> (Consumed, String) {
        let (request_id, citizen_country) = (record.request_id.clone(), country.map(|c| c.to_string()));
        match verdict {
            Verdict::Authenticated(id, _) => {
                let body = Consumed {
                    citizen_country: Some(id.country().to_string()),
                    issuer: Some(id.issuer().to_owned()),
                    level_of_assurance: Some(id.level_of_assurance().to_string()),
                    authn_instant: id.authn_instant().and_then(|t| t.format(&Rfc3339).ok()),
                    subject: Some(SubjectBody {
                        name_id: id.name_id().to_owned(),
                        format: id.name_id_format().uri().to_owned(),
                    }),
                    attributes: serde_json::to_value(id.attributes()).ok(),
                    person: serde_json::to_value(id.person()).ok(),
                    claims: serde_json::to_value(id.claims()).ok(),
                    acr: Some(id.claims().acr.as_str().to_owned()),
                    amr: Some(id.claims().amr.iter().map(|s| (*s).to_owned()).collect()),
                    ..Consumed::empty("success", request_id, citizen_country)
                };
                (body, "success".into())
            }
            Verdict::Failed(code, status, _why) => {
                let saml = status.map(|s| SamlStatusBody {
                    status_code: s.status_code,
                    sub_status_code: s.sub_status_code,
                    status_message: s.status_message,
                });
                let body = Consumed::failure(request_id, citizen_country, code, saml);
                (body, code.code().to_owned())
            }
        }
    }
}

/// `return_url` with `response_handle` and `state` added to its query.
pub(super) fn return_location(record: &RequestRecord, handle: &str) -> String {
    match url::Url::parse(&record.return_url) {
        Ok(mut url) => {
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("response_handle", handle);
                if let Some(state) = &record.state {
                    q.append_pair("state", state);
                }
            }
            url.to_string()
        }
        // Checked when the request was started; never reached.
        Err(_) => record.return_url.clone(),
    }
}
